"""Readers for beat-interval files exported by other tools.

* plain RR text: one interval in ms per line, ``#`` comments and blank lines skipped (Kubios,
  Elite HRV and Polar exports). Values below 10 are taken as seconds (Kubios also writes s).
* CSV with a header naming an RR column (``rr_ms``, ``ibi_ms``, ``rr``, ``RR``, ``ibi``, any
  case) and optionally a time column in seconds (``time_s``, ``t_rel_s``, ``timestamp``) and a
  ``gap_before`` column.

Errors name the file and the line. Values that cannot be a heartbeat (<= 0, or absurd: above
10 s) are an input error; merely unusual ones (for example 2.5 s) pass through to the pipeline,
which drops intervals outside 273-2000 ms and counts them.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from kindbreak.errors import InputFileError

RR_COLUMNS = ("rr_ms", "ibi_ms", "rr", "ibi")
TIME_COLUMNS = ("time_s", "t_rel_s", "timestamp", "t_s")
ABSURD_RR_MS = 10_000.0


@dataclass(frozen=True, slots=True)
class RRSeries:
    """Beat intervals (ms) with the time each beat ended (s from the recording start)."""

    rr_ms: tuple[float, ...]
    t_s: tuple[float, ...]
    gap_before: tuple[bool, ...]


def read_input_bytes(path: Path) -> bytes:
    """A file the user gave us, whole; errors name the file (missing, a folder, unreadable,
    empty)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError(path, "no such file") from exc
    except IsADirectoryError as exc:
        raise InputFileError(path, "is a directory, not a file") from exc
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror})") from exc
    if not data.strip():
        raise InputFileError(path, "is empty")
    return data


def read_text(path: Path) -> str:
    data = read_input_bytes(path)
    if b"\x00" in data[:4096]:
        raise InputFileError(path, "is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(path, "is not UTF-8 text", line=line) from exc


def _value(path: Path, lineno: int, text: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError as exc:
        raise InputFileError(path, f"{what} {text.strip()!r} is not a number", line=lineno) from exc
    if not math.isfinite(v):
        raise InputFileError(path, f"{what} {text.strip()!r} is not a finite number", line=lineno)
    return v


def _check_rr(path: Path, lineno: int, rr_ms: float) -> float:
    if rr_ms <= 0:
        raise InputFileError(path, f"interval {rr_ms:g} ms is not positive", line=lineno)
    if rr_ms > ABSURD_RR_MS:
        raise InputFileError(
            path, f"interval {rr_ms:g} ms is absurd for a heartbeat (over 10 s)", line=lineno
        )
    return rr_ms


def _series(rr: list[float], t: list[float] | None, gaps: list[bool] | None) -> RRSeries:
    if t is None:
        acc = 0.0
        t = []
        for v in rr:
            acc += v / 1000.0
            t.append(acc)
    return RRSeries(tuple(rr), tuple(t), tuple(gaps or [False] * len(rr)))


def parse_rr_text(path: Path, text: str) -> RRSeries:
    rr: list[float] = []
    lines: list[int] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        rr.append(_value(path, lineno, body, "interval"))
        lines.append(lineno)
    if not rr:
        raise InputFileError(path, "has no intervals (only comments or blank lines)")
    # Kubios and some apps write seconds: decided by the typical value, so one outlier
    # cannot turn a file in seconds into 0.8 ms intervals.
    seconds = sorted(abs(v) for v in rr)[len(rr) // 2] < 10
    unit = "s" if seconds else "ms"
    for lineno, v in zip(lines, rr, strict=True):
        if v <= 0:
            raise InputFileError(path, f"interval {v:g} {unit} is not positive", line=lineno)
    if seconds:
        rr = [v * 1000.0 for v in rr]
    for lineno, v in zip(lines, rr, strict=True):
        _check_rr(path, lineno, v)
    return _series(rr, None, None)


def parse_rr_csv(path: Path, text: str) -> RRSeries:
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise InputFileError(path, "is empty") from exc
    names = [h.strip().lower() for h in header]
    rr_col = next((names.index(c) for c in RR_COLUMNS if c in names), None)
    if rr_col is None:
        raise InputFileError(
            path,
            f"has no RR column (looked for {', '.join(RR_COLUMNS)}; found {', '.join(header)})",
            line=1,
            hint="Name the interval column rr_ms (milliseconds).",
        )
    t_col = next((names.index(c) for c in TIME_COLUMNS if c in names), None)
    g_col = names.index("gap_before") if "gap_before" in names else None
    rr: list[float] = []
    ts: list[float] = []
    gaps: list[bool] = []
    lines: list[int] = []
    for row in reader:
        lineno = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(c for c in (rr_col, t_col, g_col) if c is not None):
            raise InputFileError(path, f"has {len(row)} fields, fewer than the header", line=lineno)
        rr.append(_check_rr(path, lineno, _value(path, lineno, row[rr_col], "interval")))
        lines.append(lineno)
        if t_col is not None:
            ts.append(_value(path, lineno, row[t_col], "time"))
        if g_col is not None:
            gaps.append(row[g_col].strip() not in ("", "0", "false", "False"))
    if not rr:
        raise InputFileError(path, "has a header but no intervals")
    if t_col is not None:
        t0 = ts[0] - rr[0] / 1000.0
        ts = [t - t0 for t in ts]
        for i in range(1, len(ts)):
            if ts[i] < ts[i - 1]:
                raise InputFileError(path, "time goes backwards", line=lines[i])
    return _series(rr, ts if t_col is not None else None, gaps if g_col is not None else None)


def read_rr_file(path: Path) -> RRSeries:
    """Read an RR text or CSV file (the caller has already ruled out a recording)."""
    return parse_rr(path, read_text(path))


def parse_rr(path: Path, text: str) -> RRSeries:
    """The text of an RR file: plain intervals, or a CSV when the first line is not a number."""
    first = next(
        (ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), ""
    )
    try:
        if first:
            float(first.split("#", 1)[0])
    except ValueError:
        # Not a single number: a header (or a data row of a CSV without one, which then
        # fails naming its missing RR column).
        return parse_rr_csv(path, text)
    return parse_rr_text(path, text)
