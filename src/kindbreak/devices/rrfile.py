"""Readers for beat-interval files exported by other tools.

* plain RR text: one interval in ms per line, ``#`` comments and blank lines skipped (Kubios,
  Elite HRV and Polar exports). Values below 10 are taken as seconds (Kubios also writes s),
  decided by the median of the first :data:`UNIT_SAMPLE` values.
* CSV with a header naming an RR column (``rr_ms``, ``ibi_ms``, ``rr``, ``RR``, ``ibi``, any
  case) and optionally a time column in seconds (``time_s``, ``t_rel_s``, ``timestamp``) and a
  ``gap_before`` column.

Files are streamed line by line (:mod:`kindbreak.devices.inputfile`): memory does not grow
with the file. Errors name the file and the line. Values that cannot be a heartbeat (<= 0, or
absurd: above 10 s) are an input error, and so are times that cannot be a recording (negative,
or more than 14 days after the first beat); merely unusual intervals (for example 2.5 s) pass
through to the pipeline, which drops intervals outside 273-2000 ms and counts them.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from kindbreak.devices.inputfile import (
    MAX_LINE_BYTES,
    MAX_RECORDING_S,
    MAX_TIME_S,
    SNIFF_BYTES,
    Progress,
    check_span,
    iter_lines,
    open_input,
)
from kindbreak.errors import InputFileError

RR_COLUMNS = ("rr_ms", "ibi_ms", "rr", "ibi")
TIME_COLUMNS = ("time_s", "t_rel_s", "timestamp", "t_s")
ABSURD_RR_MS = 10_000.0
UNIT_SAMPLE = 1001
"""Values whose median decides between seconds and milliseconds in RR text."""

Lines = Iterable[tuple[int, str]]


@dataclass(frozen=True, slots=True)
class RRSeries:
    """Beat intervals (ms) with the time each beat ended (s from the recording start)."""

    rr_ms: tuple[float, ...]
    t_s: tuple[float, ...]
    gap_before: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class RRBeat:
    line: int
    t_s: float
    """End of the beat, in seconds from the recording's start."""
    rr_ms: float
    gap_before: bool


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


def _body(text: str) -> str:
    return text.split("#", 1)[0].strip()


# -- plain RR text ----------------------------------------------------------------------------


def iter_rr_text(path: Path, lines: Lines) -> Iterator[RRBeat]:
    values: Iterator[tuple[int, float]] = (
        (lineno, _value(path, lineno, body, "interval"))
        for lineno, text in lines
        if (body := _body(text))
    )
    # Kubios and some apps write seconds: decided by the typical value, so one outlier
    # cannot turn a file in seconds into 0.8 ms intervals.
    sample = list(itertools.islice(values, UNIT_SAMPLE))
    if not sample:
        raise InputFileError(path, "has no intervals (only comments or blank lines)")
    seconds = sorted(abs(v) for _, v in sample)[len(sample) // 2] < 10
    unit = "s" if seconds else "ms"
    t_s = 0.0
    for lineno, v in itertools.chain(sample, values):
        if v <= 0:
            raise InputFileError(path, f"interval {v:g} {unit} is not positive", line=lineno)
        rr = _check_rr(path, lineno, v * 1000.0 if seconds else v)
        t_s += rr / 1000.0
        check_span(path, lineno, t_s, 0.0, "the beat at")
        yield RRBeat(lineno, t_s, rr, False)


# -- CSV ----------------------------------------------------------------------------------------


def iter_rr_csv(path: Path, lines: Lines) -> Iterator[RRBeat]:
    it = iter(lines)
    head: list[tuple[int, str]] = []
    size = 0
    for item in it:
        head.append(item)
        size += len(item[1])
        if size >= SNIFF_BYTES:
            break
    sample = "".join(text for _, text in head)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    texts = (text for _, text in itertools.chain(head, it))
    reader = csv.reader(texts, dialect)
    try:
        yield from _csv_rows(path, reader)
    except csv.Error as exc:
        raise InputFileError(path, f"is not valid CSV ({exc})", line=reader.line_num) from exc


class _Rows(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


def _csv_rows(path: Path, reader: _Rows) -> Iterator[RRBeat]:
    header = next(reader, None)
    if header is None:
        raise InputFileError(path, "is empty")
    names = [h.strip().lower() for h in header]
    rr_col = next((names.index(c) for c in RR_COLUMNS if c in names), None)
    if rr_col is None:
        shown = ", ".join(h[:40] for h in header[:20])
        raise InputFileError(
            path,
            f"has no RR column (looked for {', '.join(RR_COLUMNS)}; found {shown})",
            line=1,
            hint="Name the interval column rr_ms (milliseconds).",
        )
    t_col = next((names.index(c) for c in TIME_COLUMNS if c in names), None)
    g_col = names.index("gap_before") if "gap_before" in names else None
    needed = max(c for c in (rr_col, t_col, g_col) if c is not None)
    t0: float | None = None
    last_t = -math.inf
    acc_s = 0.0
    any_rows = False
    for row in reader:
        lineno = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) <= needed:
            raise InputFileError(path, f"has {len(row)} fields, fewer than the header", line=lineno)
        rr = _check_rr(path, lineno, _value(path, lineno, row[rr_col], "interval"))
        gap = g_col is not None and row[g_col].strip() not in ("", "0", "false", "False")
        if t_col is None:
            acc_s += rr / 1000.0
            t = acc_s
        else:
            raw = _value(path, lineno, row[t_col], "time")
            if raw < 0:
                raise InputFileError(path, f"time {raw:g} is negative", line=lineno)
            if raw > MAX_TIME_S:
                raise InputFileError(
                    path, f"time {raw:g} s is not a plausible time for a beat", line=lineno
                )
            if t0 is None:
                t0 = raw - rr / 1000.0
            t = raw - t0
            if t < last_t:
                raise InputFileError(path, "time goes backwards", line=lineno)
        check_span(path, lineno, t, 0.0, "the beat at")
        last_t = t
        any_rows = True
        yield RRBeat(lineno, t, rr, gap)
    if not any_rows:
        raise InputFileError(path, "has a header but no intervals")


# -- either ---------------------------------------------------------------------------------------


def iter_rr(path: Path, lines: Lines) -> Iterator[RRBeat]:
    """The beats of RR text, or of a CSV when the first line that is not a comment is not a
    number. Blank files are "empty"."""
    it = iter(lines)
    head: list[tuple[int, str]] = []
    first = ""
    for lineno, text in it:
        head.append((lineno, text))
        if text.strip() and not text.lstrip().startswith("#"):
            first = text
            break
    if not any(text.strip() for _, text in head):
        raise InputFileError(path, "is empty")
    all_lines = itertools.chain(head, it)
    try:
        if first:
            float(_body(first) or "x")
    except ValueError:
        # Not a single number: a header (or a data row of a CSV without one, which then
        # fails naming its missing RR column).
        return iter_rr_csv(path, all_lines)
    return iter_rr_text(path, all_lines)


def iter_rr_file(path: Path, *, progress: Progress | None = None) -> Iterator[RRBeat]:
    """Stream the beats of an RR text or CSV file (the caller has ruled out a recording)."""
    fh, _ = open_input(path)
    with fh:
        head = fh.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(fh, "peek") else b""
        if b"\x00" in head:
            raise InputFileError(path, "is a binary file, not text")
        yield from iter_rr(path, iter_lines(path, fh, progress=progress))


def collect(beats: Iterable[RRBeat]) -> RRSeries:
    rr: list[float] = []
    t: list[float] = []
    gaps: list[bool] = []
    for b in beats:
        rr.append(b.rr_ms)
        t.append(b.t_s)
        gaps.append(b.gap_before)
    return RRSeries(tuple(rr), tuple(t), tuple(gaps))


def read_rr_file(path: Path) -> RRSeries:
    """Read an RR text or CSV file whole (small files and tests; large ones: iter_rr_file)."""
    return collect(iter_rr_file(path))


# -- in blocks of arrays --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RRBlock:
    """Consecutive beats of a file as arrays: end times (s), intervals (ms), gap flags."""

    t_s: npt.NDArray[np.float64]
    rr_ms: npt.NDArray[np.float64]
    gap_before: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.rr_ms.size)


BLOCK_BYTES = 1 << 17
"""Bytes of plain RR text parsed at once (about 20,000 beats: numpy's per-call cost is paid
once per block, and a week's file needs no more scratch memory than an hour's)."""
BLOCK_BEATS = 1 << 14
"""Beats per block when a file is read line by line (CSV, or text the fast path declines)."""

# Bytes a block of plain RR text may hold for the fast path: digits, decimal points, spaces,
# tabs and line breaks. Anything else (a comment, a sign, an exponent, a letter) and the block
# is read line by line instead, which gives the same beats and names the line of an error.
_PLAIN = np.zeros(256, dtype=bool)
_PLAIN[list(b"0123456789. \t\r\n")] = True


def iter_rr_blocks(path: Path, *, progress: Progress | None = None) -> Iterator[RRBlock]:
    """The beats of :func:`iter_rr_file`, in blocks of arrays.

    Plain RR text (numbers, blank lines) is parsed a block of bytes at a time by numpy, its
    checks done on whole arrays: about 30 times faster than line by line. Whatever the fast
    path does not take (a CSV, a comment, a value it would reject) goes line by line from
    the first beat it has not given yet, so the beats, their times and the errors (with their
    line) are exactly those of :func:`iter_rr_file`.
    """
    done = 0
    fast = _iter_plain_blocks(path, progress)
    try:
        for block in fast:
            done += len(block)
            yield block
        return
    except _NotPlain:
        pass
    rr: list[float] = []
    t: list[float] = []
    gap: list[bool] = []
    for i, beat in enumerate(iter_rr_file(path, progress=progress)):
        if i < done:
            continue
        rr.append(beat.rr_ms)
        t.append(beat.t_s)
        gap.append(beat.gap_before)
        if len(rr) >= BLOCK_BEATS:
            yield RRBlock(np.array(t), np.array(rr), np.array(gap, dtype=bool))
            rr, t, gap = [], [], []
    if rr:
        yield RRBlock(np.array(t), np.array(rr), np.array(gap, dtype=bool))


class _NotPlain(Exception):
    """The fast path declines the rest of the file."""


def _iter_plain_blocks(path: Path, progress: Progress | None) -> Iterator[RRBlock]:
    import io

    fh, _ = open_input(path)
    with fh:
        carry = b""
        seconds: bool | None = None
        t_last = 0.0
        first = True
        read = 0
        while True:
            chunk = fh.read(BLOCK_BYTES)
            read += len(chunk)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > MAX_LINE_BYTES:
                        raise _NotPlain  # the line reader names the over-long line
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            if first:
                data = data.removeprefix(b"\xef\xbb\xbf")
            if not data.strip():
                if chunk:
                    continue
                if first:
                    raise _NotPlain  # an empty file: the line reader says so
                return
            raw = np.frombuffer(data, dtype=np.uint8)
            if not bool(_PLAIN[raw].all()):
                raise _NotPlain
            breaks = np.flatnonzero(raw == 10)
            if breaks.size and int(np.diff(breaks, prepend=-1).max()) > MAX_LINE_BYTES:
                raise _NotPlain
            try:
                values = np.loadtxt(io.BytesIO(data), dtype=np.float64, ndmin=1, comments=None)
            except ValueError:
                raise _NotPlain from None
            if values.ndim != 1 or not bool(np.isfinite(values).all()) or values.size == 0:
                raise _NotPlain
            if seconds is None:
                if values.size < UNIT_SAMPLE and chunk:
                    carry = data + carry  # the unit is decided on the first values: read on
                    continue
                sample = np.sort(np.abs(values[:UNIT_SAMPLE]))
                seconds = bool(sample[sample.size // 2] < 10)
            rr = values * 1000.0 if seconds else values
            if not bool((values > 0).all()) or not bool((rr <= ABSURD_RR_MS).all()):
                raise _NotPlain
            # Times as the line reader adds them up, one interval after the other.
            t = np.cumsum(np.concatenate(([t_last], rr / 1000.0)))[1:]
            if t[-1] > MAX_RECORDING_S:
                raise _NotPlain
            t_last = float(t[-1])
            first = False
            if progress is not None:
                progress(read - len(carry))
            yield RRBlock(t, rr, np.zeros(rr.size, dtype=bool))
            if not chunk:
                return
