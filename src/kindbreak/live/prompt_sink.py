"""From a detector event to a self-kindness prompt: the policy decides, the chooser picks, the
notifier shows it, the log keeps it; button presses come back as practices."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from kindbreak.clock import Clock
from kindbreak.config import Settings
from kindbreak.paths import Paths
from kindbreak.signal.detector import DetectorEvent, EventKind
from kindbreak.signal.pipeline import WindowResult
from kindbreak.store.db import Store

log = logging.getLogger("kindbreak")


def local_zone(settings: Settings) -> ZoneInfo | None:
    if settings.prompts.timezone:
        return ZoneInfo(settings.prompts.timezone)
    return None


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


def next_prompt_text(sink: PromptSink) -> str:
    decision = sink.policy.decide(sink.now_local(), sink.clock.monotonic())
    if decision.allowed:
        return "prompt ready if stress rises"
    nxt = getattr(decision, "next_allowed_wall", None)
    if nxt is not None:
        return f"next prompt after {nxt.astimezone(sink.zone).strftime('%H:%M')}"
    return decision.reason
