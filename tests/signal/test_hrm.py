"""0x2A37 Heart Rate Measurement parser (kindbreak.signal.hrm) and encoder (kindbreak.stream)."""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindbreak.errors import MalformedMeasurement
from kindbreak.signal.hrm import HeartRateMeasurement, parse_measurement
from kindbreak.stream import encode_measurement, rr_ticks_to_ms


def ms(ticks: int) -> float:
    return ticks * 1000 / 1024


# -- flag combinations on hand-written frames ----------------------------------------------------

CONTACT_BITS = {0b00: None, 0b01: None, 0b10: False, 0b11: True}


@pytest.mark.parametrize(
    ("uint16", "contact_bits", "energy", "rr"),
    list(itertools.product([False, True], [0, 1, 2, 3], [False, True], [False, True])),
)
def test_every_flag_combination(uint16: bool, contact_bits: int, energy: bool, rr: bool) -> None:
    flags = int(uint16) | (contact_bits << 1) | (int(energy) << 3) | (int(rr) << 4)
    payload = bytes([flags])
    # HR 0x012C = 300 bpm as uint16, 0x5A = 90 bpm as uint8.
    payload += b"\x2c\x01" if uint16 else b"\x5a"
    if energy:
        payload += b"\x34\x12"  # 0x1234 = 4660 kJ
    if rr:
        payload += b"\x00\x04\x01\x03"  # 1024 ticks (1000 ms), then 769 ticks

    m = parse_measurement(payload)

    assert m.hr_bpm == (300 if uint16 else 90)
    assert m.sensor_contact is CONTACT_BITS[contact_bits]
    assert m.energy_kj == (4660 if energy else None)
    assert m.rr_ms == ((1000.0, 769 * 1000 / 1024) if rr else ())


def test_contact_bits_tri_state() -> None:
    assert parse_measurement(b"\x00\x48").sensor_contact is None
    assert parse_measurement(b"\x02\x48").sensor_contact is None  # bit 1 alone: not supported
    assert parse_measurement(b"\x04\x48").sensor_contact is False
    assert parse_measurement(b"\x06\x48").sensor_contact is True
    assert parse_measurement(b"\x04\x48").contact_lost is True
    assert parse_measurement(b"\x06\x48").contact_lost is False
    assert parse_measurement(b"\x00\x48").contact_lost is False


def test_uint16_heart_rate_is_little_endian() -> None:
    assert parse_measurement(b"\x01\x48\x00").hr_bpm == 72
    assert parse_measurement(b"\x01\x00\x01").hr_bpm == 256
    assert parse_measurement(b"\x01\xff\xff").hr_bpm == 65535
    assert parse_measurement(b"\x00\xff").hr_bpm == 255


def test_energy_expended_before_rr() -> None:
    # The classic bug: skipping the EE offset reads EE as the first RR.
    m = parse_measurement(bytes.fromhex("18 50 ff ff 00 03"))
    assert m.energy_kj == 0xFFFF  # saturated, as sent
    assert m.rr_ms == (750.0,)  # 0x0300 = 768 ticks


def test_rr_list_oldest_first_and_exact() -> None:
    ticks = [700, 1, 65535, 1023, 0]
    payload = bytes([0x10, 70]) + b"".join(struct.pack("<H", t) for t in ticks)
    m = parse_measurement(payload)
    assert m.rr_ms == tuple(t * 1000 / 1024 for t in ticks)
    assert m.rr_ms[0] == 683.59375
    assert m.rr_ms[1] == 0.9765625
    assert m.rr_ms[2] == 63999.0234375
    assert m.rr_ms[4] == 0.0
    # The float keeps every bit of the tick.
    assert all(v * 1024 / 1000 == t for v, t in zip(m.rr_ms, ticks, strict=True))
    assert rr_ticks_to_ms(1024) == 1000.0


def test_nine_rr_fill_a_default_mtu_frame() -> None:
    ticks = list(range(800, 809))
    payload = bytes([0x10, 75]) + b"".join(struct.pack("<H", t) for t in ticks)
    assert len(payload) == 20
    assert parse_measurement(payload).rr_ms == tuple(ms(t) for t in ticks)


@pytest.mark.parametrize("reserved", [0x20, 0x40, 0x80, 0xE0])
def test_reserved_bits_ignored(reserved: int) -> None:
    base = parse_measurement(bytes.fromhex("16 4b 1f 03"))
    assert parse_measurement(bytes([0x16 | reserved]) + bytes.fromhex("4b 1f 03")) == base
    assert parse_measurement(bytes([reserved, 0x40])) == HeartRateMeasurement(64)


def test_rr_flag_without_rr_bytes_gives_empty_tuple() -> None:
    assert parse_measurement(b"\x10\x48").rr_ms == ()
    assert parse_measurement(b"\x18\x48\x01\x00").rr_ms == ()
    assert parse_measurement(b"\x18\x48\x01\x00").energy_kj == 1


def test_trailing_bytes_ignored_without_rr_flag() -> None:
    assert parse_measurement(b"\x00\x48\xde\xad\xbe") == HeartRateMeasurement(72)
    assert parse_measurement(b"\x08\x48\x05\x00\x99") == HeartRateMeasurement(72, energy_kj=5)
    assert parse_measurement(b"\x01\x48\x00\x07") == HeartRateMeasurement(72)


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"", "empty"),
        (b"\x00", "no heart rate"),
        (b"\x16", "no heart rate"),
        (b"\x01", "16-bit"),
        (b"\x01\x48", "16-bit"),
        (b"\x08\x48", "Energy"),
        (b"\x08\x48\x01", "Energy"),
        (b"\x18\x48\x01", "Energy"),
        (b"\x10\x48\x00", "odd"),
        (b"\x10\x48\x00\x04\x01", "odd"),
        (b"\x19\x48\x00\x01\x00\x00\x04\x01", "odd"),
    ],
)
def test_truncated_payloads_raise(payload: bytes, words: str) -> None:
    with pytest.raises(MalformedMeasurement, match=words) as info:
        parse_measurement(payload)
    assert isinstance(info.value, ValueError)
    assert info.value.hint  # a one-line hint for the user
    if payload:
        assert payload.hex() in str(info.value)


def test_accepts_bytearray_and_memoryview() -> None:
    raw = bytes.fromhex("10 48 a0 03")
    assert parse_measurement(bytearray(raw)) == parse_measurement(memoryview(raw))  # type: ignore[arg-type]


# -- frames as real devices send them ------------------------------------------------------------


def test_frame_rr_no_contact_support() -> None:
    # 0x10: RR present, contact not supported (Polar H10 on some firmware).
    m = parse_measurement(bytes.fromhex("10 48 a0 03"))
    assert m == HeartRateMeasurement(
        hr_bpm=72, sensor_contact=None, energy_kj=None, rr_ms=(906.25,)
    )


def test_frame_polar_h10_with_contact() -> None:
    m = parse_measurement(bytes.fromhex("16 4b 1f 03 2a 03"))
    assert m.hr_bpm == 75
    assert m.sensor_contact is True
    assert m.energy_kj is None
    assert m.rr_ms == (780.2734375, 791.015625)  # 799 and 810 ticks
    assert not m.contact_lost


def test_frame_polar_h10_with_energy() -> None:
    m = parse_measurement(bytes.fromhex("1e 4e 2c 01 e9 02"))
    assert (m.hr_bpm, m.sensor_contact, m.energy_kj) == (78, True, 300)
    assert m.rr_ms == (727.5390625,)  # 745 ticks


def test_frame_contact_lost() -> None:
    m = parse_measurement(bytes.fromhex("04 00"))
    assert m == HeartRateMeasurement(hr_bpm=0, sensor_contact=False)
    assert m.contact_lost


def test_frame_zero_hr_without_contact_support_counts_as_lost() -> None:
    assert parse_measurement(bytes.fromhex("00 00")).contact_lost


def test_frame_watch_hr_only() -> None:
    m = parse_measurement(bytes.fromhex("00 40"))
    assert m == HeartRateMeasurement(hr_bpm=64)
    assert m.rr_ms == ()
    assert not m.contact_lost


# -- encoder -------------------------------------------------------------------------------------


def test_encode_matches_hand_written_frames() -> None:
    assert encode_measurement(72, rr_ms=(906.25,)) == bytes.fromhex("10 48 a0 03")
    assert encode_measurement(75, rr_ms=(780.2734375, 791.015625), sensor_contact=True) == (
        bytes.fromhex("16 4b 1f 03 2a 03")
    )
    assert encode_measurement(0, sensor_contact=False) == bytes.fromhex("04 00")
    assert encode_measurement(64) == bytes.fromhex("00 40")
    assert encode_measurement(300) == bytes.fromhex("01 2c 01")
    assert encode_measurement(72, hr_uint16=True) == bytes.fromhex("01 48 00")
    assert encode_measurement(72, rr_present=True) == bytes.fromhex("10 48")
    assert encode_measurement(78, energy_kj=300, sensor_contact=True, rr_ms=[727.5390625]) == (
        bytes.fromhex("1e 4e 2c 01 e9 02")
    )


def test_encode_rounds_rr_to_ticks() -> None:
    # 800 ms = 819.2 ticks -> 819 on the wire -> 799.8046875 ms.
    assert parse_measurement(encode_measurement(70, rr_ms=(800.0,))).rr_ms == (799.8046875,)


# -- properties ----------------------------------------------------------------------------------


def reference_parse(data: bytes) -> HeartRateMeasurement | None:
    """An independent reading of the spec with struct; None where the payload is malformed."""
    if not data:
        return None
    flags = data[0]
    fmt = "<H" if flags & 1 else "<B"
    pos = 1
    need = struct.calcsize(fmt)
    if len(data) < pos + need:
        return None
    (hr,) = struct.unpack_from(fmt, data, pos)
    pos += need
    contact = {0: None, 1: None, 2: False, 3: True}[(flags >> 1) & 3]
    energy = None
    if flags & 8:
        if len(data) < pos + 2:
            return None
        (energy,) = struct.unpack_from("<H", data, pos)
        pos += 2
    rr: tuple[float, ...] = ()
    if flags & 16:
        rest = data[pos:]
        if len(rest) % 2:
            return None
        rr = tuple(t * 1000 / 1024 for t in struct.unpack(f"<{len(rest) // 2}H", rest))
    return HeartRateMeasurement(hr, contact, energy, rr)


@given(st.binary(max_size=24))
def test_arbitrary_bytes_parse_or_raise_malformed(data: bytes) -> None:
    expected = reference_parse(data)
    try:
        got = parse_measurement(data)
    except MalformedMeasurement:
        assert expected is None, f"{data.hex()} rejected, but the spec reads {expected}"
        return
    assert isinstance(got, HeartRateMeasurement)
    assert got == expected


@given(
    hr=st.integers(0, 0xFFFF),
    contact=st.sampled_from([None, False, True]),
    energy=st.none() | st.integers(0, 0xFFFF),
    ticks=st.lists(st.integers(0, 0xFFFF), max_size=9),
    force16=st.booleans(),
)
def test_encode_parse_round_trip(
    hr: int, contact: bool | None, energy: int | None, ticks: list[int], force16: bool
) -> None:
    payload = encode_measurement(
        hr,
        rr_ms=[t * 1000 / 1024 for t in ticks],
        sensor_contact=contact,
        energy_kj=energy,
        hr_uint16=True if force16 else None,
    )
    m = parse_measurement(payload)
    assert m.hr_bpm == hr
    assert m.sensor_contact is contact
    assert m.energy_kj == energy
    assert [v * 1024 / 1000 for v in m.rr_ms] == ticks
    assert bool(payload[0] & 1) == (force16 or hr > 0xFF)
    assert bool(payload[0] & 0x10) == bool(ticks)
