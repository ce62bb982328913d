"""``kindbreak monitor``: watch live (a strap, a replayed recording or the simulator) and offer
breaks; the session summary at the end."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kindbreak.commands.context import Context
from kindbreak.errors import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from kindbreak.clock import Clock
    from kindbreak.prompts.library import Prompt
    from kindbreak.stream import HeartRateSource


def run(
    ctx: Context,
    *,
    replay: Path | None,
    simulate: bool,
    speed: float,
    device: str | None,
    duration_s: float | None,
    notifier: str | None,
    quiet: bool,
    wait: bool = False,
) -> int:
    import asyncio

    from kindbreak import app
    from kindbreak.clock import local_zone
    from kindbreak.devices.recording import recording_duration_s
    from kindbreak.live.summary import session_summary
    from kindbreak.paths import ensure_private_dir

    if wait and (replay is not None or simulate):
        from kindbreak.errors import UsageError

        raise UsageError(
            "--wait is for a strap; a recording or the simulator is always there",
            hint="Leave out --wait, or --replay/--simulate.",
        )
    paths, settings = ctx.paths, ctx.settings
    ensure_private_dir(paths.data_dir)
    source: HeartRateSource
    clock: Clock
    total: float | None
    if replay is not None:
        source, clock = app.make_replay(replay, speed)
        kind = "replay"
        total = recording_duration_s(replay)
    elif simulate:
        source, clock = app.make_simulator(speed, duration_s)
        kind = "simulator"
        total = duration_s
    else:
        source, clock = app.make_ble_source(paths, settings, device, wait=wait)
        kind = "ble"
        total = None
    strap = device or settings.device.name or settings.device.address or source.info.name
    greeting = _hello(ctx, strap) if wait else None
    if wait:
        wait_for_the_log(ctx)
    report = asyncio.run(
        app.run_session(
            paths=paths,
            settings=settings,
            source=source,
            clock=clock,
            source_kind=kind,
            notifier_kind=notifier or settings.prompts.notifier,
            quiet=quiet,
            duration_s=duration_s,
            total_s=total,
            stream=ctx.output.err,
            greeting=greeting,
        )
    )
    ctx.output.say_block(session_summary(report, local_zone(settings.prompts.timezone)))
    # Ctrl-C closes the session like SIGTERM does, but exits as every command does after it.
    return EXIT_INTERRUPTED if report.stopped_by == "SIGINT" else 0


def _hello(ctx: Context, device: str) -> Prompt | None:
    """The background service's first start after ``service install`` says hello once."""
    from kindbreak.prompts.library import INFO_KIND, Prompt
    from kindbreak.service.spec import take_hello

    if not take_hello(ctx.paths):
        return None
    return Prompt(
        id="service-hello",
        kind=INFO_KIND,
        title="kindbreak is on",
        body=f"It runs in the background from now on and listens for {device} whenever you "
        "wear it. To see how you are, type kindbreak status in a terminal.",
    )


LOG_FREE_RETRY_S = 30.0
"""``--wait``: how often to look whether another monitor has let go of the log."""


def wait_for_the_log(ctx: Context, *, retry_s: float = LOG_FREE_RETRY_S) -> None:
    """``--wait`` (the service): while another monitor runs on this log (one started by hand
    in a terminal), wait for it to end rather than fail, then take over; said once."""
    import asyncio
    import logging

    from kindbreak.clock import SystemClock
    from kindbreak.errors import local_time
    from kindbreak.store.lock import monitor_holder

    holder = monitor_holder(ctx.paths.db)
    if holder is None:
        return
    since = f", since {local_time(holder.since_wall)}" if holder.since_wall else ""
    message = f"another monitor runs on this log (pid {holder.pid}{since}); waiting until it ends"
    logging.getLogger("kindbreak").info("%s", message)
    ctx.output.note(message)
    clock = SystemClock()
    while monitor_holder(ctx.paths.db) is not None:
        asyncio.run(clock.sleep(retry_s))
