"""Garmin FIT files: the beat intervals of HRV messages (global message number 78).

Field 0 (``time``) of an hrv message is an array of uint16 in 1/1000 s; 0xFFFF marks an unused
slot (fitdecode gives ``None`` for it). Beats are timed by adding up the intervals from the
recording's start (``file_id.time_created``, else the first timestamp in the file). fitdecode
is imported lazily; its errors become :class:`~kindbreak.errors.InputFileError` naming the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kindbreak.errors import InputFileError

HRV_MESG_NUM = 78
FIT_HINT = (
    "Export the activity from Garmin Connect as the original .FIT file (with HRV logging on)."
)


@dataclass(frozen=True, slots=True)
class FitBeats:
    rr_ms: tuple[float, ...]
    start: datetime | None
    device_name: str


def is_fit(head: bytes) -> bool:
    """A FIT file: header size 12 or 14 and the ``.FIT`` signature at bytes 8-11."""
    return len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT"


def read_fit_beats(path: Path, data: bytes | None = None) -> FitBeats:
    import io

    import fitdecode

    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputFileError(path, f"cannot be read ({exc.strerror})") from exc
    if not is_fit(data[:14]):
        raise InputFileError(path, "is not a FIT file (no .FIT signature)", hint=FIT_HINT)
    rr: list[float] = []
    start: datetime | None = None
    first_ts: datetime | None = None
    device = ""
    try:
        with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
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
    except fitdecode.FitCRCError as exc:
        raise InputFileError(path, f"is a damaged FIT file (CRC check failed: {exc})") from exc
    except fitdecode.FitError as exc:
        raise InputFileError(path, f"is not a readable FIT file ({exc})", hint=FIT_HINT) from exc
    if not rr:
        raise InputFileError(
            path,
            "has no HRV messages (beat intervals)",
            hint="Turn on 'Log HRV' (heart rate variability) on the watch and record again; "
            "files without it hold heart rate only.",
        )
    return FitBeats(tuple(rr), start or first_ts, device)
