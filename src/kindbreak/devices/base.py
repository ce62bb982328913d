"""The one seam every heart-rate source implements.

A source is an async iterator of :data:`SourceItem`: raw Heart Rate Measurement notifications
stamped with their arrival time on the session clock, interleaved with small link-state
events. BLE, replay of a recording and the simulator all yield exactly these, so nothing
downstream knows which one runs (the shape of httpx's transports and ``MockTransport``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Notification:
    """One 0x2A37 notification: arrival time (s, session monotonic clock) and raw bytes."""

    t_s: float
    payload: bytes


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class StateEvent:
    """A change of the link to the device, on the same stream as the notifications."""

    t_s: float
    state: LinkState
    detail: str = ""


SourceItem = Notification | StateEvent


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What we know of the device behind a source (shown to the user, stored per session)."""

    name: str = "unknown"
    address: str = ""
    body_location: str | None = None
    battery_pct: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class HeartRateSource(Protocol):
    """Anything that streams heart-rate notifications."""

    @property
    def info(self) -> DeviceInfo: ...

    def stream(self) -> AsyncIterator[SourceItem]:
        """Yield items until the source ends or the consumer stops iterating."""
        ...

    async def aclose(self) -> None:
        """Release the device (disconnect, close files). Safe to call twice."""
        ...
