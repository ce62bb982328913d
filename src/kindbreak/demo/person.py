"""A stand-in for the person in ``kindbreak demo --week``: answers prompts as a person might.

Seeded, so every run of the demo answers the same way. Most prompts get "Did it", a few get
"Snooze" or "Not now", and now and then one goes unanswered; how likely "Did it" is depends on
the kind of practice (a slow breath is easier to take at a desk than a journal line), so the
chooser, which learns from uptake, meets a person with preferences. The answer comes a little
later, on the session clock: "Did it" after the practice (40 s to 2.5 minutes), "Snooze" and
"Not now" after a glance (5-40 s).

The person answers through the same buttons a person presses (:class:`Attending` wraps the
session's notifier and presses them after each prompt it shows), and every answer is stored
marked as simulated. A replayed week shows its prompts seconds apart, so each new prompt takes
the one before off the screen (one notification at a time, not a stack of thirteen; the last
stays up to be looked at), and each says which replayed moment it belongs to ("kindbreak demo
week: Mon 9 Mar, 09:25").
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from kindbreak.clock import Clock
from kindbreak.prompts.library import INFO_KIND, Prompt
from kindbreak.prompts.notifier import (
    ACTION_DISMISS,
    ACTION_DONE,
    ACTION_SNOOZE,
    Notifier,
    withdraw,
)

DONE_BY_KIND: dict[str, float] = {
    "breath": 0.85,
    "touch": 0.8,
    "body": 0.75,
    "phrase": 0.65,
    "humanity": 0.6,
    "journal": 0.45,
}
"""How likely "Did it" is, per kind of practice (others: 0.65)."""
SNOOZE_SHARE = 0.45
"""Of the prompts not taken: this share snoozed, most of the rest "Not now"..."""
UNANSWERED_SHARE = 0.1
"""...and this share left unanswered (the notification times out)."""
ACTION_WORDS = {ACTION_DONE: "Did it", ACTION_SNOOZE: "Snooze", ACTION_DISMISS: "Not now"}


@dataclass(frozen=True, slots=True)
class Answer:
    prompt: Prompt
    action: str | None
    """``done``, ``snooze``, ``dismiss`` or None (unanswered)."""
    delay_s: float

    @property
    def words(self) -> str:
        return ACTION_WORDS.get(self.action or "", "no answer")


class SimulatedPerson:
    def __init__(self, seed: int, zone: tzinfo | None = None) -> None:
        self._rng = random.Random(seed)
        self.zone = zone
        """The zone the replayed moments are told in (None: the system's)."""
        self.keep_last_on_screen = False
        """Leave the session's last notification up when it ends (the week's last day)."""
        self.answers: list[Answer] = []

    def answer(self, prompt: Prompt) -> Answer:
        rng = self._rng
        if rng.random() < DONE_BY_KIND.get(prompt.kind, 0.65):
            answer = Answer(prompt, ACTION_DONE, rng.uniform(40.0, 150.0))
        else:
            r = rng.random()
            action = (
                ACTION_SNOOZE
                if r < SNOOZE_SHARE
                else None
                if r > 1.0 - UNANSWERED_SHARE
                else ACTION_DISMISS
            )
            answer = Answer(prompt, action, rng.uniform(5.0, 40.0))
        self.answers.append(answer)
        return answer

    def attend(
        self, notifier: Notifier, clock: Clock, press: Callable[[str, str], None]
    ) -> Attending:
        """``notifier`` with this person reading it: after each prompt shown, the answer is
        pressed (``press(prompt_id, action)``) when the session clock reaches it."""
        return Attending(notifier, self, clock, press)


class Attending:
    """A notifier as the simulated person meets it (the notifier protocol, wrapped)."""

    def __init__(
        self,
        inner: Notifier,
        person: SimulatedPerson,
        clock: Clock,
        press: Callable[[str, str], None],
    ) -> None:
        self._inner = inner
        self._person = person
        self._clock = clock
        self._press = press
        self._pending: set[asyncio.Task[None]] = set()
        self._on_screen: str | None = None

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def last_error(self) -> str:
        return self._inner.last_error

    async def send(self, prompt: Prompt, *, subtitle: str = "") -> bool:
        moment = datetime.fromtimestamp(self._clock.wall(), self._person.zone)
        when = f"kindbreak demo week: {moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"
        if self._on_screen is not None:
            await withdraw(self._inner, self._on_screen)
        shown = await self._inner.send(prompt, subtitle=subtitle or when)
        self._on_screen = prompt.id if shown else None
        if shown and prompt.kind != INFO_KIND:
            answer = self._person.answer(prompt)
            if answer.action is not None:
                task = asyncio.get_running_loop().create_task(self._later(answer))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
        return shown

    async def _later(self, answer: Answer) -> None:
        await self._clock.sleep(answer.delay_s)
        assert answer.action is not None
        self._press(answer.prompt.id, answer.action)

    async def aclose(self) -> None:
        for task in list(self._pending):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._on_screen is not None and not self._person.keep_last_on_screen:
            await withdraw(self._inner, self._on_screen)
        await self._inner.aclose()
