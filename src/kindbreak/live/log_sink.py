"""The log file as a sink: link changes and notes (a malformed packet's bytes only at DEBUG:
raw data never goes to the log at INFO). A second or later look for an absent strap is at
DEBUG too: a link that stays down is one line, however long it stays down."""

from __future__ import annotations

import logging

from kindbreak.live.events import Event, LinkChanged, Noted
from kindbreak.live.sink import Sink
from kindbreak.signal.notes import NoteKind

log = logging.getLogger("kindbreak")


class LogSink(Sink):
    async def handle(self, event: Event) -> None:
        match event:
            case LinkChanged(state=state, detail=detail) if event.repeated:
                log.debug("link %s %s", state.value, detail)
            case LinkChanged(state=state, detail=detail):
                log.info("link %s %s", state.value, detail)
            case Noted(note=note) if note.kind is NoteKind.MALFORMED_PACKET:
                log.warning("%s", note.text)
                log.debug("%s", note)
            case Noted(note=note):
                log.info("%s", note.text)
