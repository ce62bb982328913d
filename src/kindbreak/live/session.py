"""One monitoring session: source -> pipeline -> sinks (store, status line, prompts).

:func:`run_session` owns the session's asyncio tasks (the consumer and the status refresher)
in one ``TaskGroup`` and shuts them down explicitly. It knows nothing of which source runs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from kindbreak.clock import Clock, VirtualClock
from kindbreak.live.prompt_sink import HeldPrompt, PromptRecord, PromptSink, next_prompt_text
from kindbreak.live.status import StatusLine
from kindbreak.signal.detector import EventKind
from kindbreak.signal.pipeline import FeedResult, Pipeline, WindowResult
from kindbreak.signal.score import Band, band_of
from kindbreak.store.db import Store
from kindbreak.stream import HeartRateSource, LinkState, StateEvent

log = logging.getLogger("kindbreak")


# -- the session --------------------------------------------------------------------------------


@dataclass(slots=True)
class SessionReport:
    session_id: int
    duration_s: float = 0.0
    band_s: dict[Band, float] = field(default_factory=lambda: {b: 0.0 for b in Band})
    poor_s: float = 0.0
    calibrating_s: float = 0.0
    prompts: list[PromptRecord] = field(default_factory=list)
    held: list[HeldPrompt] = field(default_factory=list)
    episodes: int = 0
    beats: int = 0
    windows: int = 0
    notes: list[str] = field(default_factory=list)


class StoreSink:
    def __init__(self, store: Store, session_id: int) -> None:
        self.store = store
        self.session_id = session_id

    def on_feed(self, t_s: float, out: FeedResult) -> None:
        if out.beats:
            self.store.add_beats(
                self.session_id, ((b.t_s, b.rr_ms, b.gap_before) for b in out.beats)
            )
        for w in out.windows:
            self.store.add_window(self.session_id, window_row(w))
        for e in out.events:
            self.store.add_event(
                self.session_id, e.t_s, e.kind.value, e.score, e.episode_start_s, e.peak_score
            )
        self.store.maybe_commit(t_s)

    def on_state(self, event: StateEvent) -> None:
        self.store.add_state(self.session_id, event.t_s, event.state.value, event.detail)


def window_row(w: WindowResult) -> dict[str, object]:
    return {
        "start_s": w.start_s,
        "end_s": w.end_s,
        "n_beats": w.n_beats,
        "quality": w.quality.value,
        "artifact_share": w.artifact_share,
        "coverage": w.coverage,
        "recent_hr_bpm": w.recent_hr_bpm,
        "score": w.score,
        "stressed": w.stressed,
        "markers": w.markers.as_dict(),
    }


async def run_session(
    *,
    source: HeartRateSource,
    clock: Clock,
    pipeline: Pipeline,
    store: Store,
    session_id: int,
    prompt_sink: PromptSink | None,
    status: StatusLine,
    duration_s: float | None = None,
    stop: asyncio.Event | None = None,
) -> SessionReport:
    """Stream ``source`` through the pipeline into the sinks until it ends or time is up."""
    report = SessionReport(session_id=session_id)
    sink = StoreSink(store, session_id)
    step_s = pipeline.settings.step_s
    # Set by the source ending, --duration, or the caller (Ctrl-C / SIGTERM in the app).
    stop = stop if stop is not None else asyncio.Event()
    last_t = 0.0
    baseline_saved = False

    async def consume() -> None:
        nonlocal last_t
        async for item in source.stream():
            last_t = item.t_s
            status.t_s = item.t_s
            if isinstance(item, StateEvent):
                sink.on_state(item)
                status.link = item.state.value
                log.info("link %s %s", item.state.value, item.detail)
                if item.state is LinkState.CONNECTED:
                    # The device is known for sure only once connected (a name resolves to
                    # an address, the body location and battery are read).
                    info = source.info
                    store.update_session_device(session_id, info.name, info.address)
                    status.device = info.name
                    status.battery_pct = info.battery_pct
                if item.detail:
                    status.say(f"kindbreak: {item.state.value}: {item.detail}")
                if item.state is LinkState.STOPPED:
                    break
            out = pipeline.feed(item)
            await handle(item.t_s, out)
            if duration_s is not None and item.t_s >= duration_s:
                break
        out = pipeline.finish(last_t)
        await handle(last_t, out)
        stop.set()

    async def handle(t_s: float, out: FeedResult) -> None:
        sink.on_feed(t_s, out)
        report.beats += len(out.beats)
        if out.measurement is not None:
            status.hr = out.measurement.hr_bpm or None
            if status.link in ("connecting", "reconnecting"):
                status.link = "connected"
            if out.measurement.contact_lost:
                status.link = "contact lost"
        for note in out.notes:
            if note.startswith("skipped a malformed"):
                # The packet's bytes are raw data: only at DEBUG.
                log.warning("%s", note.split(":", 1)[0])
                log.debug("%s", note)
                continue
            log.info("%s", note)
            report.notes.append(note)
            status.say(f"kindbreak: {note}")
        nonlocal baseline_saved
        if pipeline.baseline_learned and not baseline_saved:
            b = pipeline.baseline
            assert b is not None
            store.add_baseline(
                wall=clock.wall(),
                hr_bpm=b.hr_bpm,
                rmssd_ms=b.rmssd_ms,
                n_windows=b.n_windows,
                session_id=session_id,
            )
            baseline_saved = True
            status.say(
                f"kindbreak: learned your calm baseline: heart rate {b.hr_bpm:.0f} bpm, "
                f"RMSSD {b.rmssd_ms:.0f} ms"
            )
        for w in out.windows:
            report.windows += 1
            status.window = w
            if prompt_sink is not None:
                prompt_sink.on_window(w)
            if w.score is not None:
                report.band_s[band_of(w.score)] += step_s
            elif w.calibrating:
                report.calibrating_s += step_s
            else:
                report.poor_s += step_s
        for ev in out.events:
            if ev.kind is EventKind.RISING:
                report.episodes += 1
            if prompt_sink is not None:
                await prompt_sink.on_event(ev)
        if prompt_sink is not None and prompt_sink.policy is not None:
            status.next_prompt = next_prompt_text(prompt_sink)

    async def refresh() -> None:
        while not stop.is_set():
            status.show()
            await clock.sleep(1.0)

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(consume()), tg.create_task(refresh())]
        if duration_s is not None and not isinstance(clock, VirtualClock):
            tasks.append(tg.create_task(_stop_after(clock, duration_s, stop)))
        await stop.wait()
        for task in tasks:
            task.cancel()
    status.show(force=True)
    status.close()
    store.commit()
    report.duration_s = last_t
    if prompt_sink is not None:
        report.prompts = list(prompt_sink.sent)
        report.held = [h for h in prompt_sink.held if h.trigger == "stress"]
    return report


async def _stop_after(clock: Clock, duration_s: float, stop: asyncio.Event) -> None:
    await clock.sleep(duration_s)
    stop.set()
