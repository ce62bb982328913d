"""The live session (kindbreak.live): source -> pipeline -> sinks, as typed events."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from kindbreak.clock import VirtualClock
from kindbreak.devices.replay import ReplaySource
from kindbreak.live.events import (
    BeatsPlaced,
    EpisodeEnded,
    EpisodeRising,
    Event,
    LinkChanged,
    Noted,
    TimeAdvanced,
    WindowClosed,
)
from kindbreak.live.session import Session
from kindbreak.live.sink import Sink
from kindbreak.offline.analysis import analyze_file
from kindbreak.signal.notes import NoteKind
from kindbreak.signal.pipeline import Pipeline
from kindbreak.stream import LinkState
from support.data import FIXTURES, WORKDAY


class Recorder(Sink):
    """A new consumer: one class (here, everything it is given, in order)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.closed = False

    async def handle(self, event: Event) -> None:
        self.events.append(event)

    async def close(self) -> None:
        self.closed = True


def replay(path: Path) -> Recorder:
    clock = VirtualClock(speed=math.inf)
    recorder = Recorder()
    session = Session(
        source=ReplaySource(path, clock), pipeline=Pipeline(), sinks=[recorder], clock=clock
    )
    asyncio.run(session.run())
    return recorder


def test_a_replayed_day_reaches_a_sink_as_typed_events_like_analyze() -> None:
    r = replay(WORKDAY)
    a = analyze_file(WORKDAY)
    assert r.closed
    windows = [e.window for e in r.events if isinstance(e, WindowClosed)]
    assert [(w.end_s, w.score) for w in windows] == [(w.end_s, w.score) for w in a.windows]
    beats = [b for e in r.events if isinstance(e, BeatsPlaced) for b in e.beats]
    assert len(beats) == len(a.beats) == 4372
    rising = [e for e in r.events if isinstance(e, EpisodeRising)]
    ended = [e for e in r.events if isinstance(e, EpisodeEnded)]
    assert [e.t_s for e in rising] == [ep.prompt_s for ep in a.episodes]
    # One prompt for each labelled stress stretch (fixtures/workday.labels.csv; the first
    # 13 s before its label, as this person's heart rate rose first), none in the calm ones;
    # each episode ends.
    assert [round(e.t_s) for e in rising] == [1051, 2341, 3181]
    assert len(ended) == 3
    # Every item ends with TimeAdvanced, and session time never goes back.
    ticks = [e.t_s for e in r.events if isinstance(e, TimeAdvanced)]
    assert ticks == sorted(ticks) and isinstance(r.events[-1], TimeAdvanced)


def test_contact_loss_arrives_as_typed_notes() -> None:
    r = replay(FIXTURES / "contact-loss.jsonl")
    kinds = [e.note.kind for e in r.events if isinstance(e, Noted)]
    assert NoteKind.CONTACT_LOST in kinds and NoteKind.CONTACT_RESTORED in kinds
    assert kinds.index(NoteKind.CONTACT_LOST) < kinds.index(NoteKind.CONTACT_RESTORED)
    links = [e for e in r.events if isinstance(e, LinkChanged)]
    assert LinkState.RECONNECTING in [e.state for e in links]
    assert all(e.device.name for e in links)  # the source's device, as the status line shows
