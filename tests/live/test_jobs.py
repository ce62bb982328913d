"""The monitor's jobs on a virtual clock: hours of local time driven in milliseconds."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from io import StringIO
from typing import Any

from kindbreak.clock import VirtualClock
from kindbreak.live.events import EpisodeRising
from kindbreak.live.jobs import SessionJobs
from kindbreak.live.prompt_sink import PromptSink
from kindbreak.live.status import StatusLine
from kindbreak.paths import Paths
from kindbreak.prompts.pause import PauseState, write_pause
from kindbreak.signal.detector import DetectorEvent, EventKind
from kindbreak.store.db import Store
from support.sinks import ZONE, FakeNotifier, local_wall, make_settings, make_sink, scored_window

START = "08:00"


async def drive(clock: VirtualClock, until_hhmm: str, step_s: float = 30.0) -> None:
    """Push virtual time forward to a local time, letting the scheduler run at each step."""
    end = local_wall(until_hhmm) - clock.wall() + clock.monotonic()
    t = clock.monotonic()
    while t < end:
        t = min(end, t + step_s)
        clock.advance_to(t)
        for _ in range(6):
            await asyncio.sleep(0)


def rising(clock: VirtualClock) -> EpisodeRising:
    return EpisodeRising(
        DetectorEvent(EventKind.RISING, clock.monotonic(), 80.0, clock.monotonic(), 80.0)
    )


@contextlib.asynccontextmanager
async def running(jobs: SessionJobs) -> AsyncIterator[None]:
    """The jobs' scheduler running, as inside a session (which runs each sink's ``run``)."""
    task = asyncio.create_task(jobs.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def hhmm(wall: float) -> str:
    return datetime.fromtimestamp(wall, ZONE).strftime("%H:%M")


def setup(
    paths: Paths, store: Store, **prompts: Any
) -> tuple[VirtualClock, PromptSink, FakeNotifier, SessionJobs]:
    clock = VirtualClock(wall_start_s=local_wall(START))
    settings = make_settings(**prompts)
    notifier = FakeNotifier()
    sink = make_sink(paths, store, clock, settings, notifier=notifier)
    status = StatusLine(StringIO(), enabled=False, next_prompt_source=sink.next_prompt_text)
    jobs = SessionJobs(
        clock=clock, settings=settings, sink=sink, store=store, notifier=notifier, status=status
    )
    return clock, sink, notifier, jobs


def prompts(store: Store) -> list[tuple[str, str]]:
    return [
        (hhmm(r["wall"]), r["trigger"]) for r in store.query("SELECT * FROM prompts ORDER BY id")
    ]


def test_checkins_fire_at_their_set_times(paths: Paths, store: Store) -> None:
    clock, _, _, jobs = setup(paths, store, checkins=("11:00", "15:30"))

    async def scenario() -> None:
        async with running(jobs):
            await drive(clock, "18:00")

    asyncio.run(scenario())
    assert prompts(store) == [("11:00", "checkin"), ("15:30", "checkin")]
    assert jobs.checkins == [("11:00", True), ("15:30", True)]


def test_checkins_respect_quiet_hours_and_the_daily_cap(paths: Paths, store: Store) -> None:
    clock, _, _, jobs = setup(
        paths,
        store,
        checkins=("09:00", "11:00", "13:00", "22:30"),
        quiet_hours=("22:00", "07:00"),
        daily_max=2,
        cooldown_min=0.0,
    )

    async def scenario() -> None:
        async with running(jobs):
            await drive(clock, "23:00")

    asyncio.run(scenario())
    assert prompts(store) == [("09:00", "checkin"), ("11:00", "checkin")]
    assert jobs.checkins == [
        ("09:00", True),
        ("11:00", True),
        ("13:00", False),  # daily cap
        ("22:30", False),  # quiet hours
    ]


def test_cooldown_between_a_stress_prompt_and_a_checkin(paths: Paths, store: Store) -> None:
    clock, sink, _, jobs = setup(paths, store, checkins=("11:00",), cooldown_min=45.0)

    async def scenario() -> None:
        async with running(jobs):
            await drive(clock, "10:30")
            await sink.handle(rising(clock))  # sent at 10:30
            await drive(clock, "11:10")  # the 11:00 check-in is inside the cooldown
            await sink.handle(rising(clock))  # still cooling down
            await drive(clock, "11:16")
            await sink.handle(rising(clock))  # 46 min later: allowed

    asyncio.run(scenario())
    assert prompts(store) == [("10:30", "stress"), ("11:16", "stress")]
    assert jobs.checkins == [("11:00", False)]


def test_snooze_holds_back_prompts_for_snooze_min(paths: Paths, store: Store) -> None:
    clock, sink, notifier, jobs = setup(paths, store, cooldown_min=0.0, snooze_min=20.0)

    async def scenario() -> None:
        async with running(jobs):
            await drive(clock, "09:00")
            await sink.handle(rising(clock))
            sink.on_action(notifier.sent[0].id, "snooze")
            await drive(clock, "09:15")
            await sink.handle(rising(clock))
            await drive(clock, "09:21")
            await sink.handle(rising(clock))

    asyncio.run(scenario())
    assert prompts(store) == [("09:00", "stress"), ("09:21", "stress")]
    (practice,) = store.query("SELECT * FROM practices")
    assert practice["outcome"] == "snoozed"


def test_pause_file_is_read_by_the_tick_and_before_each_prompt(paths: Paths, store: Store) -> None:
    clock, sink, _, jobs = setup(paths, store, cooldown_min=0.0, snooze_min=20.0)
    texts: list[str] = []

    async def scenario() -> None:
        async with running(jobs):
            await drive(clock, "09:00")
            # another process runs `kindbreak pause 30m` at 09:00
            write_pause(paths.data_dir, PauseState(clock.wall(), clock.wall() + 1800.0))
            await drive(clock, "09:01")
            assert jobs.status is not None
            texts.append(jobs.status.next_prompt)
            await sink.handle(rising(clock))
            await drive(clock, "09:29")
            await sink.handle(rising(clock))
            await drive(clock, "09:31")
            texts.append(jobs.status.next_prompt)
            await sink.handle(rising(clock))

    asyncio.run(scenario())
    assert texts == ["next prompt after 09:30", "prompt ready if stress rises"]
    assert prompts(store) == [("09:31", "stress")]


def test_end_of_day_summary_at_its_time(paths: Paths, store: Store) -> None:
    clock, sink, notifier, jobs = setup(paths, store, summary_at="17:30", cooldown_min=0.0)
    sid = sink.session_id
    # an hour of windows, 30 s apart: 40 min at score 20 (rest), 20 min at score 80 (high)
    for i in range(120):
        score = 20.0 if i < 80 else 80.0
        store.add_window(sid, scored_window(i * 30.0, 3600.0 + i * 30.0, score))
    seen: list[int] = []

    async def scenario() -> None:
        async with running(jobs):
            await drive(clock, "12:00")
            await sink.handle(rising(clock))
            sink.on_action(notifier.sent[-1].id, "done")
            await drive(clock, "17:29")
            seen.append(len(jobs.summaries))
            await drive(clock, "17:31")

    asyncio.run(scenario())
    assert seen == [0]
    (summary,) = jobs.summaries
    assert summary.band_s["rest"] == 80 * 30.0
    assert summary.band_s["high"] == 40 * 30.0
    assert (summary.prompts, summary.done) == (1, 1)
    note = notifier.sent[-1]
    assert note.id == "summary-2026-03-02"
    assert "1 h" in note.body and "you took 1 kind break" in note.body


def test_policy_and_weights_survive_a_restart(paths: Paths, store: Store) -> None:
    clock, sink, notifier, _ = setup(paths, store, cooldown_min=45.0, daily_max=2)

    async def first() -> None:
        await sink.handle(rising(clock))
        sink.on_action(notifier.sent[0].id, "done")

    asyncio.run(first())
    kind = notifier.sent[0].kind
    clock.advance_to(clock.monotonic() + 600.0)
    # a new process: a fresh clock at the same wall time, a new sink on the same store
    later = VirtualClock(wall_start_s=clock.wall())
    again = make_sink(paths, store, later, make_settings(cooldown_min=45.0, daily_max=2))
    decision = again.policy.decide(again.now_local(), later.monotonic())
    assert (decision.allowed, decision.reason) == (False, "cooldown")
    assert hhmm(decision.next_allowed_wall.timestamp()) == "08:45"  # type: ignore[union-attr]
    assert again.kind_weights[kind] > max(w for k, w in again.kind_weights.items() if k != kind)
    assert again.recent == [notifier.sent[0].id]
