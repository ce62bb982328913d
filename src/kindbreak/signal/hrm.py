"""Heart Rate Measurement (GATT characteristic 0x2A37) parser. Pure.

The payload's layout and the encoder that builds one live in :mod:`kindbreak.stream` (the
types every source yields); this module decodes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kindbreak.errors import MalformedMeasurement
from kindbreak.stream import (
    FLAG_CONTACT_DETECTED,
    FLAG_CONTACT_SUPPORTED,
    FLAG_ENERGY_PRESENT,
    FLAG_HR_UINT16,
    FLAG_RR_PRESENT,
    rr_ticks_to_ms,
)


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """One decoded notification.

    ``sensor_contact`` is ``None`` when the device says contact detection is not supported.
    ``rr_ms`` holds the beat-to-beat intervals in milliseconds, oldest first.
    """

    hr_bpm: int
    sensor_contact: bool | None = None
    energy_kj: int | None = None
    rr_ms: tuple[float, ...] = ()

    @property
    def contact_lost(self) -> bool:
        """True when the strap says it has no skin contact, or reports a heart rate of 0."""
        return self.sensor_contact is False or self.hr_bpm == 0


def parse_measurement(payload: bytes) -> HeartRateMeasurement:
    """Decode a 0x2A37 payload.

    Raises :class:`~kindbreak.errors.MalformedMeasurement` (a ``ValueError``) for an empty or
    truncated payload, and nothing else. Reserved flag bits are ignored; the RR flag with no RR
    bytes gives ``()``; trailing bytes are ignored when the RR flag is clear.
    """
    data = bytes(payload)
    if not data:
        raise MalformedMeasurement("empty Heart Rate Measurement payload")
    flags = data[0]
    offset = 1
    if flags & FLAG_HR_UINT16:
        if len(data) < offset + 2:
            raise MalformedMeasurement(
                f"payload {data.hex()} too short for its 16-bit heart rate ({len(data)} bytes)"
            )
        hr_bpm = int.from_bytes(data[offset : offset + 2], "little")
        offset += 2
    else:
        if len(data) < offset + 1:
            raise MalformedMeasurement(f"payload {data.hex()} has flags but no heart rate byte")
        hr_bpm = data[offset]
        offset += 1

    contact: bool | None = None
    if flags & FLAG_CONTACT_SUPPORTED:
        contact = bool(flags & FLAG_CONTACT_DETECTED)

    energy_kj: int | None = None
    if flags & FLAG_ENERGY_PRESENT:
        if len(data) < offset + 2:
            raise MalformedMeasurement(
                f"payload {data.hex()} ends inside its Energy Expended field"
            )
        energy_kj = int.from_bytes(data[offset : offset + 2], "little")
        offset += 2

    rr: tuple[float, ...] = ()
    if flags & FLAG_RR_PRESENT:
        rest = data[offset:]
        if len(rest) % 2:
            raise MalformedMeasurement(
                f"payload {data.hex()} has an odd trailing byte in its RR intervals"
            )
        rr = tuple(
            rr_ticks_to_ms(int.from_bytes(rest[i : i + 2], "little"))
            for i in range(0, len(rest), 2)
        )
    return HeartRateMeasurement(hr_bpm, contact, energy_kj, rr)
