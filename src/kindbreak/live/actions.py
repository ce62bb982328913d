"""What a notification button says about its prompt ("Did it", "Snooze", "Not now"): a practice
row linked to the prompt row it answers, with the stress score at that moment. "Snooze" also
holds prompts back in the running process (``PromptPolicy.snooze_for``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kindbreak.store.db import ANSWERED, Store

log = logging.getLogger("kindbreak")

OUTCOME_FOR_ACTION = {"done": "done", "snooze": "snoozed", "dismiss": "skipped"}


@dataclass(frozen=True, slots=True)
class SentPrompt:
    row_id: int
    prompt_id: str
    kind: str
    wall: float


class ActionRecorder:
    """Records what a notification button says about the prompt it belongs to.

    ``remember`` each prompt after it was stored; ``on_action(prompt_id, action)`` then finds
    the latest stored row of that prompt. Each prompt gets at most one answer (servers may send
    both an action and a "closed" for the same notification); a snooze is logged too, and a
    later "Did it"/"Not now" on the same prompt still counts.
    """

    def __init__(
        self,
        *,
        store: Store,
        wall: Callable[[], float],
        score: Callable[[], float | None],
        on_snooze: Callable[[], str] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self._wall = wall
        self._score = score
        self._on_snooze = on_snooze
        self._say = say
        self._by_prompt_id: dict[str, SentPrompt] = {}
        self._answered: set[int] = set()
        self._snoozed: set[int] = set()
        self.recorded: list[tuple[int, str]] = []
        """(practice row id, outcome) in order, for the session summary and tests."""

    def remember(self, sent: SentPrompt) -> None:
        self._by_prompt_id[sent.prompt_id] = sent

    def on_action(self, prompt_id: str, action: str, *, simulated: bool = False) -> int | None:
        """Record the action; returns the practice row id, or None when there was nothing to do.
        ``simulated``: pressed by a stand-in for the person (``kindbreak demo --week``)."""
        outcome = OUTCOME_FOR_ACTION.get(action)
        sent = self._by_prompt_id.get(prompt_id)
        if outcome is None or sent is None:
            log.debug(
                "notification action %r for %r: not a prompt of this session", action, prompt_id
            )
            return None
        if sent.row_id in self._answered:
            return None
        if outcome == "snoozed" and sent.row_id in self._snoozed:
            return None
        if outcome in ANSWERED:
            self._answered.add(sent.row_id)
        else:
            self._snoozed.add(sent.row_id)
        row = self.store.add_practice(
            wall=self._wall(),
            outcome=outcome,
            prompt_row_id=sent.row_id,
            kind=sent.kind,
            score=self._score(),
            simulated=simulated,
        )
        self.recorded.append((row, outcome))
        message = {
            "done": "kindbreak: noted, you took a kind break. Well done.",
            "skipped": "kindbreak: noted, not now. That is fine too.",
        }.get(outcome, "")
        if outcome == "snoozed" and self._on_snooze is not None:
            message = f"kindbreak: snoozed; {self._on_snooze()}."
        if message and self._say is not None:
            self._say(message)
        return row
