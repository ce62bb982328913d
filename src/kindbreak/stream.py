"""What a heart-rate source yields: the one seam every source implements. Pure data.

A source is an async iterator of :data:`SourceItem`: raw Heart Rate Measurement notifications
stamped with their arrival time on the session clock, interleaved with small link-state
events. BLE, replay of a recording and the simulator all yield exactly these, so nothing
downstream knows which one runs (the shape of httpx's transports and ``MockTransport``).

This module sits between the edges and the core: ``devices/`` produces these items and
``signal/`` consumes them, and neither imports the other. It also holds the payload's wire
layout (GATT characteristic 0x2A37) and :func:`encode_measurement`, which builds a payload the
way a strap does (for the simulator, the fixture builder and tests);
:func:`kindbreak.signal.hrm.parse_measurement` decodes it.

Payload layout (Bluetooth SIG, Heart Rate Service 1.0, little-endian)::

    flags (uint8)
      bit 0     HR value format: 0 = uint8, 1 = uint16
      bits 1-2  sensor contact: 0/1 not supported, 2 supported and not detected,
                3 supported and detected
      bit 3     Energy Expended present (uint16, kJ)
      bit 4     RR-Interval present (uint16 each, 1/1024 s, oldest first, as many as fit)
      bits 5-7  reserved (ignored)
    HR value (uint8 or uint16, bpm)
    Energy Expended (uint16, kJ)          if bit 3
    RR-Interval * n (uint16, 1/1024 s)   if bit 4

``rr_ms = raw * 1000 / 1024`` is exact in a double, so the float keeps every bit of the tick.
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
    attempt: int = 0
    """Which look for the device this is (1, 2, ... while connecting or reconnecting with
    backoff); 0 for every other event. Not kept in recordings."""


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


# -- the payload: Heart Rate Measurement (0x2A37) -------------------------------------------------

FLAG_HR_UINT16 = 0x01
FLAG_CONTACT_SUPPORTED = 0x04
FLAG_CONTACT_DETECTED = 0x02
FLAG_ENERGY_PRESENT = 0x08
FLAG_RR_PRESENT = 0x10

RR_TICKS_PER_S = 1024


def rr_ticks_to_ms(raw: int) -> float:
    return raw * 1000 / RR_TICKS_PER_S


def rr_ms_to_ticks(rr_ms: float) -> int:
    return round(rr_ms * RR_TICKS_PER_S / 1000)


def encode_measurement(
    hr_bpm: int,
    *,
    rr_ms: tuple[float, ...] | list[float] = (),
    sensor_contact: bool | None = None,
    energy_kj: int | None = None,
    hr_uint16: bool | None = None,
    rr_present: bool | None = None,
) -> bytes:
    """Build a 0x2A37 payload the way a strap does (the inverse of
    :func:`kindbreak.signal.hrm.parse_measurement`).

    Used by the simulator, the fixture builder and tests. ``hr_uint16`` defaults to the smallest
    format that fits; ``rr_present`` defaults to whether any RR is given. RR values are rounded
    to whole 1/1024 s ticks, as on the wire.
    """
    if hr_uint16 is None:
        hr_uint16 = hr_bpm > 0xFF
    if rr_present is None:
        rr_present = len(rr_ms) > 0
    flags = 0
    body = bytearray()
    if hr_uint16:
        flags |= FLAG_HR_UINT16
        body += int(hr_bpm).to_bytes(2, "little")
    else:
        body.append(int(hr_bpm) & 0xFF)
    if sensor_contact is not None:
        flags |= FLAG_CONTACT_SUPPORTED | (FLAG_CONTACT_DETECTED if sensor_contact else 0)
    if energy_kj is not None:
        flags |= FLAG_ENERGY_PRESENT
        body += int(energy_kj).to_bytes(2, "little")
    if rr_present:
        flags |= FLAG_RR_PRESENT
        for value in rr_ms:
            body += min(max(rr_ms_to_ticks(value), 0), 0xFFFF).to_bytes(2, "little")
    return bytes([flags]) + bytes(body)
