"""A strap away for hours is one line, not one line per look: the status line and the log
file say a link state once, and the second and later looks for the device only at DEBUG."""

from __future__ import annotations

import asyncio
import io
import logging
import math
from collections.abc import AsyncIterator

from kindbreak.clock import VirtualClock
from kindbreak.live.log_sink import LogSink
from kindbreak.live.session import Session
from kindbreak.live.status import StatusLine
from kindbreak.signal.pipeline import Pipeline
from kindbreak.stream import (
    DeviceInfo,
    LinkState,
    Notification,
    SourceItem,
    StateEvent,
    encode_measurement,
)

MISSING = "no heart-rate device at 'A0:9E:1A:12:34:56' in 10 s"


class AbsentAllAfternoon:
    """A source whose strap is not found 40 times (backing off to 5 minutes), then is."""

    info = DeviceInfo(name="Polar H10 A1B2C3D4", address="A0:9E:1A:12:34:56")

    def __init__(self, looks: int = 40) -> None:
        self.looks = looks

    async def stream(self) -> AsyncIterator[SourceItem]:
        t = 0.0
        yield StateEvent(t, LinkState.CONNECTING, "looking for A0:9E:1A:12:34:56")
        for n in range(1, self.looks + 1):
            delay = min(300.0, 2.0 * 2 ** (n - 1))
            yield StateEvent(
                t, LinkState.CONNECTING, f"attempt {n} in {delay:.1f} s ({MISSING})", n
            )
            t += delay
        yield StateEvent(t, LinkState.CONNECTED, "Polar H10 A1B2C3D4 (A0:9E:1A:12:34:56)")
        yield Notification(t + 1.0, encode_measurement(70, rr_ms=[857.421875]))

    async def aclose(self) -> None:
        return None


def test_forty_looks_for_an_absent_strap_are_two_lines(caplog) -> None:
    clock = VirtualClock(speed=math.inf)
    stream = io.StringIO()
    status = StatusLine(stream, enabled=False)
    session = Session(
        source=AbsentAllAfternoon(),
        pipeline=Pipeline(),
        sinks=[LogSink(), status],
        clock=clock,
    )
    with caplog.at_level(logging.DEBUG, logger="kindbreak"):
        asyncio.run(session.run())

    said = stream.getvalue().splitlines()
    assert said == [
        "kindbreak: connecting: looking for A0:9E:1A:12:34:56",
        f"kindbreak: connecting: attempt 1 in 2.0 s ({MISSING})",
        "kindbreak: connected: Polar H10 A1B2C3D4 (A0:9E:1A:12:34:56)",
    ]
    links = [r for r in caplog.records if r.getMessage().startswith("link ")]
    assert [r.levelno for r in links].count(logging.INFO) == 3
    assert [r.levelno for r in links].count(logging.DEBUG) == 39  # every look is kept
    assert status.link == "connected"
