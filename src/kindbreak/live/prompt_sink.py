"""From a detector event to a self-kindness prompt: the policy decides, the chooser picks, the
notifier shows it, the log keeps it; button presses come back as practices."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from kindbreak.clock import Clock, local_zone
from kindbreak.config import PromptSettings, Settings
from kindbreak.live.events import EpisodeRising, Event, WindowClosed
from kindbreak.live.sink import Sink
from kindbreak.live.status_file import NextPrompt
from kindbreak.paths import Paths
from kindbreak.prompts.library import PromptLibrary
from kindbreak.prompts.notifier import Notifier
from kindbreak.prompts.policy import PromptPolicy
from kindbreak.store.db import Store

log = logging.getLogger("kindbreak")

POLICY_HISTORY_S = 2 * 86400.0
"""The prompts of this long ago rebuild the policy's cooldown and daily cap on start."""
RECENT_PROMPTS = 8
"""The chooser avoids repeating the last this many prompts."""


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


class PromptSink(Sink):
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
        notifier: Notifier,
        store: Store,
        session_id: int,
        clock: Clock,
        rng: random.Random,
        out: TextIO,
        say: Callable[[str], None] | None = None,
    ) -> None:
        from kindbreak.live.actions import ActionRecorder
        from kindbreak.report.effects import learned_kind_weights

        self.library = _load_library(paths, out)
        self.notifier = notifier
        self.store = store
        self.session_id = session_id
        self.clock = clock
        self.rng = rng
        self.zone = local_zone(settings.prompts.timezone)
        self.data_dir = paths.data_dir
        self.policy = self._restore_policy(settings.prompts)
        self.kind_weights = learned_kind_weights(store)
        self.recent = store.recent_prompt_ids(RECENT_PROMPTS)
        self.sent: list[PromptRecord] = []
        self.held: list[HeldPrompt] = []
        self.score: float | None = None
        """The stress score of the latest window (None: not scored: calibrating or noisy)."""
        self.paused_until: float | None = None
        self.paused = False
        self._snoozed_until: datetime | None = None
        self._say = say if say is not None else (lambda text: _write_line(out, text))
        self.actions = ActionRecorder(
            store=store,
            wall=clock.wall,
            score=lambda: self.score,
            on_snooze=self._snooze,
            say=self._say,
        )

    def _restore_policy(self, p: PromptSettings) -> PromptPolicy:
        from kindbreak.prompts.policy import PolicySettings

        now = self.clock.wall()
        history = [
            datetime.fromtimestamp(wall, self.zone)
            for wall in self.store.prompt_walls(since_wall=now - POLICY_HISTORY_S, until_wall=now)
        ]
        return PromptPolicy.from_history(
            PolicySettings(
                cooldown_s=p.cooldown_min * 60.0,
                quiet_hours=p.quiet_hours,
                daily_max=p.daily_max,
                snooze_s=p.snooze_min * 60.0,
            ),
            history,
            now_wall=self.now_local(),
            now_mono_s=self.clock.monotonic(),
        )

    def now_local(self) -> datetime:
        return datetime.fromtimestamp(self.clock.wall(), self.zone)

    # -- the session's events ----------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        match event:
            case WindowClosed(window=w):
                self.score = w.score
            case EpisodeRising(event=e):
                await self.offer(trigger="stress", t_s=e.t_s, score=e.score)

    def next_prompt_text(self) -> str:
        """When the next prompt may come, for the status line."""
        return self.next_prompt().text

    def next_prompt(self) -> NextPrompt:
        """When the next prompt may come, for the status line and ``kindbreak status``."""
        decision = self.policy.decide(self.now_local(), self.clock.monotonic())
        nxt = decision.next_allowed_wall
        if decision.allowed:
            text = "prompt ready if stress rises"
        elif nxt is not None:
            text = f"next prompt after {nxt.astimezone(self.zone):%H:%M}"
        else:
            text = decision.detail or decision.reason
        wall = None if nxt is None else nxt.timestamp()
        return NextPrompt(decision.allowed, wall, decision.reason, text)

    # -- pause and snooze --------------------------------------------------------------------

    def sync_pause(self) -> None:
        """Apply the pause file (written by ``kindbreak pause`` in any process) to the policy."""
        from kindbreak.prompts.pause import read_pause

        state = read_pause(self.data_dir)
        now = self.clock.wall()
        if state is not None and state.active(now):
            if self.paused and self.paused_until == state.until_wall:
                return
            until = (
                None
                if state.until_wall is None
                else datetime.fromtimestamp(state.until_wall, self.zone)
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
        return f"no prompts until {until.astimezone(self.zone):%H:%M}"

    def on_action(self, prompt_id: str, action: str, *, simulated: bool = False) -> None:
        """A notification button: "done", "snooze" or "dismiss" (see kindbreak.live.actions);
        ``simulated`` when a stand-in for the person pressed it (``kindbreak demo --week``)."""
        from kindbreak.report.effects import learned_kind_weights

        if self.actions.on_action(prompt_id, action, simulated=simulated) is not None:
            self.kind_weights = learned_kind_weights(self.store)

    # -- prompts -----------------------------------------------------------------------------

    async def checkin(self) -> bool:
        """A scheduled check-in: a prompt with no stress trigger, under the same policy."""
        return await self.offer(trigger="checkin", t_s=self.clock.monotonic(), score=self.score)

    async def offer(self, *, trigger: str, t_s: float, score: float | None) -> bool:
        """Send a prompt if the policy allows it now; True if one was sent."""
        from kindbreak.live.actions import SentPrompt
        from kindbreak.prompts.chooser import choose_prompt

        self.sync_pause()
        decision = self.policy.decide(self.now_local(), self.clock.monotonic())
        if not decision.allowed:
            log.info("%s at %.0f s; no prompt: %s", trigger, t_s, decision.reason)
            self.held.append(
                HeldPrompt(t_s, self.clock.wall(), trigger, decision.detail or decision.reason)
            )
            return False
        prompt = choose_prompt(self.library, self.recent, self.kind_weights, self.rng)
        shown = await self.notifier.send(prompt)
        self.policy.record_sent(self.now_local(), self.clock.monotonic())
        self.recent.append(prompt.id)
        name = self.notifier.name
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


def _load_library(paths: Paths, out: TextIO) -> PromptLibrary:
    """The built-in prompts and the person's own file; a bad entry is named on ``out``."""
    from kindbreak.prompts.library import load_library

    user_file = paths.user_prompts_file if paths.user_prompts_file.exists() else None
    library = load_library(user_file)
    for warning in library.warnings:
        out.write(f"kindbreak: {warning}\n")
    return library


def _write_line(out: TextIO, text: str) -> None:
    out.write(text + "\n")
