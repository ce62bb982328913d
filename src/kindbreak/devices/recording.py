"""The recording format (``*.jsonl``): what ``kindbreak record`` writes and ``--replay`` reads.

JSON Lines, UTF-8. Line 1 is a header object::

    {"format": "kindbreak-recording", "version": 1,
     "device": {"name": "Polar H10 A1B2C3D4", "address": "AA:BB:CC:DD:EE:FF"},
     "body_location": "chest", "start_wall": "2026-03-02T08:55:00+00:00",
     "note": "free text, e.g. the data's source and licence"}

Every further line is either one BLE notification, exactly as it arrived::

    {"t": 12.503, "hex": "1648a0031f03"}

(``t``: arrival time in seconds on the session's monotonic clock, ``hex``: the raw 0x2A37
value) or a link-state event::

    {"t": 600.0, "state": "reconnecting", "detail": "link lost"}

Blank lines are skipped. Unknown keys are ignored, so later versions can add fields. Reading
is bounded (:mod:`kindbreak.devices.inputfile`): lines of at most 64 KiB, times from 0 to 14 days
after the first item, a ``start_wall`` between 1980 and 2100.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from kindbreak.devices.inputfile import (
    MAX_TIME_S,
    Progress,
    check_span,
    datetime_wall,
    iter_lines,
    open_input,
)
from kindbreak.errors import InputFileError
from kindbreak.stream import DeviceInfo, LinkState, Notification, SourceItem, StateEvent

FORMAT_NAME = "kindbreak-recording"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class RecordingHeader:
    device: DeviceInfo = field(default_factory=DeviceInfo)
    start_wall: datetime | None = None
    note: str = ""
    version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": self.version,
            "device": {"name": self.device.name, "address": self.device.address},
            "body_location": self.device.body_location,
            "start_wall": None if self.start_wall is None else self.start_wall.isoformat(),
            "note": self.note,
        }


def looks_like_recording(first_line: str) -> bool:
    try:
        obj = json.loads(first_line)
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get("format") == FORMAT_NAME


NOT_A_RECORDING_HINT = (
    "A recording is what `kindbreak record` writes (.jsonl). RR text, CSV and FIT files are "
    "read by `kindbreak analyze FILE` and `kindbreak import FILE`."
)


def _parse_header(path: Path, line: str) -> RecordingHeader:
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as exc:
        why = exc.args[0] if isinstance(exc, ValueError) else "nested too deeply"
        raise InputFileError(
            path,
            f"is not a kindbreak recording: the header is not JSON ({why})",
            line=1,
            hint=NOT_A_RECORDING_HINT,
        ) from exc
    if not isinstance(obj, dict) or obj.get("format") != FORMAT_NAME:
        raise InputFileError(
            path,
            f'is not a kindbreak recording (the first line must be a header with "format": '
            f'"{FORMAT_NAME}")',
            line=1,
            hint=NOT_A_RECORDING_HINT,
        )
    version = obj.get("version")
    if version != FORMAT_VERSION:
        raise InputFileError(
            path,
            f"recording format version {version!r} is not supported "
            f"(this kindbreak reads {FORMAT_VERSION})",
            line=1,
            hint="Update kindbreak to read recordings made by a newer version.",
        )
    dev = obj.get("device") or {}
    if not isinstance(dev, dict):
        raise InputFileError(path, '"device" must be an object with "name" and "address"', line=1)
    start: datetime | None = None
    if obj.get("start_wall"):
        try:
            start = datetime.fromisoformat(str(obj["start_wall"]))
        except ValueError as exc:
            raise InputFileError(
                path, f"start_wall {str(obj['start_wall'])[:64]!r} is not an ISO 8601 time", line=1
            ) from exc
        datetime_wall(path, 1, start, "start_wall")
    return RecordingHeader(
        device=DeviceInfo(
            name=str(dev.get("name") or "unknown"),
            address=str(dev.get("address") or ""),
            body_location=obj.get("body_location"),
        ),
        start_wall=start,
        note=str(obj.get("note") or ""),
        version=version,
    )


def _parse_item(path: Path, lineno: int, line: str) -> SourceItem:
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as exc:
        problem = exc.args[0] if isinstance(exc, ValueError) else "nested too deeply"
        raise InputFileError(path, f"not a JSON object ({problem})", line=lineno) from exc
    if not isinstance(obj, dict):
        raise InputFileError(path, "expected a JSON object", line=lineno)
    t = obj.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= MAX_TIME_S:
        raise InputFileError(
            path, f'"t" must be a non-negative number of seconds, got {repr(t)[:40]}', line=lineno
        )
    if "hex" in obj:
        try:
            payload = bytes.fromhex(str(obj["hex"]))
        except ValueError as exc:
            raise InputFileError(
                path, f'"hex" is not hexadecimal: {obj["hex"]!r}', line=lineno
            ) from exc
        return Notification(float(t), payload)
    if "state" in obj:
        try:
            state = LinkState(str(obj["state"]))
        except ValueError as exc:
            allowed = ", ".join(s.value for s in LinkState)
            raise InputFileError(
                path, f"unknown state {obj['state']!r} (allowed: {allowed})", line=lineno
            ) from exc
        return StateEvent(float(t), state, str(obj.get("detail") or ""))
    raise InputFileError(
        path, 'a line needs "hex" (a notification) or "state" (an event)', line=lineno
    )


class RecordingReader:
    """Streams a recording without loading it whole. Errors name the file and line.

    ``progress`` (if given) is called with the bytes read so far; :attr:`size_bytes` is the
    file's size.
    """

    def __init__(self, path: Path | str, *, progress: Progress | None = None) -> None:
        self.path = Path(path)
        self._fh: IO[bytes]
        self._fh, self.size_bytes = open_input(self.path, what="recording")
        self._lines = iter_lines(self.path, self._fh, progress=progress)
        try:
            try:
                _, first = next(self._lines)
            except StopIteration:
                first = ""
            except InputFileError as exc:
                if exc.line == 1 and ("binary" in exc.problem or "UTF-8" in exc.problem):
                    raise InputFileError(
                        self.path,
                        "is binary, not a kindbreak recording",
                        line=1,
                        hint=NOT_A_RECORDING_HINT,
                    ) from exc
                raise
            if not first.strip():
                raise InputFileError(self.path, "is empty", line=1)
            self.header = _parse_header(self.path, first)
        except BaseException:
            self._fh.close()
            raise

    def __iter__(self) -> Iterator[SourceItem]:
        first_t: float | None = None
        last_t = 0.0
        try:
            for lineno, line in self._lines:
                if not line.strip():
                    continue
                item = _parse_item(self.path, lineno, line)
                if item.t_s + 1e-9 < last_t:
                    raise InputFileError(
                        self.path, f"time goes backwards ({item.t_s} after {last_t})", line=lineno
                    )
                if first_t is None:
                    first_t = item.t_s
                check_span(self.path, lineno, item.t_s, first_t, '"t"')
                last_t = item.t_s
                yield item
        finally:
            self._fh.close()

    def close(self) -> None:
        self._fh.close()


class RecordingWriter:
    """Appends items to a new recording, flushing each line so a crash loses at most one.

    The file is created readable by the user alone (health data), never through a symbolic
    link. An existing file is an error unless ``replace``, and then it is swapped for the new
    one only now (:func:`kindbreak.safefile.create_file`).
    """

    def __init__(self, path: Path | str, header: RecordingHeader, *, replace: bool = False) -> None:
        from kindbreak.safefile import create_file

        self.path = Path(path)
        self._fh = create_file(self.path, replace=replace)
        self._write(header.to_json())

    def _write(self, obj: dict[str, Any]) -> None:
        self._fh.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self._fh.flush()

    def write(self, item: SourceItem) -> None:
        if isinstance(item, Notification):
            self._write({"t": round(item.t_s, 4), "hex": item.payload.hex()})
        else:
            obj: dict[str, Any] = {"t": round(item.t_s, 4), "state": item.state.value}
            if item.detail:
                obj["detail"] = item.detail
            self._write(obj)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def recording_duration_s(path: Path) -> float:
    """Time of the last item of a recording (reads only the file's tail)."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        lines = [ln for ln in fh.read().splitlines() if ln.strip()]
    for line in reversed(lines):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("t"), int | float):
            return float(obj["t"])
    return 0.0
