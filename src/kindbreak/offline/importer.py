"""``kindbreak import FILE``: past recordings into the log, through the one pipeline.

Reads Garmin FIT files with HRV messages, RR text and CSV exports (Elite HRV, Polar, Kubios) and
kindbreak recordings (``*.jsonl``). The file runs through the same :class:`Pipeline` as
``analyze`` and ``monitor`` (text, CSV and recordings by
:func:`kindbreak.offline.analysis.iter_feed`, FIT beats by :meth:`Pipeline.feed_beat`), and its
beats, windows, detector events and learned baseline land in a new session with source
``import``.

The whole file is run through the pipeline before anything is written, so a file that turns out
to be broken halfway leaves the log untouched. A file's identity is the SHA-256 of its content
(``sessions.source_key``): importing the same file again adds nothing.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from kindbreak.devices.rrfile import read_input_bytes
from kindbreak.errors import InputFileError, StoreError
from kindbreak.signal.detector import EventKind
from kindbreak.signal.pipeline import FeedResult, Pipeline, PipelineSettings
from kindbreak.store.db import Store

SOURCE = "import"
PROGRESS_MIN_ITEMS = 3000
"""Show a progress bar (on a terminal) from about 45 minutes of beats."""


@dataclass(slots=True)
class ImportResult:
    path: Path
    session_id: int
    duplicate: bool
    file_kind: str  # fit | recording | rr
    beats: int = 0
    windows: int = 0
    scored: int = 0
    episodes: int = 0
    start_wall: float = 0.0
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)


def file_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _csv_unix_start(data: bytes) -> float | None:
    """The first ``unix_time_s`` of a CSV export that has one (Stress-Predict style)."""
    try:
        text = data[:65536].decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    rows = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        return None
    col = next((header.index(c) for c in ("unix_time_s", "unix_time") if c in header), None)
    if col is None:
        return None
    for row in rows:
        if len(row) > col and row[col].strip():
            try:
                return float(row[col])
            except ValueError:
                return None
    return None


def _progress(
    total: int, stream: TextIO, enabled: bool | None, label: str
) -> tuple[Callable[[], None], Callable[[], None]]:
    """``(advance, close)`` of a rich progress bar on ``stream``, or no-ops."""
    if enabled is None:
        enabled = total >= PROGRESS_MIN_ITEMS and stream.isatty()
    if not enabled:
        return (lambda: None), (lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    )
    task = bar.add_task(label, total=total)
    bar.start()
    count = 0

    def advance() -> None:
        nonlocal count
        count += 1
        if count % 200 == 0:
            bar.update(task, completed=count)

    def close() -> None:
        bar.update(task, completed=total)
        bar.stop()

    return advance, close


def _feed_fit(rr_ms: tuple[float, ...], pipeline: Pipeline) -> Iterator[FeedResult]:
    t = 0.0
    for rr in rr_ms:
        t += rr / 1000.0
        yield pipeline.feed_beat(t, rr)
    yield pipeline.finish(t)


def import_file(
    store: Store,
    path: Path,
    settings: PipelineSettings | None = None,
    *,
    start_wall: float | None = None,
    progress: bool | None = None,
    stream: TextIO | None = None,
) -> ImportResult:
    """Import ``path`` into ``store`` (see the module docstring). Raises InputFileError."""
    from kindbreak.devices.fitfile import is_fit, read_fit_beats
    from kindbreak.offline.analysis import iter_feed

    path = Path(path)
    data = read_input_bytes(path)
    key = file_key(data)
    existing = store.session_by_key(key)
    if existing is not None:
        return ImportResult(path, existing, True, "", beats=store.count("beats", existing))

    pipeline = Pipeline(settings)
    notes: list[str] = []
    device_name = ""
    wall0: float | None = start_wall
    if is_fit(data[:14]):
        kind = "fit"
        fit = read_fit_beats(path, data)
        device_name = fit.device_name
        if wall0 is None and fit.start is not None:
            wall0 = fit.start.timestamp()
        total = len(fit.rr_ms)
        feed = _feed_fit(fit.rr_ms, pipeline)
    elif path.suffix.lower() == ".fit":
        raise InputFileError(
            path,
            "is not a FIT file (no .FIT signature in its header)",
            hint="Give the original .FIT file from the watch or Garmin Connect.",
        )
    else:
        from kindbreak.devices.recording import RecordingReader, looks_like_recording

        if b"\x00" in data[:4096]:
            raise InputFileError(
                path,
                "is a binary file that kindbreak does not know",
                hint=InputFileError.hint + " Garmin FIT files (.fit) are read too.",
            )
        head = data.split(b"\n", 1)[0].decode("utf-8", "replace")
        if path.suffix == ".jsonl" or looks_like_recording(head):
            kind = "recording"
            reader = RecordingReader(path)
            device_name = reader.header.device.name
            reader.close()
            if wall0 is None and reader.header.start_wall is not None:
                wall0 = reader.header.start_wall.timestamp()
        else:
            kind = "rr"
            device_name = ""
        total = data.count(b"\n") + 1
        feed = iter_feed(path, pipeline)

    advance, close = _progress(total, stream or sys.stderr, progress, f"importing {path.name}")
    outs: list[FeedResult] = []
    try:
        for out in feed:
            if out.beats or out.windows or out.events:
                outs.append(out)
            advance()
    finally:
        close()

    beats = [b for o in outs for b in o.beats]
    if not beats:
        raise InputFileError(path, "holds no usable heartbeats (no beat intervals)")
    last_t = beats[-1].t_s
    if wall0 is None and kind == "rr":
        unix0 = _csv_unix_start(data)
        if unix0 is not None:
            wall0 = unix0 - beats[0].t_s
    if wall0 is None:
        wall0 = path.stat().st_mtime - last_t
        notes.append(
            "the file does not say when it was recorded; its start is taken as its "
            "modification time minus its length (give --start to set it)"
        )
    if pipeline.dropped_impossible:
        notes.append(f"{pipeline.dropped_impossible} intervals outside 273-2000 ms were left out")

    session_id = store.start_session(
        started_wall=wall0,
        source=SOURCE,
        device_name=device_name,
        label=path.name,
        source_key=key,
    )
    result = ImportResult(path, session_id, False, kind, start_wall=wall0, notes=notes)
    try:
        for o in outs:
            if o.beats:
                store.add_beats(session_id, ((b.t_s, b.rr_ms, b.gap_before) for b in o.beats))
            for w in o.windows:
                store.add_window(session_id, w)
                result.windows += 1
                result.scored += w.score is not None
            for e in o.events:
                store.add_event(session_id, e)
                result.episodes += e.kind is EventKind.RISING
        if pipeline.baseline_learned and pipeline.baseline is not None:
            store.add_baseline(
                wall=wall0 + pipeline.settings.calibration_s,
                baseline=pipeline.baseline,
                session_id=session_id,
            )
        store.end_session(session_id, wall0 + last_t)
        store.commit()
    except BaseException:
        _forget(store, session_id)
        raise
    result.beats = len(beats)
    result.duration_s = last_t
    return result


def _forget(store: Store, session_id: int) -> None:
    """Remove a half-written import, so trying again starts clean."""
    with contextlib.suppress(StoreError):
        store.delete_session(session_id)


def describe(result: ImportResult) -> str:
    from datetime import datetime

    if result.duplicate:
        return (
            f"{result.path}: already in your log (session {result.session_id}, "
            f"{result.beats} beats); nothing added."
        )
    when = datetime.fromtimestamp(result.start_wall).astimezone().strftime("%Y-%m-%d %H:%M")
    minutes = result.duration_s / 60.0
    lines = [
        f"{result.path}: imported as session {result.session_id} "
        f"({result.file_kind}, from {when}, {minutes:.0f} min): {result.beats} beats, "
        f"{result.windows} windows ({result.scored} scored), "
        f"{result.episodes} stress episodes."
    ]
    lines.extend(f"  note: {n}" for n in result.notes)
    return "\n".join(lines)
