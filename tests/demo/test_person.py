"""The simulated person of ``kindbreak demo --week``: seeded, mostly "Did it", preferences by
kind, answers later on the session clock through the buttons, one notification on screen."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from kindbreak.clock import VirtualClock
from kindbreak.demo.person import DONE_BY_KIND, SimulatedPerson
from kindbreak.prompts.library import INFO_KIND, Prompt, load_builtin

LIB = load_builtin()


def prompt_of(kind: str) -> Prompt:
    return next(p for p in LIB.prompts if p.kind == kind)


def test_the_same_seed_answers_the_same_way_and_another_differently() -> None:
    prompts = [LIB.prompts[i % len(LIB.prompts)] for i in range(40)]
    a, b, c = SimulatedPerson(13), SimulatedPerson(13), SimulatedPerson(14)
    first = [(x.action, x.delay_s) for x in map(a.answer, prompts)]
    assert first == [(x.action, x.delay_s) for x in map(b.answer, prompts)]
    assert first != [(x.action, x.delay_s) for x in map(c.answer, prompts)]


@pytest.mark.parametrize("kind", sorted(DONE_BY_KIND))
def test_did_it_as_often_as_the_kind_suits_a_desk(kind: str) -> None:
    person = SimulatedPerson(1)
    answers = [person.answer(prompt_of(kind)) for _ in range(4000)]
    counts = Counter(a.action for a in answers)
    assert counts["done"] / 4000 == pytest.approx(DONE_BY_KIND[kind], abs=0.025)
    # The rest: Snooze, Not now, and now and then no answer at all.
    assert counts["snooze"] > 0 and counts["dismiss"] > 0 and counts[None] > 0
    assert counts["snooze"] + counts["dismiss"] > 4 * counts[None]
    done_delays = [a.delay_s for a in answers if a.action == "done"]
    glance_delays = [a.delay_s for a in answers if a.action in ("snooze", "dismiss")]
    assert min(done_delays) >= 40.0 and max(done_delays) <= 150.0
    assert min(glance_delays) >= 5.0 and max(glance_delays) <= 40.0


def test_most_answers_are_did_it_and_a_breath_is_likelier_than_a_journal_line() -> None:
    assert DONE_BY_KIND["breath"] > DONE_BY_KIND["journal"]
    assert all(p > 0.4 for p in DONE_BY_KIND.values())
    assert sum(DONE_BY_KIND.values()) / len(DONE_BY_KIND) > 0.6


class Screen:
    """A notifier that remembers what is on screen (the protocol, plus withdraw)."""

    name = "screen"
    last_error = ""

    def __init__(self) -> None:
        self.up: list[str] = []
        self.subtitles: list[str] = []
        self.closed = False

    async def send(self, prompt: Prompt, *, subtitle: str = "") -> bool:
        self.up.append(prompt.id)
        self.subtitles.append(subtitle)
        return True

    async def withdraw(self, prompt_id: str) -> None:
        self.up.remove(prompt_id)

    async def aclose(self) -> None:
        self.closed = True


def test_answers_come_later_through_the_buttons_one_notification_on_screen() -> None:
    from datetime import UTC

    pressed: list[tuple[float, str, str]] = []
    clock = VirtualClock(wall_start_s=1773043500.0)  # 2026-03-09 08:05 UTC
    person = SimulatedPerson(5, UTC)
    screen = Screen()
    a, b = LIB.prompts[0], LIB.prompts[5]
    summary = Prompt("summary-x", INFO_KIND, "Your day", "A day.")

    async def scenario() -> None:
        notifier = person.attend(
            screen, clock, lambda pid, act: pressed.append((clock.monotonic(), pid, act))
        )
        assert notifier.name == "screen"
        await notifier.send(a)
        assert screen.subtitles == ["kindbreak demo week: Mon 9 Mar, 08:05"]
        await clock.sleep_until(600.0)
        await notifier.send(b)
        assert screen.up == [b.id]  # a was taken off the screen when b came
        await clock.sleep_until(1200.0)
        await notifier.send(summary)  # the end-of-day summary is not a prompt: not answered
        await notifier.aclose()

    asyncio.run(scenario())
    answers = [x for x in person.answers if x.action is not None]
    assert [(pid, act) for _, pid, act in pressed] == [(x.prompt.id, x.action) for x in answers]
    for (t, _, _), x in zip(pressed, answers, strict=True):
        start = 0.0 if x.prompt.id == a.id else 600.0
        assert t == pytest.approx(start + x.delay_s)
    assert [x.prompt.id for x in person.answers] == [a.id, b.id]
    assert screen.up == []  # not the week's last day: nothing left on screen
    assert screen.closed


def test_the_last_days_last_notification_stays_up() -> None:
    clock = VirtualClock()
    person = SimulatedPerson(5)
    person.keep_last_on_screen = True
    screen = Screen()

    async def scenario() -> None:
        notifier = person.attend(screen, clock, lambda pid, act: None)
        await notifier.send(LIB.prompts[0])
        await notifier.aclose()

    asyncio.run(scenario())
    assert screen.up == [LIB.prompts[0].id]
