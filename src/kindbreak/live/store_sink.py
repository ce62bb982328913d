"""The store as a sink: every fact of the session goes to the log.

Beats, windows, detector events and link states are buffered by the store and written at least
once per second of session time (:meth:`~kindbreak.store.db.Store.maybe_commit`), so a beat is
on disk within a second of arriving; a learned baseline and the device, once connected, at once.
"""

from __future__ import annotations

from kindbreak.clock import Clock
from kindbreak.live.events import (
    BaselineLearned,
    BeatsPlaced,
    EpisodeEnded,
    EpisodeRising,
    Event,
    LinkChanged,
    TimeAdvanced,
    WindowClosed,
)
from kindbreak.live.sink import Sink
from kindbreak.store.db import Store
from kindbreak.stream import LinkState


class StoreSink(Sink):
    def __init__(self, store: Store, session_id: int, clock: Clock) -> None:
        self.store = store
        self.session_id = session_id
        self.clock = clock

    async def handle(self, event: Event) -> None:
        store, sid = self.store, self.session_id
        match event:
            case BeatsPlaced(beats=beats):
                store.add_beats(sid, ((b.t_s, b.rr_ms, b.gap_before) for b in beats))
            case WindowClosed(window=w):
                store.add_window(sid, w)
            case EpisodeRising(event=e) | EpisodeEnded(event=e):
                store.add_event(sid, e)
            case LinkChanged():
                store.add_state(sid, event.t_s, event.state.value, event.detail)
                if event.state is LinkState.CONNECTED:
                    # The device is known for sure only once connected (a name resolves to
                    # an address, the body location and battery are read).
                    store.update_session_device(sid, event.device.name, event.device.address)
            case BaselineLearned(baseline=b):
                store.add_baseline(wall=self.clock.wall(), baseline=b, session_id=sid)
            case TimeAdvanced(t_s=t_s):
                store.maybe_commit(t_s)

    async def close(self) -> None:
        self.store.commit()
