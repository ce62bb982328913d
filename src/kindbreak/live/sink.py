"""The one protocol every consumer of a live session implements.

A sink gets every :data:`~kindbreak.live.events.Event` of the session, in order, through
:meth:`Sink.handle`; it may run background work for the whole session (:meth:`Sink.run`, a task
the session cancels at the end) and tidy up after the last event (:meth:`Sink.close`). Sinks
that subclass :class:`Sink` inherit do-nothing ``run`` and ``close``.

A new consumer (a dashboard, a second notifier, an export) is one class here in ``live/`` and
one line in :func:`kindbreak.app.run_session`, where the sinks are wired.
"""

from __future__ import annotations

from typing import Protocol

from kindbreak.live.events import Event


class Sink(Protocol):
    async def handle(self, event: Event) -> None:
        """React to one event (keep it quick: the next item waits)."""
        ...

    async def run(self) -> None:
        """Background work for the whole session; cancelled when it ends. None by default."""
        return None

    async def close(self) -> None:
        """After the last event and after :meth:`run` was cancelled. Nothing by default."""
        return None
