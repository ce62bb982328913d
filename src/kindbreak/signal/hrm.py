"""Heart Rate Measurement (GATT characteristic 0x2A37) parser and encoder. Pure.

Layout (Bluetooth SIG, Heart Rate Service 1.0, little-endian)::

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

from dataclasses import dataclass

from kindbreak.errors import MalformedMeasurement

_HR_UINT16 = 0x01
_CONTACT_SUPPORTED = 0x04
_CONTACT_DETECTED = 0x02
_ENERGY_PRESENT = 0x08
_RR_PRESENT = 0x10

RR_TICKS_PER_S = 1024


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


def rr_ticks_to_ms(raw: int) -> float:
    return raw * 1000 / RR_TICKS_PER_S


def rr_ms_to_ticks(rr_ms: float) -> int:
    return round(rr_ms * RR_TICKS_PER_S / 1000)


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
    if flags & _HR_UINT16:
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
    if flags & _CONTACT_SUPPORTED:
        contact = bool(flags & _CONTACT_DETECTED)

    energy_kj: int | None = None
    if flags & _ENERGY_PRESENT:
        if len(data) < offset + 2:
            raise MalformedMeasurement(
                f"payload {data.hex()} ends inside its Energy Expended field"
            )
        energy_kj = int.from_bytes(data[offset : offset + 2], "little")
        offset += 2

    rr: tuple[float, ...] = ()
    if flags & _RR_PRESENT:
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


def encode_measurement(
    hr_bpm: int,
    *,
    rr_ms: tuple[float, ...] | list[float] = (),
    sensor_contact: bool | None = None,
    energy_kj: int | None = None,
    hr_uint16: bool | None = None,
    rr_present: bool | None = None,
) -> bytes:
    """Build a 0x2A37 payload the way a strap does (the inverse of :func:`parse_measurement`).

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
        flags |= _HR_UINT16
        body += int(hr_bpm).to_bytes(2, "little")
    else:
        body.append(int(hr_bpm) & 0xFF)
    if sensor_contact is not None:
        flags |= _CONTACT_SUPPORTED | (_CONTACT_DETECTED if sensor_contact else 0)
    if energy_kj is not None:
        flags |= _ENERGY_PRESENT
        body += int(energy_kj).to_bytes(2, "little")
    if rr_present:
        flags |= _RR_PRESENT
        for value in rr_ms:
            body += min(max(rr_ms_to_ticks(value), 0), 0xFFFF).to_bytes(2, "little")
    return bytes([flags]) + bytes(body)
