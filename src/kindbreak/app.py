"""The composition root: builds the clock, source, pipeline, store and notifier, and runs them.

Nothing else in kindbreak constructs hardware or picks implementations. ``monitor`` (live or
replay) and ``demo`` both come through :func:`kindbreak.session.run_session`, so a replayed
recording runs exactly the code path a strap runs, with a virtual clock instead of the system
clock.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from kindbreak.baselines import save_baseline_snapshot, stored_baseline
from kindbreak.clock import Clock, SystemClock, VirtualClock
from kindbreak.config import Settings
from kindbreak.paths import Paths, ensure_private_dir
from kindbreak.signal.pipeline import Pipeline, PipelineSettings
from kindbreak.store.db import Store
from kindbreak.stream import HeartRateSource

log = logging.getLogger("kindbreak")


def pipeline_settings(settings: Settings) -> PipelineSettings:
    return PipelineSettings(window_s=settings.signal.window_s, step_s=settings.signal.step_s)


def make_replay(path: Path, speed: float) -> tuple[HeartRateSource, VirtualClock]:
    """A replay source and the virtual clock it drives (speed 0 = as fast as possible)."""
    from kindbreak.devices.recording import RecordingReader
    from kindbreak.devices.replay import ReplaySource

    probe = RecordingReader(path)  # the header only: replay reads the file itself
    probe.close()
    header = probe.header
    wall0 = header.start_wall.timestamp() if header.start_wall is not None else time.time()
    clock = VirtualClock(wall_start_s=wall0, speed=speed if speed > 0 else math.inf)
    return ReplaySource(path, clock), clock


def recording_duration_s(path: Path) -> float:
    """Time of the last item of a recording (reads only the file's tail)."""
    import json

    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        lines = [ln for ln in fh.read().splitlines() if ln.strip()]
    for line in reversed(lines):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("t"), int | float):
            return float(obj["t"])
    return 0.0


async def make_notifier(
    kind: str, stream: TextIO, on_action: Callable[[str, str], None] | None = None
) -> object:
    from kindbreak.prompts.notifier import make_notifier as build

    return await build(kind, stream=stream, on_action=on_action, log=log)


async def _run(
    *,
    paths: Paths,
    settings: Settings,
    source: HeartRateSource,
    clock: Clock,
    source_kind: str,
    notifier_kind: str,
    quiet: bool,
    duration_s: float | None,
    total_s: float | None,
    stream: TextIO,
    seed: int | None = None,
) -> int:
    from kindbreak.prompting import PromptSink
    from kindbreak.report.text import session_summary
    from kindbreak.scheduling import SessionJobs
    from kindbreak.session import run_session
    from kindbreak.status import StatusLine

    store = Store(paths.db)
    try:
        info = source.info
        session_id = store.start_session(
            started_wall=clock.wall(),
            source=source_kind,
            device_name=info.name,
            device_address=info.address,
        )
        # Buttons reach the prompt sink on the loop's thread (the store has one owner).
        loop = asyncio.get_running_loop()
        sinks: list[PromptSink] = []

        def on_action(prompt_id: str, action: str) -> None:
            def deliver() -> None:
                for sink in sinks:
                    sink.on_action(prompt_id, action)

            loop.call_soon_threadsafe(deliver)

        notifier = await make_notifier(notifier_kind, stream, on_action)
        try:
            status = StatusLine(stream, enabled=not quiet, total_s=total_s, real_now=time.monotonic)
            status.device = info.name
            prompt_sink = PromptSink(
                settings=settings,
                paths=paths,
                notifier=notifier,
                store=store,
                session_id=session_id,
                clock=clock,
                rng=random.Random(seed),
                out=stream,
                say=status.say,
            )
            sinks.append(prompt_sink)
            jobs = SessionJobs(
                clock=clock,
                settings=settings,
                sink=prompt_sink,
                store=store,
                notifier=notifier,
                status=status,
            )
            jobs.start()
            try:
                stop = asyncio.Event()
                _stop_on_signals(stop)
                report = await run_session(
                    source=source,
                    clock=clock,
                    pipeline=Pipeline(
                        pipeline_settings(settings), baseline=stored_baseline(store, clock.wall())
                    ),
                    store=store,
                    session_id=session_id,
                    prompt_sink=prompt_sink,
                    status=status,
                    duration_s=duration_s,
                    stop=stop,
                )
            finally:
                jobs.shutdown()
        finally:
            await notifier.aclose()  # type: ignore[attr-defined]
            await source.aclose()
        store.end_session(session_id, clock.wall())
        save_baseline_snapshot(store, clock.wall(), session_id)
    finally:
        store.close()
    stream.write(session_summary(report))
    stream.flush()
    return 0


def _stop_on_signals(stop: asyncio.Event) -> None:
    """Ctrl-C or SIGTERM ends monitoring cleanly: the session is closed, its summary shown."""
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            return


def run_demo(
    paths: Paths, settings: Settings, recording: Path, *, notifier: str | None, quiet: bool
) -> int:
    """Replay the bundled workday as fast as the machine allows into a fresh demo log."""
    demo_dir = paths.data_dir / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    ensure_private_dir(demo_dir)
    demo_paths = Paths(data_dir=demo_dir, config_dir=paths.config_dir, state_dir=paths.state_dir)
    source, clock = make_replay(recording, math.inf)
    out = sys.stderr
    out.write(f"kindbreak demo: replaying {recording.name} ({source.info.name}) into {demo_dir}\n")
    t0 = time.perf_counter()
    rc = asyncio.run(
        _run(
            paths=demo_paths,
            settings=settings,
            source=source,
            clock=clock,
            source_kind="demo",
            notifier_kind=notifier or settings.prompts.notifier,
            quiet=quiet,
            duration_s=None,
            total_s=recording_duration_s(recording),
            stream=out,
            seed=7,
        )
    )
    out.write(
        f"demo finished in {time.perf_counter() - t0:.1f} s of wall time; log: {demo_paths.db}\n"
        f"Look back at it: kindbreak report --data-dir {demo_dir} "
        "(add --html report.html for the full page)\n"
    )
    return rc


def run_monitor(
    paths: Paths,
    settings: Settings,
    *,
    replay: Path | None,
    simulate: bool = False,
    speed: float,
    device: str | None,
    duration_s: float | None,
    notifier: str | None,
    quiet: bool,
) -> int:
    ensure_private_dir(paths.data_dir)
    out = sys.stderr
    clock: Clock
    total: float | None
    if replay is not None:
        source, clock = make_replay(replay, speed)
        kind = "replay"
        total = recording_duration_s(replay)
    elif simulate:
        source, clock = make_simulator(speed, duration_s)
        kind = "simulator"
        total = duration_s
    else:
        source, clock = make_ble_source(paths, settings, device)
        kind = "ble"
        total = None
    return asyncio.run(
        _run(
            paths=paths,
            settings=settings,
            source=source,
            clock=clock,
            source_kind=kind,
            notifier_kind=notifier or settings.prompts.notifier,
            quiet=quiet,
            duration_s=duration_s,
            total_s=total,
            stream=out,
        )
    )


def make_simulator(speed: float, duration_s: float | None) -> tuple[HeartRateSource, Clock]:
    """A simulated strap with a stress episode from minute 12 to 22 of each half hour."""
    from kindbreak.devices.simulator import SimulatedEpisode, SimulatorSettings, SimulatorSource

    clock: Clock = (
        SystemClock()
        if speed == 1.0
        else VirtualClock(wall_start_s=time.time(), speed=speed or math.inf)
    )
    episodes = [SimulatedEpisode(k * 1800.0 + 720.0, k * 1800.0 + 1320.0) for k in range(48)]
    settings = SimulatorSettings(duration_s=duration_s or math.inf, episodes=episodes)
    return SimulatorSource(clock, settings, seed=int(time.time())), clock


def make_ble_source(
    paths: Paths, settings: Settings, device: str | None
) -> tuple[HeartRateSource, Clock]:
    """The strap the user chose: ``--device`` (then remembered) or the saved choice.

    kindbreak never connects to a device the user has not named once.
    """
    from kindbreak.config import remember_device
    from kindbreak.devices.ble import BleSource
    from kindbreak.errors import NoDeviceChosen

    target = device or settings.device.address or settings.device.name
    if not target:
        raise NoDeviceChosen("no strap chosen yet")
    if device:
        from kindbreak.devices.scan import looks_like_address

        is_address = looks_like_address(device)
        remember_device(
            paths.config_file,
            address=device if is_address else "",
            name="" if is_address else device,
        )
    clock = SystemClock()
    return BleSource(target, clock), clock


def run_scan(timeout_s: float, as_json: bool, details: bool, settings: Settings) -> int:
    import json

    from kindbreak.devices.scan import fetch_device_details, scan_heart_rate_devices

    async def go() -> list[dict[str, object]]:
        found = await scan_heart_rate_devices(timeout_s)
        rows: list[dict[str, object]] = []
        for dev in found:
            row: dict[str, object] = {
                "name": dev.name,
                "address": dev.address,
                "rssi_dbm": dev.rssi_dbm,
            }
            if details:
                _, info = await fetch_device_details(dev.address)
                row["battery_pct"] = info.battery_pct
                row["body_location"] = info.body_location
            row["chosen"] = dev.address.upper() == settings.device.address.upper() or (
                bool(settings.device.name)
                and dev.name.casefold() == settings.device.name.casefold()
            )
            rows.append(row)
        return rows

    rows = asyncio.run(go())
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
        return 0
    if not rows:
        sys.stdout.write(
            f"No heart-rate device seen in {timeout_s:g} s. Wake the strap (wet the electrodes, "
            "put it on) and keep it close.\n"
        )
        return 1
    sys.stdout.write(f"{'name':<28} {'address':<19} {'signal':>8}  extra\n")
    for r in rows:
        extra = []
        if r.get("battery_pct") is not None:
            extra.append(f"battery {r['battery_pct']} %")
        if r.get("body_location"):
            extra.append(str(r["body_location"]))
        if r["chosen"]:
            extra.append("your strap")
        sys.stdout.write(
            f"{str(r['name']) or 'unnamed':<28} {r['address']!s:<19} {r['rssi_dbm']!s:>4} dBm  "
            f"{', '.join(extra)}\n"
        )
    sys.stdout.write("Choose one with: kindbreak monitor --device ADDRESS (remembered)\n")
    return 0


def run_record(
    paths: Paths,
    settings: Settings,
    *,
    device: str | None,
    out: Path,
    duration_s: float | None,
    quiet: bool,
) -> int:
    """Write the strap's raw notifications to a recording (the fixture format)."""
    from datetime import UTC, datetime

    from kindbreak.devices.recording import RecordingHeader, RecordingWriter
    from kindbreak.stream import DeviceInfo, Notification, StateEvent

    source, clock = make_ble_source(paths, settings, device)

    async def go() -> int:
        count = 0
        header = RecordingHeader(
            device=DeviceInfo(name=source.info.name, address=source.info.address),
            start_wall=datetime.fromtimestamp(clock.wall(), tz=UTC),
            note="recorded with kindbreak record",
        )
        with RecordingWriter(out, header) as writer:
            try:
                async for item in source.stream():
                    writer.write(item)
                    if isinstance(item, Notification):
                        count += 1
                    elif isinstance(item, StateEvent) and not quiet:
                        sys.stderr.write(f"kindbreak: {item.state.value} {item.detail}\n")
                    if duration_s is not None and item.t_s >= duration_s:
                        break
            finally:
                await source.aclose()
        sys.stderr.write(f"kindbreak: wrote {count} notifications to {out}\n")
        return 0

    return asyncio.run(go())


# -- the practice commands: log, pause, resume, breathe ----------------------------------------


def run_log(
    paths: Paths,
    settings: Settings,
    *,
    outcome: str,
    note: str,
    kind: str | None,
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """``kindbreak log done|skipped``: answer the last prompt, or log a practice on its own."""
    from kindbreak.practice import log_practice

    clock = clock if clock is not None else SystemClock()
    ensure_private_dir(paths.data_dir)
    with Store(paths.db) as store:
        logged = log_practice(store, outcome=outcome, now_wall=clock.wall(), note=note, kind=kind)
    (out or sys.stdout).write(logged.confirmation() + "\n")
    return 0


def run_pause(
    paths: Paths,
    settings: Settings,
    duration: str | None,
    *,
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """``kindbreak pause [DURATION]``: write the pause file a running monitor reads."""
    from kindbreak.practice import PauseState, parse_duration, pause_message, write_pause
    from kindbreak.prompting import local_zone

    seconds = parse_duration(duration) if duration is not None else None
    clock = clock if clock is not None else SystemClock()
    now = clock.wall()
    state = PauseState(since_wall=now, until_wall=None if seconds is None else now + seconds)
    ensure_private_dir(paths.data_dir)
    write_pause(paths.data_dir, state)
    (out or sys.stdout).write(pause_message(state, local_zone(settings)) + "\n")
    return 0


def run_resume(paths: Paths, *, out: TextIO | None = None) -> int:
    from kindbreak.practice import clear_pause

    had = clear_pause(paths.data_dir)
    text = "Prompts are back on." if had else "Prompts were not paused; nothing to resume."
    (out or sys.stdout).write(text + "\n")
    return 0


def run_breathe(
    paths: Paths,
    settings: Settings,
    *,
    minutes: float,
    rate_bpm: float,
    with_strap: bool,
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """``kindbreak breathe``: the paced breathing guide, logged as a "breath" practice."""
    from kindbreak.breathe import BreathPlan, HeartRateFeed, breathe_session
    from kindbreak.practice import fresh_score

    plan = BreathPlan(minutes=minutes, rate_bpm=rate_bpm)
    stream = out or sys.stdout
    feed: HeartRateFeed | None = None
    if with_strap:
        if settings.device.address or settings.device.name:
            source, strap_clock = make_ble_source(paths, settings, None)
            clock = clock or strap_clock
            feed = HeartRateFeed(source)
        else:
            stream.write(
                "kindbreak: no strap remembered yet, so no heart rate this time "
                "(choose one with `kindbreak monitor --device ADDRESS`).\n"
            )
    guide_clock: Clock = clock if clock is not None else SystemClock()
    ensure_private_dir(paths.data_dir)
    store = Store(paths.db)

    def record(seconds: float) -> None:
        store.add_practice(
            wall=guide_clock.wall(),
            outcome="done",
            kind="breath",
            note=f"paced breathing, {plan.rate_bpm:g} a minute",
            score=fresh_score(store, guide_clock.wall()),
            duration_s=round(seconds, 1),
        )

    try:
        done_s = asyncio.run(breathe_session(plan, guide_clock, stream, record=record, feed=feed))
    finally:
        store.close()
    stream.write(f"Well done: {done_s / 60:.1f} minutes of slow breathing, logged.\n")
    return 0
