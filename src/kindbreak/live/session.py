"""One monitoring session: source -> pipeline -> sinks.

:class:`Session` reads the source, feeds each item to the pipeline and hands what came of it
to every sink as typed events (:mod:`kindbreak.live.events`), in order. It owns the session's
asyncio tasks (the consumer, each sink's background work, a ``--duration`` timer) in one
``TaskGroup`` and shuts them down explicitly. It knows nothing of which source runs, nor of
what the sinks do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

from kindbreak.clock import Clock, VirtualClock
from kindbreak.live.events import (
    BaselineLearned,
    BeatsPlaced,
    EpisodeEnded,
    EpisodeRising,
    Event,
    HeartRateMeasured,
    LinkChanged,
    Noted,
    TimeAdvanced,
    WindowClosed,
)
from kindbreak.live.sink import Sink
from kindbreak.signal.detector import EventKind
from kindbreak.signal.pipeline import FeedResult, Pipeline
from kindbreak.stream import HeartRateSource, LinkState, StateEvent


class Session:
    """Streams ``source`` through ``pipeline`` into ``sinks`` until the source ends, ``stop``
    is set (Ctrl-C, SIGTERM) or ``duration_s`` of session time has passed."""

    def __init__(
        self,
        *,
        source: HeartRateSource,
        pipeline: Pipeline,
        sinks: Sequence[Sink],
        clock: Clock,
        duration_s: float | None = None,
    ) -> None:
        self.source = source
        self.pipeline = pipeline
        self.sinks = list(sinks)
        self.clock = clock
        self.duration_s = duration_s
        self.last_t_s = 0.0
        self._baseline_announced = False

    async def run(self, stop: asyncio.Event | None = None) -> None:
        # Set by the source ending, --duration, or the caller (Ctrl-C / SIGTERM in the app).
        stop = stop if stop is not None else asyncio.Event()
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(sink.run()) for sink in self.sinks]
            tasks.append(tg.create_task(self._consume(stop)))
            if self.duration_s is not None and not isinstance(self.clock, VirtualClock):
                tasks.append(tg.create_task(_stop_after(self.clock, self.duration_s, stop)))
            await stop.wait()
            for task in tasks:
                task.cancel()
        for sink in self.sinks:
            await sink.close()

    async def _consume(self, stop: asyncio.Event) -> None:
        async for item in self.source.stream():
            self.last_t_s = item.t_s
            if isinstance(item, StateEvent):
                await self._emit(
                    LinkChanged(item.t_s, item.state, item.detail, self.source.info, item.attempt)
                )
                if item.state is LinkState.STOPPED:
                    await self._emit(TimeAdvanced(item.t_s))
                    break
            await self._deliver(item.t_s, self.pipeline.feed(item))
            if self.duration_s is not None and item.t_s >= self.duration_s:
                break
        await self._deliver(self.last_t_s, self.pipeline.finish(self.last_t_s))
        stop.set()

    async def _deliver(self, t_s: float, out: FeedResult) -> None:
        for event in self._events(t_s, out):
            await self._emit(event)

    async def _emit(self, event: Event) -> None:
        for sink in self.sinks:
            await sink.handle(event)

    def _events(self, t_s: float, out: FeedResult) -> Iterator[Event]:
        """What one feed of the pipeline means, as events, ending with :class:`TimeAdvanced`."""
        if out.beats:
            yield BeatsPlaced(t_s, tuple(out.beats))
        if out.measurement is not None:
            yield HeartRateMeasured(t_s, out.measurement)
        for note in out.notes:
            yield Noted(note)
        baseline = self.pipeline.baseline
        if self.pipeline.baseline_learned and baseline and not self._baseline_announced:
            self._baseline_announced = True
            yield BaselineLearned(t_s, baseline)
        for window in out.windows:
            yield WindowClosed(window)
        for ev in out.events:
            yield EpisodeRising(ev) if ev.kind is EventKind.RISING else EpisodeEnded(ev)
        yield TimeAdvanced(t_s)


async def _stop_after(clock: Clock, duration_s: float, stop: asyncio.Event) -> None:
    await clock.sleep(duration_s)
    stop.set()
