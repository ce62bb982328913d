"""A button pressed on a real notification server (D-Bus) is logged as a practice."""

from __future__ import annotations

import asyncio
from io import StringIO

from kindbreak.app import make_notifier
from kindbreak.clock import VirtualClock
from kindbreak.paths import Paths
from kindbreak.store.db import Store
from support.notification_server import NotificationServer
from support.scenario import run
from support.sinks import local_wall, make_settings, make_sink


async def _until(predicate: object, what: str) -> None:
    """Wait for a D-Bus signal to arrive (inter-process: real time, bounded by run()'s net)."""
    while not predicate():  # type: ignore[operator]
        await asyncio.sleep(0.01)


def test_did_it_records_a_done_practice_with_the_score(
    notification_server: NotificationServer, paths: Paths, store: Store
) -> None:
    clock = VirtualClock(wall_start_s=local_wall("10:00"))

    async def scenario() -> None:
        holder: list[object] = []
        notifier = await make_notifier(
            "desktop",
            StringIO(),
            lambda pid, act: holder[0].on_action(pid, act),  # type: ignore[attr-defined]
        )
        try:
            sink = make_sink(paths, store, clock, make_settings(), notifier=notifier)
            holder.append(sink)
            sink.score = 81.0
            assert await sink.offer(trigger="stress", t_s=0.0, score=81.0)
            assert len(notification_server.notify_calls()) == 1
            clock.advance_to(120.0)
            sink.score = 64.0  # the stress state when the person pressed the button
            notification_server.invoke_action(1, "done")
            await _until(lambda: store.count("practices") == 1, "the practice")
        finally:
            await notifier.aclose()  # type: ignore[attr-defined]

    run(scenario())
    (prompt,) = store.query("SELECT * FROM prompts")
    (practice,) = store.query("SELECT * FROM practices")
    assert prompt["trigger"] == "stress" and prompt["notifier"] == "desktop"
    assert prompt["score"] == 81.0
    assert practice["outcome"] == "done"
    assert practice["prompt_row_id"] == prompt["id"]
    assert practice["kind"] == prompt["kind"]
    assert practice["score"] == 64.0
    assert practice["wall"] == local_wall("10:02")


def test_snooze_over_dbus_holds_prompts_back(
    notification_server: NotificationServer, paths: Paths, store: Store
) -> None:
    clock = VirtualClock(wall_start_s=local_wall("10:00"))
    settings = make_settings(cooldown_min=0.0, snooze_min=20.0)

    async def scenario() -> list[bool]:
        holder: list[object] = []
        notifier = await make_notifier(
            "desktop",
            StringIO(),
            lambda pid, act: holder[0].on_action(pid, act),  # type: ignore[attr-defined]
        )
        try:
            sink = make_sink(paths, store, clock, settings, notifier=notifier)
            holder.append(sink)
            assert await sink.offer(trigger="stress", t_s=0.0, score=80.0)
            notification_server.invoke_action(1, "snooze")
            await _until(lambda: store.count("practices") == 1, "the snooze")
            clock.advance_to(19 * 60.0)
            during = await sink.offer(trigger="stress", t_s=clock.monotonic(), score=80.0)
            clock.advance_to(21 * 60.0)
            after = await sink.offer(trigger="stress", t_s=clock.monotonic(), score=80.0)
            return [during, after]
        finally:
            await notifier.aclose()  # type: ignore[attr-defined]

    assert run(scenario()) == [False, True]
    outcomes = [r["outcome"] for r in store.query("SELECT outcome FROM practices ORDER BY id")]
    assert outcomes == ["snoozed"]
