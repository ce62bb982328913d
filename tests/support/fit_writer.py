"""A small FIT encoder for tests: file_id (mesg 0) and hrv (mesg 78) messages.

Written from the FIT protocol description (FIT SDK, "Flexible and Interoperable Data Transfer
Protocol"): a 14-byte file header (size, protocol version, profile version, data size, ".FIT",
header CRC), definition and data records, and a CRC-16 of everything before it at the end.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import UTC, datetime

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)

_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip

UINT16 = 0x84
UINT32 = 0x86
UINT32Z = 0x8C
ENUM = 0x00
INVALID_U16 = 0xFFFF


def fit_crc(data: bytes, crc: int = 0) -> int:
    """The FIT CRC-16 (the SDK's nibble-table algorithm)."""
    for byte in data:
        tmp = _CRC_TABLE[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ _CRC_TABLE[byte & 0xF]
        tmp = _CRC_TABLE[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ _CRC_TABLE[(byte >> 4) & 0xF]
    return crc


def _definition(local: int, global_num: int, fields: Sequence[tuple[int, int, int]]) -> bytes:
    out = bytes([0x40 | local, 0, 0]) + struct.pack("<HB", global_num, len(fields))
    for num, size, base in fields:
        out += bytes([num, size, base])
    return out


def fit_file(
    rr_ms: Sequence[float],
    *,
    created: datetime = datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
    per_message: int = 5,
    corrupt_crc: bool = False,
    with_hrv: bool = True,
) -> bytes:
    """A FIT activity file with the beat intervals ``rr_ms`` in hrv messages.

    Each hrv message holds ``per_message`` slots of uint16 (1/1000 s); unused slots of the last
    message are 0xFFFF (invalid), as Garmin devices write them.
    """
    records = bytearray()
    # file_id: type (enum), manufacturer (uint16), product (uint16), serial (uint32z),
    # time_created (uint32, s since 1989-12-31 UTC)
    records += _definition(
        0, 0, [(0, 1, ENUM), (1, 2, UINT16), (2, 2, UINT16), (3, 4, UINT32Z), (4, 4, UINT32)]
    )
    created_s = int((created - FIT_EPOCH).total_seconds())
    records += bytes([0]) + struct.pack("<BHHII", 4, 1, 3121, 123456789, created_s)
    if with_hrv:
        records += _definition(1, 78, [(0, 2 * per_message, UINT16)])
        ticks = [round(v) for v in rr_ms]
        for i in range(0, len(ticks), per_message):
            chunk = ticks[i : i + per_message]
            chunk += [INVALID_U16] * (per_message - len(chunk))
            records += bytes([1]) + struct.pack(f"<{per_message}H", *chunk)
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(records), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    body = header + bytes(records)
    crc = fit_crc(body)
    if corrupt_crc:
        crc ^= 0x5A5A
    return body + struct.pack("<H", crc)
