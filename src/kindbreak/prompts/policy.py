"""Whether a stress rise may become a notification now. Pure: time is always passed in.

Checks, in order (the first that blocks gives the ``reason``):

``paused``       the person paused prompts (until a time, or until :meth:`PromptPolicy.resume`)
``snoozed``      the person pressed "Snooze" on a notification
``quiet_hours``  inside the quiet hours (a window that may cross midnight, local time)
``daily_max``    already ``daily_max`` prompts today (the count resets at local midnight)
``cooldown``     less than ``cooldown_s`` since the last prompt (monotonic clock)

``next_allowed_wall`` is the earliest time at which *every* check passes (assuming nothing is
sent meanwhile), not just the end of the first block: quiet hours that end while the cooldown
still runs give the cooldown's end. It is ``None`` when prompts are paused with no end.

Wall times are timezone-aware datetimes in the person's local zone (for example
``datetime.fromtimestamp(clock.wall(), tz=ZoneInfo(...))``); quiet hours and the daily count
follow that zone. Pass the same zone every time. The cooldown runs on the monotonic clock, so a
wall-clock jump (NTP, DST) never shortens it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from kindbreak.errors import ConfigError

REASON_OK = "ok"
REASON_PAUSED = "paused"
REASON_SNOOZED = "snoozed"
REASON_QUIET = "quiet_hours"
REASON_DAILY_MAX = "daily_max"
REASON_COOLDOWN = "cooldown"

_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


def parse_hhmm(value: str, *, key: str = "quiet_hours") -> time:
    """``"22:00"`` -> ``time(22, 0)``; anything else raises :class:`ConfigError`."""
    m = _HHMM.fullmatch(value.strip()) if isinstance(value, str) else None
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ConfigError(None, key, f'{value!r} is not a time like "22:00" (00:00 to 23:59)')
    return time(int(m.group(1)), int(m.group(2)))


@dataclass(frozen=True, slots=True)
class PolicySettings:
    cooldown_s: float = 45 * 60
    """Least time between two prompts."""
    quiet_hours: tuple[str, str] | None = None
    """(start, end) local times, e.g. ("22:00", "07:00"); may cross midnight; None: none."""
    daily_max: int = 6
    """Most prompts per local calendar day; 0 turns prompts off."""
    snooze_s: float = 20 * 60
    """How long the "Snooze" button holds prompts back."""

    def __post_init__(self) -> None:
        for key in ("cooldown_s", "snooze_s"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(None, key, f"must be a number of seconds, got {value!r}")
            if not 0 <= value <= 7 * 24 * 3600:
                raise ConfigError(None, key, f"{value!r} is outside 0 to 604800 seconds (7 days)")
        if isinstance(self.daily_max, bool) or not isinstance(self.daily_max, int):
            raise ConfigError(None, "daily_max", f"must be a whole number, got {self.daily_max!r}")
        if not 0 <= self.daily_max <= 1000:
            raise ConfigError(None, "daily_max", f"{self.daily_max!r} is outside 0 to 1000")
        if self.quiet_hours is not None:
            qh = self.quiet_hours
            if not (isinstance(qh, tuple | list) and len(qh) == 2):
                raise ConfigError(None, "quiet_hours", 'must be two times, like ("22:00", "07:00")')
            start, end = parse_hhmm(qh[0]), parse_hhmm(qh[1])
            if start == end:
                raise ConfigError(
                    None, "quiet_hours", "start and end are the same time; leave it out for none"
                )
            object.__setattr__(self, "quiet_hours", (qh[0].strip(), qh[1].strip()))

    @property
    def quiet_times(self) -> tuple[time, time] | None:
        if self.quiet_hours is None:
            return None
        return parse_hhmm(self.quiet_hours[0]), parse_hhmm(self.quiet_hours[1])


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    """``ok``, ``paused``, ``snoozed``, ``quiet_hours``, ``daily_max`` or ``cooldown``."""
    next_allowed_wall: datetime | None
    """Now when allowed; else the earliest time every check passes; None: paused with no end."""
    detail: str = ""
    """A short human sentence for a status line, e.g. "quiet hours until 07:00"."""


# --- time helpers (absolute arithmetic: aware + timedelta in Python is wall-clock arithmetic) -


def _add(t: datetime, seconds: float) -> datetime:
    tz = t.tzinfo
    assert tz is not None
    return (t.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(tz)


def _utc(t: datetime) -> datetime:
    """For comparisons: aware datetimes that share a tzinfo compare by wall time (fold and
    all), so two instants an hour apart in a DST change could compare equal."""
    return t.astimezone(UTC)


def _at(day: date, tod: time, tz: tzinfo | None) -> datetime:
    return datetime.combine(day, tod, tzinfo=tz)


def _next_midnight(t: datetime) -> datetime:
    return _at(t.date() + timedelta(days=1), time(0, 0), t.tzinfo)


def _require_aware(name: str, t: datetime) -> None:
    if t.tzinfo is None or t.tzinfo.utcoffset(t) is None:
        raise ValueError(f"{name} must be a timezone-aware datetime (local time), got {t!r}")


def _hm(t: datetime) -> str:
    return t.strftime("%H:%M")


def in_quiet_hours(t: datetime, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    tod = t.time()
    if start < end:
        return start <= tod < end
    return tod >= start or tod < end


def quiet_hours_end(t: datetime, quiet: tuple[time, time]) -> datetime:
    """The first end of the quiet window strictly after ``t`` (local, same zone as ``t``)."""
    _, end = quiet
    day = t.date() if t.time() < end else t.date() + timedelta(days=1)
    out = _at(day, end, t.tzinfo)
    if _utc(out) <= _utc(t):  # a DST gap can move a local time backwards
        out = _at(day + timedelta(days=1), end, t.tzinfo)
    return out


class PromptPolicy:
    """The notification policy's state: when the last prompt went out, today's count, snooze
    and pause. Call :meth:`decide` before sending and :meth:`record_sent` after a prompt was
    shown. Nothing here reads a clock."""

    _MAX_STEPS = 32

    def __init__(self, settings: PolicySettings | None = None) -> None:
        self.settings = settings if settings is not None else PolicySettings()
        self._quiet = self.settings.quiet_times
        self._last_sent_mono_s: float | None = None
        self._day: date | None = None
        self._sent_on_day = 0
        self._snoozed_until: datetime | None = None
        self._paused_until: datetime | None = None
        self._paused_indefinitely = False

    # --- restoring after a restart -----------------------------------------------------------

    @classmethod
    def from_history(
        cls,
        settings: PolicySettings | None,
        sent_walls: Iterable[datetime],
        *,
        now_wall: datetime,
        now_mono_s: float,
    ) -> PromptPolicy:
        """A policy that remembers prompts sent before this session (from the store).

        Each earlier send's monotonic time is placed ``now_wall - sent`` seconds before
        ``now_mono_s``, so the cooldown and today's count carry over a restart.
        """
        _require_aware("now_wall", now_wall)
        policy = cls(settings)
        tz = now_wall.tzinfo
        for sent in sorted(sent_walls, key=_utc):
            _require_aware("sent time", sent)
            if _utc(sent) > _utc(now_wall):
                continue
            ago_s = (_utc(now_wall) - _utc(sent)).total_seconds()
            policy.record_sent(sent.astimezone(tz), now_mono_s - ago_s)
        return policy

    # --- state changes ---------------------------------------------------------------------

    def record_sent(self, now_wall: datetime, now_mono_s: float) -> None:
        """A prompt was shown at this time."""
        _require_aware("now_wall", now_wall)
        day = now_wall.date()
        if day != self._day:
            self._day = day
            self._sent_on_day = 0
        self._sent_on_day += 1
        if self._last_sent_mono_s is None or now_mono_s > self._last_sent_mono_s:
            self._last_sent_mono_s = now_mono_s

    def snooze(self, until: datetime) -> None:
        """Hold prompts back until ``until`` (the "Snooze" button)."""
        _require_aware("until", until)
        self._snoozed_until = until

    def snooze_for(self, now_wall: datetime, seconds: float | None = None) -> datetime:
        """Snooze for ``seconds`` (default ``settings.snooze_s``) from now; returns the end."""
        _require_aware("now_wall", now_wall)
        until = _add(now_wall, self.settings.snooze_s if seconds is None else seconds)
        self.snooze(until)
        return until

    def pause(self, until: datetime | None) -> None:
        """Pause prompts until ``until``, or until :meth:`resume` when ``until`` is None."""
        if until is None:
            self._paused_indefinitely = True
            self._paused_until = None
        else:
            _require_aware("until", until)
            self._paused_indefinitely = False
            self._paused_until = until

    def resume(self) -> None:
        """End a pause and a snooze."""
        self._paused_indefinitely = False
        self._paused_until = None
        self._snoozed_until = None

    # --- queries ----------------------------------------------------------------------------

    def sent_on(self, day: date) -> int:
        return self._sent_on_day if day == self._day else 0

    def decide(self, now_wall: datetime, now_mono_s: float) -> Decision:
        """May a prompt be sent now? See the module docstring for the checks and reasons."""
        _require_aware("now_wall", now_wall)
        cooldown_end: datetime | None = None
        if self._last_sent_mono_s is not None:
            remaining_s = self._last_sent_mono_s + self.settings.cooldown_s - now_mono_s
            if remaining_s > 0:
                cooldown_end = _add(now_wall, remaining_s)
        first = self._blocker(now_wall, cooldown_end)
        if first is None:
            return Decision(True, REASON_OK, now_wall, "a prompt may be sent now")
        reason, detail, _ = first
        # walk forward through the blocks to the first moment everything passes
        t: datetime | None = now_wall
        for _ in range(self._MAX_STEPS):
            assert t is not None
            block = self._blocker(t, cooldown_end)
            if block is None:
                break
            t = block[2]
            if t is None:
                break
        return Decision(False, reason, t, detail)

    def _blocker(
        self, t: datetime, cooldown_end: datetime | None
    ) -> tuple[str, str, datetime | None] | None:
        """The first check that blocks at ``t``: (reason, detail, when it stops blocking)."""
        tz = t.tzinfo
        if self._paused_indefinitely:
            return REASON_PAUSED, "paused until you resume", None
        if self._paused_until is not None and _utc(t) < _utc(self._paused_until):
            end = self._paused_until.astimezone(tz)
            return REASON_PAUSED, f"paused until {_hm(end)}", end
        if self._snoozed_until is not None and _utc(t) < _utc(self._snoozed_until):
            end = self._snoozed_until.astimezone(tz)
            return REASON_SNOOZED, f"snoozed until {_hm(end)}", end
        if self._quiet is not None and in_quiet_hours(t, self._quiet):
            end = quiet_hours_end(t, self._quiet)
            return REASON_QUIET, f"quiet hours until {_hm(end)}", end
        cap = self.settings.daily_max
        if cap == 0:
            return REASON_DAILY_MAX, "prompts are turned off (daily_max = 0)", None
        if self.sent_on(t.date()) >= cap:
            return (
                REASON_DAILY_MAX,
                f"{cap} prompts today already; more tomorrow",
                _next_midnight(t),
            )
        if cooldown_end is not None and _utc(t) < _utc(cooldown_end):
            end = cooldown_end.astimezone(tz)
            return REASON_COOLDOWN, f"resting between prompts until {_hm(end)}", end
        return None


__all__ = [
    "Decision",
    "PolicySettings",
    "PromptPolicy",
    "in_quiet_hours",
    "parse_hhmm",
    "quiet_hours_end",
]
