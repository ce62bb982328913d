"""The composition root: builds the clock, source, pipeline, store and notifier, and wires them.

Nothing else in kindbreak constructs hardware or picks implementations; the commands
(:mod:`kindbreak.commands`) ask here for what they need. ``monitor`` (live or replay) and
``demo`` both come through :func:`run_session`, so a replayed recording runs exactly the code
path a strap runs, with a virtual clock instead of the system clock.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kindbreak.clock import Clock, SystemClock, VirtualClock
from kindbreak.config import Settings
from kindbreak.paths import Paths
from kindbreak.signal.pipeline import Pipeline, PipelineSettings
from kindbreak.store.db import Store
from kindbreak.stream import HeartRateSource

if TYPE_CHECKING:
    from kindbreak.demo.person import SimulatedPerson
    from kindbreak.live.prompt_sink import PromptSink
    from kindbreak.live.status import StatusLine
    from kindbreak.live.status_file import StatusFileSink
    from kindbreak.live.summary import SessionReport
    from kindbreak.prompts.library import Prompt
    from kindbreak.prompts.notifier import Notifier

log = logging.getLogger("kindbreak")


def pipeline_settings(settings: Settings) -> PipelineSettings:
    """The pipeline's settings from the user's (``offline.analysis.pipeline_settings`` is the
    same for analyze and import, which do not import this module)."""
    return PipelineSettings(window_s=settings.signal.window_s, step_s=settings.signal.step_s)


def make_replay(
    path: Path, speed: float, *, wall_start_s: float | None = None
) -> tuple[HeartRateSource, VirtualClock]:
    """A replay source and the virtual clock it drives (speed 0 = as fast as possible);
    ``wall_start_s`` places the recording's start elsewhere in time (the demo week)."""
    from kindbreak.devices.recording import RecordingReader
    from kindbreak.devices.replay import ReplaySource

    probe = RecordingReader(path)  # the header only: replay reads the file itself
    probe.close()
    header = probe.header
    wall0 = header.start_wall.timestamp() if header.start_wall is not None else time.time()
    if wall_start_s is not None:
        wall0 = wall_start_s
    clock = VirtualClock(wall_start_s=wall0, speed=speed if speed > 0 else math.inf)
    return ReplaySource(path, clock), clock


async def make_notifier(
    kind: str, stream: TextIO, on_action: Callable[[str, str], None] | None = None
) -> Notifier:
    from kindbreak.prompts.notifier import make_notifier as build

    return await build(kind, stream=stream, on_action=on_action, log=log)


async def run_session(
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
    person: SimulatedPerson | None = None,
    greeting: Prompt | None = None,
) -> SessionReport:
    """One monitoring session, built and wired: the store, the notifier, the sinks; returns
    what happened (the command prints its summary). ``person``: a stand-in that answers the
    prompts through the buttons (``kindbreak demo --week``), its answers stored as simulated.
    ``greeting``: a notification shown once the notifier is up (the service's first start).
    Every session but the demo's keeps the status file ``kindbreak status`` reads."""
    from kindbreak.live.baseline import save_baseline_snapshot
    from kindbreak.store.lock import MonitorLock

    # One monitor per log: a second one stops here, before it writes anything.
    lock = MonitorLock(
        paths.db, now_wall=SystemClock().wall(), source=source_kind, device=source.info.name
    ).acquire()
    store = Store(paths.db)
    try:
        info = source.info
        session_id = store.start_session(
            started_wall=clock.wall(),
            source=source_kind,
            device_name=info.name,
            device_address=info.address,
        )
        buttons = _Buttons(asyncio.get_running_loop())
        notifier = await make_notifier(notifier_kind, stream, buttons.press)
        if person is not None:
            notifier = person.attend(notifier, clock, buttons.press_simulated)
        try:
            if greeting is not None:
                await notifier.send(greeting)
            wiring = _Wiring(
                paths, settings, store, session_id, clock, notifier, buttons, stream, source_kind
            )
            try:
                report = await wiring.run(
                    source, quiet=quiet, duration_s=duration_s, total_s=total_s, seed=seed
                )
            except BaseException as exc:
                # The log failed under the session (a full disk): still mark it ended if the
                # disk allows; the error goes on to the user as one line.
                if _has_store_error(exc):
                    store.end_session_if_possible(session_id, clock.wall())
                raise
        finally:
            await notifier.aclose()
            await source.aclose()
        store.end_session(session_id, clock.wall())
        save_baseline_snapshot(store, clock.wall(), session_id)
    finally:
        store.close()
        lock.release()
    return report


def _has_store_error(exc: BaseException) -> bool:
    from kindbreak.errors import StoreError

    if isinstance(exc, BaseExceptionGroup):
        return any(_has_store_error(e) for e in exc.exceptions)
    return isinstance(exc, StoreError)


class _Buttons:
    """Notification buttons reach the prompt sink on the loop's thread (the store has one
    owner), whichever thread the notifier calls from."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.sink: PromptSink | None = None

    def press(self, prompt_id: str, action: str, *, simulated: bool = False) -> None:
        def deliver() -> None:
            if self.sink is not None:
                self.sink.on_action(prompt_id, action, simulated=simulated)

        self._loop.call_soon_threadsafe(deliver)

    def press_simulated(self, prompt_id: str, action: str) -> None:
        """A press by the simulated person of ``kindbreak demo --week``."""
        self.press(prompt_id, action, simulated=True)


@dataclass(frozen=True, slots=True)
class _Wiring:
    """What a session's sinks share, and the sinks wired: one line each in :meth:`run`."""

    paths: Paths
    settings: Settings
    store: Store
    session_id: int
    clock: Clock
    notifier: Notifier
    buttons: _Buttons
    stream: TextIO
    source_kind: str

    async def run(
        self,
        source: HeartRateSource,
        *,
        quiet: bool,
        duration_s: float | None,
        total_s: float | None,
        seed: int | None,
    ) -> SessionReport:
        from kindbreak.live.baseline import stored_baseline
        from kindbreak.live.jobs import SessionJobs
        from kindbreak.live.log_sink import LogSink
        from kindbreak.live.session import Session
        from kindbreak.live.sink import Sink
        from kindbreak.live.status import StatusLine
        from kindbreak.live.store_sink import StoreSink
        from kindbreak.live.summary import SessionSummary

        s, store, sid, clock = self.settings, self.store, self.session_id, self.clock
        status = StatusLine(
            self.stream, enabled=not quiet, total_s=total_s, real_now=time.monotonic, clock=clock
        )
        status.device = source.info.name
        prompts = self._prompts(status, seed)
        summary = SessionSummary(sid, s.signal.step_s)
        jobs = SessionJobs(
            clock=clock,
            settings=s,
            sink=prompts,
            store=store,
            notifier=self.notifier,
            status=status,
        )
        sinks: list[Sink] = [
            StoreSink(store, sid, clock),
            LogSink(),
            status,
            prompts,
            summary,
            jobs,
        ]
        if self.source_kind != "demo":  # a demo is not a monitor anyone asks about
            sinks.append(self._status_file(source, prompts))
        pipeline = Pipeline(pipeline_settings(s), baseline=stored_baseline(store, clock.wall()))
        stop = asyncio.Event()
        stopped_by = _stop_on_signals(stop)
        session = Session(
            source=source, pipeline=pipeline, sinks=sinks, clock=clock, duration_s=duration_s
        )
        await session.run(stop)
        summary.report.stopped_by = stopped_by[0] if stopped_by else None
        summary.report.prompts = list(prompts.sent)
        summary.report.held = [h for h in prompts.held if h.trigger == "stress"]
        return summary.report

    def _status_file(self, source: HeartRateSource, prompts: PromptSink) -> StatusFileSink:
        """``status.json`` beside the log, for ``kindbreak status`` in any terminal."""
        import os

        from kindbreak.live.status_file import StatusFileSink, status_path

        notifier = self.notifier

        def notifier_state() -> tuple[str, str]:
            return notifier.name, str(getattr(notifier, "fallback_reason", ""))

        return StatusFileSink(
            status_path(self.paths.db),
            clock=self.clock,
            real_wall=SystemClock().wall,
            pid=os.getpid(),
            source=self.source_kind,
            device=source.info,
            next_prompt=prompts.next_prompt,
            notifier=notifier_state,
        )

    def _prompts(self, status: StatusLine, seed: int | None) -> PromptSink:
        """The prompt sink, its messages above the status line, the buttons wired to it."""
        from kindbreak.live.prompt_sink import PromptSink

        prompts = PromptSink(
            settings=self.settings,
            paths=self.paths,
            notifier=self.notifier,
            store=self.store,
            session_id=self.session_id,
            clock=self.clock,
            rng=random.Random(seed),
            out=self.stream,
            say=status.say,
        )
        status.next_prompt_source = prompts.next_prompt_text
        self.buttons.sink = prompts
        return prompts


def _stop_on_signals(stop: asyncio.Event) -> list[str]:
    """Ctrl-C or SIGTERM ends monitoring cleanly: the session is closed, its summary shown.

    Returns the list the handler appends the signal's name to (empty while none came), so the
    command can exit 130 after Ctrl-C, as every command does, and 0 after a SIGTERM (a
    service manager stopping the monitor)."""
    import signal

    loop = asyncio.get_running_loop()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            break
    return received


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
    paths: Paths, settings: Settings, device: str | None, *, wait: bool = False
) -> tuple[HeartRateSource, Clock]:
    """The strap the user chose: ``--device`` (then remembered) or the saved choice.

    kindbreak never connects to a device the user has not named once. ``wait``: a strap that is
    off or out of range is waited for quietly (``monitor --wait``, what the service runs).
    """
    from kindbreak.config import remember_device
    from kindbreak.devices.ble import WAITING_BACKOFF, BleSource
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
    if wait:
        return BleSource(target, clock, wait_for_device=True, backoff=WAITING_BACKOFF), clock
    return BleSource(target, clock), clock
