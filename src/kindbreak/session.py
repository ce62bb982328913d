"""One monitoring session: source -> pipeline -> sinks (store, status line, prompts).

:func:`run_session` owns the session's asyncio tasks (the consumer and the status refresher)
in one ``TaskGroup`` and shuts them down explicitly. It knows nothing of which source runs.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from kindbreak.clock import Clock, VirtualClock
from kindbreak.config import Settings
from kindbreak.devices.base import HeartRateSource, LinkState, Notification, StateEvent
from kindbreak.paths import Paths
from kindbreak.signal.detector import DetectorEvent, EventKind
from kindbreak.signal.pipeline import FeedResult, Pipeline, WindowResult
from kindbreak.signal.score import Band, band_of
from kindbreak.store.db import Store

log = logging.getLogger("kindbreak")


def local_zone(settings: Settings) -> ZoneInfo | None:
    if settings.prompts.timezone:
        return ZoneInfo(settings.prompts.timezone)
    return None


# -- the session --------------------------------------------------------------------------------


@dataclass(slots=True)
class PromptRecord:
    t_s: float
    wall: float
    prompt_id: str
    title: str
    kind: str
    score: float | None
    notifier: str


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
    wall_start: float = 0.0


@dataclass(slots=True)
class HeldPrompt:
    """A moment a prompt would have gone out but the policy held it back, and why."""

    t_s: float
    wall: float
    trigger: str
    why: str


class PromptSink:
    """Turns a detector's "rising" event (or a scheduled check-in) into a prompt, if the policy
    allows it, and records what the person did with it (:meth:`on_action`).

    On start it rebuilds the policy from the store's prompt history (cooldown and the daily cap
    survive a restart) and the chooser's kind weights from the practices taken. Before each
    prompt it reads the pause file (``kindbreak pause`` from another process).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        paths: Paths,
        notifier: object,
        store: Store,
        session_id: int,
        clock: Clock,
        rng: random.Random,
        out: TextIO,
        say: Callable[[str], None] | None = None,
    ) -> None:
        from kindbreak.practice import ActionRecorder, uptake_weights
        from kindbreak.prompts.chooser import choose_prompt
        from kindbreak.prompts.library import load_library
        from kindbreak.prompts.policy import PolicySettings, PromptPolicy

        user_file = paths.user_prompts_file if paths.user_prompts_file.exists() else None
        self.library = load_library(user_file)
        for warning in getattr(self.library, "warnings", []):
            out.write(f"kindbreak: {warning}\n")
        self._choose = choose_prompt
        p = settings.prompts
        self.notifier = notifier
        self.store = store
        self.session_id = session_id
        self.clock = clock
        self.rng = rng
        self.zone = local_zone(settings)
        self.data_dir = paths.data_dir
        self.policy = PromptPolicy.from_history(
            PolicySettings(
                cooldown_s=p.cooldown_min * 60.0,
                quiet_hours=p.quiet_hours,
                daily_max=p.daily_max,
                snooze_s=p.snooze_min * 60.0,
            ),
            self._history(),
            now_wall=self.now_local(),
            now_mono_s=clock.monotonic(),
        )
        self.kind_weights = uptake_weights(store)
        self.recent = self._recent_ids()
        self.sent: list[PromptRecord] = []
        self.held: list[HeldPrompt] = []
        self.score: float | None = None
        """The stress score of the latest window (None: not scored: calibrating or noisy)."""
        self.paused_until: float | None = None
        self.paused = False
        self._snoozed_until: datetime | None = None

        def write_line(text: str) -> None:
            out.write(text + "\n")

        self._say = say if say is not None else write_line
        self.actions = ActionRecorder(
            store=store,
            wall=clock.wall,
            score=lambda: self.score,
            on_snooze=self._snooze,
            say=self._say,
        )

    def _history(self) -> list[datetime]:
        now = self.clock.wall()
        rows = self.store.query(
            "SELECT wall FROM prompts WHERE wall > ? AND wall <= ? ORDER BY wall",
            (now - 2 * 86400.0, now),
        )
        return [datetime.fromtimestamp(float(r["wall"])).astimezone(self.zone) for r in rows]

    def _recent_ids(self) -> list[str]:
        rows = self.store.query("SELECT prompt_id FROM prompts ORDER BY wall DESC, id DESC LIMIT 8")
        return [str(r["prompt_id"]) for r in reversed(rows)]

    def now_local(self) -> datetime:
        wall = datetime.fromtimestamp(self.clock.wall()).astimezone(self.zone)
        return wall

    def on_window(self, w: WindowResult) -> None:
        self.score = w.score

    def sync_pause(self) -> None:
        """Apply the pause file (written by ``kindbreak pause`` in any process) to the policy."""
        from kindbreak.practice import read_pause

        state = read_pause(self.data_dir)
        now = self.clock.wall()
        if state is not None and state.active(now):
            if self.paused and self.paused_until == state.until_wall:
                return
            until = (
                None
                if state.until_wall is None
                else datetime.fromtimestamp(state.until_wall).astimezone(self.zone)
            )
            self.policy.pause(until)
            self.paused, self.paused_until = True, state.until_wall
        elif self.paused:
            self.policy.resume()  # also ends a snooze: put the button's snooze back
            if self._snoozed_until is not None:
                self.policy.snooze(self._snoozed_until)
            self.paused, self.paused_until = False, None

    def _snooze(self) -> str:
        until = self.policy.snooze_for(self.now_local())
        self._snoozed_until = until
        return f"no prompts until {until.astimezone(self.zone).strftime('%H:%M')}"

    def on_action(self, prompt_id: str, action: str) -> None:
        """A notification button: "done", "snooze" or "dismiss" (see kindbreak.practice)."""
        from kindbreak.practice import uptake_weights

        if self.actions.on_action(prompt_id, action) is not None:
            self.kind_weights = uptake_weights(self.store)

    async def on_event(self, event: DetectorEvent) -> None:
        if event.kind is not EventKind.RISING:
            return
        await self.offer(trigger="stress", t_s=event.t_s, score=event.score)

    async def checkin(self) -> bool:
        """A scheduled check-in: a prompt with no stress trigger, under the same policy."""
        return await self.offer(trigger="checkin", t_s=self.clock.monotonic(), score=self.score)

    async def offer(self, *, trigger: str, t_s: float, score: float | None) -> bool:
        """Send a prompt if the policy allows it now; True if one was sent."""
        from kindbreak.practice import SentPrompt

        self.sync_pause()
        decision = self.policy.decide(self.now_local(), self.clock.monotonic())
        if not decision.allowed:
            log.info("%s at %.0f s; no prompt: %s", trigger, t_s, decision.reason)
            self.held.append(
                HeldPrompt(t_s, self.clock.wall(), trigger, decision.detail or decision.reason)
            )
            return False
        prompt = self._choose(self.library, self.recent, self.kind_weights, self.rng)
        shown = await self.notifier.send(prompt)  # type: ignore[attr-defined]
        self.policy.record_sent(self.now_local(), self.clock.monotonic())
        self.recent.append(prompt.id)
        name = str(getattr(self.notifier, "name", "notifier"))
        wall = self.clock.wall()
        row_id = self.store.add_prompt(
            session_id=self.session_id,
            wall=wall,
            t_s=t_s,
            prompt_id=prompt.id,
            kind=prompt.kind,
            title=prompt.title,
            trigger=trigger,
            notifier=name,
            score=score,
            shown=bool(shown),
        )
        self.actions.remember(SentPrompt(row_id, prompt.id, prompt.kind, wall))
        self.sent.append(PromptRecord(t_s, wall, prompt.id, prompt.title, prompt.kind, score, name))
        return True


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


class StatusLine:
    """One line, rewritten in place about once a second; off with ``--quiet``.

    On a terminal the line is redrawn at most every ``min_interval_s`` of real time (a fast
    replay would otherwise redraw thousands of times a second); when the stream is not a
    terminal (a log, a pipe) a plain line is written every ``pipe_interval_s`` instead.
    ``real_now`` is the real-time clock used only for that throttling.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        enabled: bool,
        total_s: float | None = None,
        real_now: Callable[[], float] | None = None,
        min_interval_s: float = 0.2,
        pipe_interval_s: float = 30.0,
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.total_s = total_s
        self._real_now = real_now
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._interval_s = min_interval_s if self._tty else pipe_interval_s
        self._last_shown: float | None = None
        self.device = ""
        self.link = "connecting"
        self.hr: int | None = None
        self.window: WindowResult | None = None
        self.t_s = 0.0
        self.next_prompt = ""
        self.battery_pct: int | None = None
        self._width = 0

    def render(self) -> str:
        parts = []
        if self.total_s:
            parts.append(f"{min(100.0, 100.0 * self.t_s / self.total_s):5.1f}%")
        parts.append(_hms(self.t_s))
        if self.device:
            parts.append(self.device)
        parts.append(self.link)
        if self.battery_pct is not None:
            parts.append(f"battery {self.battery_pct} %")
        parts.append(f"HR {self.hr}" if self.hr else "HR --")
        w = self.window
        if w is not None and math.isfinite(w.markers.rmssd_ms):
            parts.append(f"RMSSD {w.markers.rmssd_ms:.0f} ms")
        if w is not None and w.score is not None:
            parts.append(f"stress {w.score:.0f} ({band_of(w.score).value})")
        elif w is not None and w.calibrating:
            parts.append("learning your calm baseline")
        elif w is None:
            parts.append("warming up")
        else:
            parts.append("signal too noisy to score")
        if self.next_prompt:
            parts.append(self.next_prompt)
        return " | ".join(parts)

    def show(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        if self._real_now is not None and not force:
            now = self._real_now()
            if self._last_shown is not None and now - self._last_shown < self._interval_s:
                return
            self._last_shown = now
        line = self.render()
        if not self._tty:
            self.stream.write(line + "\n")
            self.stream.flush()
            return
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()

    def say(self, text: str) -> None:
        """A message on its own line, above the status line."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()


def _hms(t_s: float) -> str:
    t = int(t_s)
    return f"{t // 3600:d}:{t % 3600 // 60:02d}:{t % 60:02d}"


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
    on_item: Callable[[Notification | StateEvent], None] | None = None,
    stop: asyncio.Event | None = None,
) -> SessionReport:
    """Stream ``source`` through the pipeline into the sinks until it ends or time is up."""
    report = SessionReport(session_id=session_id, wall_start=clock.wall())
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
            if on_item is not None:
                on_item(item)
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
            status.next_prompt = _next_prompt_text(prompt_sink)

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


def _next_prompt_text(sink: PromptSink) -> str:
    decision = sink.policy.decide(sink.now_local(), sink.clock.monotonic())
    if decision.allowed:
        return "prompt ready if stress rises"
    nxt = getattr(decision, "next_allowed_wall", None)
    if nxt is not None:
        return f"next prompt after {nxt.astimezone(sink.zone).strftime('%H:%M')}"
    return decision.reason
