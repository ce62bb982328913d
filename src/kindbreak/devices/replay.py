"""Replay of a recording: yields exactly what the BLE source yielded when it was recorded.

The replay drives the session clock: before yielding an item stamped ``t`` it calls
``clock.sleep_until(t)``, so with a :class:`~kindbreak.clock.VirtualClock` at ``speed=60`` an
hour passes in a minute and every timer downstream sees recorded time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from kindbreak.clock import Clock
from kindbreak.devices.recording import RecordingReader
from kindbreak.stream import DeviceInfo, SourceItem


class ReplaySource:
    def __init__(self, path: Path | str, clock: Clock) -> None:
        self._reader = RecordingReader(path)
        self._clock = clock
        self.header = self._reader.header

    @property
    def info(self) -> DeviceInfo:
        return self.header.device

    async def stream(self) -> AsyncIterator[SourceItem]:
        for item in self._reader:
            await self._clock.sleep_until(item.t_s)
            yield item

    async def aclose(self) -> None:
        self._reader.close()
