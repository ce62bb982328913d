"""Garmin FIT files: the beat intervals of HRV messages (global message number 78).

Field 0 (``time``) of an hrv message is an array of uint16 in 1/1000 s; 0xFFFF marks an unused
slot (fitdecode gives ``None`` for it). Beats are timed by adding up the intervals from the
recording's start (``file_id.time_created``, else the first timestamp in the file). fitdecode
is imported lazily; its errors become :class:`~kindbreak.errors.InputFileError` naming the file.

The file is streamed (at most :data:`MAX_FIT_BYTES`), the intervals kept as a compact array, and
the beats may span at most 14 days (:data:`~kindbreak.devices.inputfile.MAX_RECORDING_S`).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kindbreak.devices.inputfile import (
    MAX_RECORDING_S,
    Progress,
    check_span,
    datetime_wall,
    open_input,
)
from kindbreak.errors import InputFileError

HRV_MESG_NUM = 78
MAX_FIT_BYTES = 256 * 1024 * 1024
"""A FIT file of a 14-day recording with HRV holds about 100 MB."""
FIT_HINT = (
    "Export the activity from Garmin Connect as the original .FIT file (with HRV logging on)."
)


@dataclass(frozen=True, slots=True)
class FitBeats:
    rr_ms: array[float]
    """Beat intervals in ms ('d' array: 8 bytes a beat)."""
    start: datetime | None
    device_name: str


def is_fit(head: bytes) -> bool:
    """A FIT file: header size 12 or 14 and the ``.FIT`` signature at bytes 8-11."""
    return len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT"


class _Counting:
    """A binary file that reports how far it has been read."""

    def __init__(self, fh: object, progress: Progress | None) -> None:
        self._fh = fh
        self._done = 0
        self._progress = progress

    def read(self, n: int = -1) -> bytes:
        data: bytes = self._fh.read(n)  # type: ignore[attr-defined]
        self._done += len(data)
        if self._progress is not None:
            self._progress(self._done)
        return data

    def __getattr__(self, name: str) -> object:
        return getattr(self._fh, name)


def read_fit_beats(path: Path, *, progress: Progress | None = None) -> FitBeats:
    fh, size = open_input(path, what="FIT file")
    with fh:
        if not is_fit(fh.read(14)):
            raise InputFileError(path, "is not a FIT file (no .FIT signature)", hint=FIT_HINT)
        if size > MAX_FIT_BYTES:
            raise InputFileError(
                path,
                f"is {size / 2**20:.0f} MiB; kindbreak reads FIT files of at most "
                f"{MAX_FIT_BYTES // 2**20} MiB ({MAX_RECORDING_S / 86400:g} days of beats)",
                hint="Export a shorter activity.",
            )
        fh.seek(0)
        return _decode(path, _Counting(fh, progress))


def _decode(path: Path, fh: _Counting) -> FitBeats:
    import fitdecode as fd

    rr = array("d")
    total_ms = 0.0
    start: datetime | None = None
    first_ts: datetime | None = None
    device = ""
    try:
        with fd.FitReader(fh, check_crc=fd.CrcCheck.RAISE) as reader:
            for frame in reader:
                if not isinstance(frame, fd.FitDataMessage):
                    continue
                if frame.global_mesg_num == HRV_MESG_NUM:
                    if not frame.has_field(0):
                        continue
                    values = frame.get_value(0, raw_value=True, fallback=None)
                    if values is None:
                        continue
                    if not isinstance(values, tuple | list):
                        values = (values,)
                    for v in values:
                        # raw 1/1000 s ticks; fitdecode gives None for 0xFFFF
                        if isinstance(v, int | float) and math.isfinite(v) and 0 < v < 0xFFFF:
                            rr.append(float(v))
                            total_ms += v
                    check_span(path, None, total_ms / 1000.0, 0.0, "the HRV data reach")
                elif frame.name == "file_id":
                    created = frame.get_value("time_created", fallback=None)
                    if isinstance(created, datetime):
                        start = created
                    maker = frame.get_value("manufacturer", fallback=None)
                    product = None
                    for name in ("garmin_product", "product"):
                        product = frame.get_value(name, fallback=None)
                        if product is not None:
                            break
                    device = " ".join(str(x) for x in (maker, product) if x is not None)
                elif first_ts is None:
                    ts = frame.get_value("timestamp", fallback=None)
                    if isinstance(ts, datetime):
                        first_ts = ts
    except fd.FitCRCError as exc:
        raise InputFileError(path, f"is a damaged FIT file (CRC check failed: {exc})") from exc
    except fd.FitError as exc:
        raise InputFileError(path, f"is not a readable FIT file ({exc})", hint=FIT_HINT) from exc
    if not rr:
        raise InputFileError(
            path,
            "has no HRV messages (beat intervals)",
            hint="Turn on 'Log HRV' (heart rate variability) on the watch and record again; "
            "files without it hold heart rate only.",
        )
    begin = start or first_ts
    if begin is not None:
        datetime_wall(path, None, begin, "the recording's start")
    return FitBeats(rr, begin, device)
