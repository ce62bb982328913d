"""The notification policy, with explicit times (no clock is read anywhere)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindbreak.errors import ConfigError
from kindbreak.prompts.policy import Decision, PolicySettings, PromptPolicy

TZ = timezone(timedelta(hours=1), "CET")


def at(day: int, hh: int, mm: int = 0, tz: timezone | ZoneInfo = TZ) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=tz)


class Session:
    """A policy plus a monotonic clock that moves with the wall clock (like a real session)."""

    def __init__(self, settings: PolicySettings, start: datetime) -> None:
        self.policy = PromptPolicy(settings)
        self.start = start

    def mono(self, t: datetime) -> float:
        return (t - self.start).total_seconds() + 1000.0

    def decide(self, t: datetime) -> Decision:
        return self.policy.decide(t, self.mono(t))

    def send(self, t: datetime) -> None:
        d = self.decide(t)
        assert d.allowed, d
        self.policy.record_sent(t, self.mono(t))


def test_fresh_policy_allows_now() -> None:
    s = Session(PolicySettings(), at(2, 9))
    d = s.decide(at(2, 9))
    assert d == Decision(True, "ok", at(2, 9), "a prompt may be sent now")


def test_cooldown() -> None:
    s = Session(PolicySettings(cooldown_s=45 * 60), at(2, 9))
    s.send(at(2, 9))
    d = s.decide(at(2, 9, 10))
    assert (d.allowed, d.reason, d.next_allowed_wall) == (False, "cooldown", at(2, 9, 45))
    assert d.detail == "resting between prompts until 09:45"
    assert not s.decide(at(2, 9, 44)).allowed
    assert s.decide(at(2, 9, 45)).allowed


def test_cooldown_runs_on_the_monotonic_clock() -> None:
    p = PromptPolicy(PolicySettings(cooldown_s=45 * 60))
    p.record_sent(at(2, 9), 100.0)
    # the wall clock jumps two hours ahead (NTP, a suspended laptop's clock fix), 10 min passed
    d = p.decide(at(2, 11), 100.0 + 600)
    assert d.reason == "cooldown" and d.next_allowed_wall == at(2, 11, 35)
    assert p.decide(at(2, 9, 50), 100.0 + 45 * 60).allowed


def test_quiet_hours_across_midnight() -> None:
    s = Session(PolicySettings(quiet_hours=("22:00", "07:00")), at(2, 20))
    assert s.decide(at(2, 21, 59)).allowed
    d = s.decide(at(2, 22))
    assert (d.reason, d.next_allowed_wall) == ("quiet_hours", at(3, 7))
    assert d.detail == "quiet hours until 07:00"
    d = s.decide(at(3, 3, 30))
    assert (d.reason, d.next_allowed_wall) == ("quiet_hours", at(3, 7))
    assert not s.decide(at(3, 6, 59)).allowed
    assert s.decide(at(3, 7)).allowed


def test_quiet_hours_within_one_day() -> None:
    s = Session(PolicySettings(quiet_hours=("12:30", "13:30")), at(2, 8))
    assert s.decide(at(2, 12, 29)).allowed
    assert s.decide(at(2, 12, 30)).next_allowed_wall == at(2, 13, 30)
    assert s.decide(at(2, 13, 30)).allowed
    assert s.decide(at(2, 23, 59)).allowed


def test_next_allowed_looks_past_every_block() -> None:
    s = Session(PolicySettings(quiet_hours=("22:00", "07:00")), at(2, 21))
    s.send(at(2, 21, 50))
    d = s.decide(at(2, 21, 55))
    # the cooldown would end at 22:35, inside the quiet hours: so 07:00 tomorrow
    assert (d.reason, d.next_allowed_wall) == ("cooldown", at(3, 7))


def test_daily_cap_resets_at_local_midnight() -> None:
    s = Session(PolicySettings(daily_max=6), at(2, 8))
    for hour in range(8, 14):
        s.send(at(2, hour))
    d = s.decide(at(2, 18))
    assert (d.reason, d.next_allowed_wall) == ("daily_max", at(3, 0))
    assert d.detail == "6 prompts today already; more tomorrow"
    assert not s.decide(at(2, 23, 59)).allowed
    assert s.decide(at(3, 0)).allowed
    assert s.policy.sent_on(at(2, 12).date()) == 6
    assert s.policy.sent_on(at(3, 12).date()) == 0


def test_daily_cap_follows_the_local_date_not_utc() -> None:
    plus5 = timezone(timedelta(hours=5))
    s = Session(PolicySettings(daily_max=2, cooldown_s=60), at(2, 20, tz=plus5))
    s.send(at(2, 20, tz=plus5))  # 15:00 UTC
    s.send(at(2, 23, tz=plus5))  # 18:00 UTC
    assert s.decide(at(2, 23, 30, tz=plus5)).reason == "daily_max"
    # 00:10 local is 19:10 UTC on the same UTC day: a new local day all the same
    assert s.decide(at(3, 0, 10, tz=plus5)).allowed


def test_daily_cap_with_quiet_hours_gives_the_morning() -> None:
    s = Session(PolicySettings(daily_max=1, quiet_hours=("22:00", "07:00")), at(2, 8))
    s.send(at(2, 9))
    assert s.decide(at(2, 15)).next_allowed_wall == at(3, 7)


def test_daily_max_zero_turns_prompts_off() -> None:
    d = Session(PolicySettings(daily_max=0), at(2, 8)).decide(at(2, 9))
    assert (d.allowed, d.reason, d.next_allowed_wall) == (False, "daily_max", None)


def test_snooze() -> None:
    s = Session(PolicySettings(snooze_s=20 * 60), at(2, 9))
    until = s.policy.snooze_for(at(2, 10))
    assert until == at(2, 10, 20)
    d = s.decide(at(2, 10, 5))
    assert (d.reason, d.next_allowed_wall, d.detail) == (
        "snoozed",
        at(2, 10, 20),
        "snoozed until 10:20",
    )
    assert s.decide(at(2, 10, 20)).allowed
    s.policy.snooze(at(2, 12))  # an explicit end, any timezone
    assert s.decide(at(2, 11)).next_allowed_wall == at(2, 12)
    s.policy.snooze(datetime(2026, 3, 2, 13, tzinfo=UTC))
    assert s.decide(at(2, 13)).next_allowed_wall == at(2, 14)  # 13:00 UTC is 14:00 CET


def test_pause_until_and_indefinitely_and_resume() -> None:
    s = Session(PolicySettings(), at(2, 9))
    s.policy.pause(at(2, 15))
    d = s.decide(at(2, 10))
    assert (d.reason, d.next_allowed_wall, d.detail) == ("paused", at(2, 15), "paused until 15:00")
    assert s.decide(at(2, 15)).allowed
    s.policy.pause(None)
    d = s.decide(at(5, 10))
    assert (d.allowed, d.reason, d.next_allowed_wall) == (False, "paused", None)
    s.policy.snooze_for(at(5, 10))
    s.policy.resume()  # ends both
    assert s.decide(at(5, 10)).allowed


def test_pause_outranks_snooze_and_quiet_hours() -> None:
    s = Session(PolicySettings(quiet_hours=("22:00", "07:00")), at(2, 9))
    s.policy.snooze(at(2, 23))
    s.policy.pause(at(2, 22, 30))
    d = s.decide(at(2, 21))
    assert d.reason == "paused"
    assert d.next_allowed_wall == at(3, 7)  # pause, then snooze, then quiet hours


def test_cooldown_across_a_dst_change_is_absolute() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2026-03-29: clocks go from 02:00 CET to 03:00 CEST
    p = PromptPolicy(PolicySettings(cooldown_s=45 * 60))
    sent = datetime(2026, 3, 29, 1, 30, tzinfo=berlin)
    p.record_sent(sent, 0.0)
    d = p.decide(sent, 0.0)
    assert d.next_allowed_wall == datetime(2026, 3, 29, 3, 15, tzinfo=berlin)
    assert d.next_allowed_wall is not None
    elapsed = d.next_allowed_wall.astimezone(UTC) - sent.astimezone(UTC)
    assert elapsed == timedelta(minutes=45)
    assert d.next_allowed_wall.utcoffset() == timedelta(hours=2)


def test_from_history_carries_cooldown_and_count_over_a_restart() -> None:
    now = at(2, 12)
    p = PromptPolicy.from_history(
        PolicySettings(daily_max=3),
        [at(2, 9), at(2, 11, 40), at(1, 15), at(2, 13)],  # yesterday's and a future one ignored
        now_wall=now,
        now_mono_s=5.0,
    )
    d = p.decide(now, 5.0)
    assert (d.reason, d.next_allowed_wall) == ("cooldown", at(2, 12, 25))
    assert p.sent_on(now.date()) == 2
    assert p.decide(at(2, 12, 25), 5.0 + 25 * 60).allowed


def test_naive_times_are_refused() -> None:
    p = PromptPolicy()
    with pytest.raises(ValueError, match="timezone-aware"):
        p.decide(datetime(2026, 3, 2, 9), 0.0)
    with pytest.raises(ValueError, match="timezone-aware"):
        p.snooze(datetime(2026, 3, 2, 9))


@pytest.mark.parametrize(
    ("kwargs", "key", "text"),
    [
        ({"quiet_hours": ("25:00", "07:00")}, "quiet_hours", "'25:00' is not a time"),
        ({"quiet_hours": ("22:00", "7")}, "quiet_hours", "'7' is not a time"),
        ({"quiet_hours": ("07:00", "07:00")}, "quiet_hours", "the same time"),
        ({"quiet_hours": ("22:00",)}, "quiet_hours", "must be two times"),
        ({"daily_max": -1}, "daily_max", "outside 0 to 1000"),
        ({"daily_max": 2.5}, "daily_max", "whole number"),
        ({"cooldown_s": -5}, "cooldown_s", "outside 0 to 604800"),
        ({"snooze_s": True}, "snooze_s", "must be a number"),
    ],
)
def test_settings_are_validated(kwargs: dict[str, object], key: str, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        PolicySettings(**kwargs)  # type: ignore[arg-type]
    assert info.value.key == key and text in str(info.value)


def test_defaults() -> None:
    s = PolicySettings()
    assert (s.cooldown_s, s.quiet_hours, s.daily_max, s.snooze_s) == (2700, None, 6, 1200)
    assert PolicySettings(quiet_hours=("7:05", "22:00")).quiet_hours == ("7:05", "22:00")


# --- property: whatever the attempts, the rules hold, and next_allowed is honest -----------

QUIET = ("21:30", "06:45")


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    gaps_min=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=60),
    cooldown_min=st.integers(min_value=0, max_value=120),
    daily_max=st.integers(min_value=1, max_value=8),
    quiet=st.booleans(),
)
def test_rules_hold_for_any_sequence_of_attempts(
    gaps_min: list[int], cooldown_min: int, daily_max: int, quiet: bool
) -> None:
    settings_ = PolicySettings(
        cooldown_s=cooldown_min * 60, daily_max=daily_max, quiet_hours=QUIET if quiet else None
    )
    s = Session(settings_, at(2, 0))
    t = at(2, 0)
    sent: list[datetime] = []
    for gap in gaps_min:
        t = t + timedelta(minutes=gap)
        d = s.decide(t)
        if d.allowed:
            s.policy.record_sent(t, s.mono(t))
            sent.append(t)
            continue
        # next_allowed is in the future and really is allowed (nothing sent meanwhile)
        assert d.next_allowed_wall is not None and d.next_allowed_wall > t
        assert s.decide(d.next_allowed_wall).allowed
        # and a minute before it is not (it is the earliest, to the minute)
        assert not s.decide(d.next_allowed_wall - timedelta(minutes=1)).allowed
    for a, b in itertools.pairwise(sent):
        assert (b - a).total_seconds() >= cooldown_min * 60
    per_day: dict[date, int] = {}
    for x in sent:
        per_day[x.date()] = per_day.get(x.date(), 0) + 1
        if quiet:
            assert not (
                x.time() >= datetime(1, 1, 1, 21, 30).time()
                or x.time() < datetime(1, 1, 1, 6, 45).time()
            )
    assert all(n <= daily_max for n in per_day.values())
