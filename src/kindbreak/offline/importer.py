"""``kindbreak import FILE``: past recordings into the log, through the one pipeline.

Reads Garmin FIT files with HRV messages, RR text and CSV exports (Elite HRV, Polar, Kubios) and
kindbreak recordings (``*.jsonl``). The file runs through the same :class:`Pipeline` as
``analyze`` and ``monitor`` (text, CSV and recordings by
:func:`kindbreak.offline.analysis.iter_feed`, FIT beats by :meth:`Pipeline.feed_beat`), and its
beats, windows, detector events and learned baseline land in a new session with source
``import``.

Memory stays bounded whatever the file's size: text files are read twice as streams, first to
check every line (so a file that turns out to be broken halfway leaves the log untouched), then
through the pipeline, with the rows written in short transactions of :data:`BATCH_ROWS` (so a
monitor writing beside the import waits milliseconds). Until the last one the session carries
the key ``importing:<hash>``; an import that fails or is interrupted (Ctrl-C) removes its rows,
and one killed outright is cleared by the next import of the same file. A file's identity is
the SHA-256 of its content (``sessions.source_key``): importing the same file again adds nothing.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import TextIO

from kindbreak.devices.inputfile import check_start_wall, datetime_wall, open_input
from kindbreak.errors import InputFileError, StoreError
from kindbreak.signal.detector import EventKind
from kindbreak.signal.pipeline import FeedResult, Pipeline, PipelineSettings
from kindbreak.store.db import Store

SOURCE = "import"
BATCH_ROWS = 20_000
"""Rows written per transaction while importing (about 20 ms of holding the write lock)."""
FEED_BLOCK = 4096
"""Beats of a FIT file fed to the pipeline at once."""
IMPORTING = "importing:"
"""Prefix of the source key of a session still being imported."""


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


def path_key(path: Path) -> str:
    """SHA-256 of the file's content (:func:`file_key`), read in blocks."""
    fh, _ = open_input(path)
    digest = hashlib.sha256()
    with fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _csv_unix_start(path: Path) -> float | None:
    """The first ``unix_time_s`` of a CSV export that has one (Stress-Predict style)."""
    fh, _ = open_input(path)
    with fh:
        data = fh.read(65536)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    rows = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(rows)]
    except (StopIteration, csv.Error):
        return None
    col = next((header.index(c) for c in ("unix_time_s", "unix_time") if c in header), None)
    if col is None:
        return None
    with contextlib.suppress(csv.Error):
        for row in rows:
            if len(row) > col and row[col].strip():
                try:
                    return float(row[col])
                except ValueError:
                    return None
    return None


def _feed_beats(rr_ms: Iterable[float], pipeline: Pipeline) -> Iterator[FeedResult]:
    """A FIT file's intervals, timed from its start, through the pipeline in blocks."""
    import numpy as np

    rr = np.fromiter(rr_ms, dtype=np.float64)
    # Times as adding the intervals up one after the other gives them.
    t = np.cumsum(np.concatenate(([0.0], rr / 1000.0)))[1:]
    for lo in range(0, rr.size, FEED_BLOCK):
        yield pipeline.feed_beats(t[lo : lo + FEED_BLOCK], rr[lo : lo + FEED_BLOCK])
    yield pipeline.finish(float(t[-1]) if t.size else 0.0)


def _from_mtime(path: Path, length_s: float, notes: list[str]) -> float:
    notes.append(
        "the file does not say when it was recorded; its start is taken as its "
        "modification time minus its length (give --start to set it)"
    )
    return path.stat().st_mtime - length_s


def _check_text(path: Path, kind: str, advance: Callable[[int], None]) -> tuple[float, float]:
    """Read a recording or RR file once without the pipeline: every line valid? Returns the
    times of its first and last item (0 for none)."""
    from kindbreak.devices.recording import RecordingReader
    from kindbreak.devices.rrfile import iter_rr_blocks

    first_t: float | None = None
    last_t = 0.0
    if kind == "recording":
        for item in RecordingReader(path, progress=advance):
            last_t = item.t_s
            if first_t is None:
                first_t = last_t
        return (first_t or 0.0), last_t
    for block in iter_rr_blocks(path, progress=advance):
        if first_t is None:
            first_t = float(block.t_s[0])
        last_t = float(block.t_s[-1])
    return (first_t or 0.0), last_t


def import_file(
    store: Store,
    path: Path,
    settings: PipelineSettings | None = None,
    *,
    start_wall: float | None = None,
    progress: bool | None = None,
    stream: TextIO | None = None,
    advance: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import ``path`` into ``store`` (see the module docstring). Raises InputFileError.

    The file is read twice (a checking pass, then the pipeline): a progress bar of its own on
    ``stream`` counts ``2 * size`` bytes, or ``advance`` gets them (a bar over many files).
    """
    from contextlib import nullcontext

    from kindbreak.offline.analysis import input_kind
    from kindbreak.progress import byte_progress

    path = Path(path)
    key = path_key(path)
    existing = store.session_by_key(key)
    if existing is not None:
        return ImportResult(path, existing, True, "", beats=store.count("beats", existing))
    for stale in store.sessions_with_key_prefix(IMPORTING + key):
        store.delete_session(stale)  # an import of this file that was killed

    kind = input_kind(path)
    pipeline = Pipeline(settings)
    notes: list[str] = []
    size = path.stat().st_size
    label = f"importing {path.name}"
    bar = (
        nullcontext(advance)
        if advance is not None
        else byte_progress(2 * size, label, stream or sys.stderr, enabled=progress)
    )
    with bar as advance:
        if kind == "fit":
            feed, wall0, device_name = _fit_feed(path, pipeline, start_wall, notes, advance)
        else:
            feed, wall0, device_name = _text_feed(
                path, kind, pipeline, start_wall, notes, advance, size
            )
        return _store_feed(store, path, key, kind, feed, pipeline, wall0, device_name, notes)


def _fit_feed(
    path: Path,
    pipeline: Pipeline,
    wall0: float | None,
    notes: list[str],
    advance: Callable[[int], None],
) -> tuple[Iterator[FeedResult], float, str]:
    """A FIT file's beats through the pipeline (read whole first: both halves of the bar),
    when it started (``wall0`` if given, else the file's own start, else its modification
    time) and the device it names."""
    from kindbreak.devices.fitfile import read_fit_beats

    fit = read_fit_beats(path, progress=lambda done: advance(2 * done))
    if wall0 is None and fit.start is not None:
        wall0 = datetime_wall(path, None, fit.start, "the recording's start")
    if wall0 is None:
        wall0 = _from_mtime(path, sum(fit.rr_ms) / 1000.0, notes)
    return _feed_beats(fit.rr_ms, pipeline), wall0, fit.device_name


def _text_feed(
    path: Path,
    kind: str,
    pipeline: Pipeline,
    wall0: float | None,
    notes: list[str],
    advance: Callable[[int], None],
    size: int,
) -> tuple[Iterator[FeedResult], float, str]:
    """A recording's or RR file's beats through the pipeline, once every line has been
    checked (the first half of the bar); when it started (``wall0`` if given, else a
    recording's header or a CSV's unix time, else its modification time) and the device a
    recording names."""
    from kindbreak.offline.analysis import iter_feed

    device_name = ""
    if kind == "recording":
        from kindbreak.devices.recording import RecordingReader

        reader = RecordingReader(path)
        reader.close()
        device_name = reader.header.device.name
        if wall0 is None and reader.header.start_wall is not None:
            wall0 = reader.header.start_wall.timestamp()
    first_t, last_t = _check_text(path, kind, advance)
    if wall0 is None and kind == "rr":
        unix0 = _csv_unix_start(path)
        if unix0 is not None:
            check_start_wall(path, None, unix0, f"unix_time_s {unix0:g}")
            wall0 = unix0 - first_t
    if wall0 is None:
        wall0 = _from_mtime(path, last_t, notes)
    return iter_feed(path, pipeline, progress=lambda done: advance(size + done)), wall0, device_name


def _store_feed(
    store: Store,
    path: Path,
    key: str,
    kind: str,
    feed: Iterator[FeedResult],
    pipeline: Pipeline,
    wall0: float | None,
    device_name: str,
    notes: list[str],
) -> ImportResult:
    """Run ``feed`` and write what it gives in batches; the session exists from the first beat
    (a file without one adds nothing) and is removed again if anything fails."""
    held: list[tuple[FeedResult, list[tuple[float, float, bool]]]] = []
    session_id: int | None = None
    result = ImportResult(path, 0, False, kind, notes=notes)
    first_t: float | None = None
    last_t = 0.0
    try:
        for out in feed:
            rows = out.block.rows() if out.block is not None else []
            if not (out.beats or rows or out.windows or out.events):
                continue
            if out.beats:
                rows = [(b.t_s, b.rr_ms, b.gap_before) for b in out.beats]
            if rows:
                if first_t is None:
                    first_t = rows[0][0]
                last_t = rows[-1][0]
            if session_id is None:
                held.append((out, rows))
                if first_t is None:
                    continue
                session_id = store.start_session(
                    started_wall=wall0 if wall0 is not None else 0.0,
                    source=SOURCE,
                    device_name=device_name,
                    label=path.name,
                    source_key=IMPORTING + key,
                )
                todo, held = held, []
            else:
                todo = [(out, rows)]
            for o, beat_rows in todo:
                _write(store, session_id, o, beat_rows, result)
            if store.pending_rows >= BATCH_ROWS:
                store.commit()
        if session_id is None:
            raise InputFileError(path, "holds no usable heartbeats (no beat intervals)")
        assert wall0 is not None
        _finish(store, session_id, key, pipeline, wall0, last_t, notes)
    except BaseException:
        if session_id is not None:
            _forget(store, session_id)
        raise
    result.session_id = session_id
    result.start_wall = wall0
    result.duration_s = last_t
    return result


def _write(
    store: Store,
    session_id: int,
    out: FeedResult,
    beat_rows: list[tuple[float, float, bool]],
    result: ImportResult,
) -> None:
    """One feed's beats (as rows), windows and detector events into the import's session."""
    if beat_rows:
        store.add_beats(session_id, beat_rows)
        result.beats += len(beat_rows)
    for w in out.windows:
        store.add_window(session_id, w)
        result.windows += 1
        result.scored += w.score is not None
    for e in out.events:
        store.add_event(session_id, e)
        result.episodes += e.kind is EventKind.RISING


def _finish(
    store: Store,
    session_id: int,
    key: str,
    pipeline: Pipeline,
    wall0: float,
    last_t: float,
    notes: list[str],
) -> None:
    """The import's notes, its learned baseline and its end: then it counts as imported."""
    if pipeline.dropped_impossible:
        notes.append(f"{pipeline.dropped_impossible} intervals outside 273-2000 ms were left out")
    if pipeline.baseline_learned and pipeline.baseline is not None:
        store.add_baseline(
            wall=wall0 + pipeline.settings.calibration_s,
            baseline=pipeline.baseline,
            session_id=session_id,
        )
    store.finish_import(session_id, ended_wall=wall0 + last_t, source_key=key)


def _forget(store: Store, session_id: int) -> None:
    """Remove a half-written import, so trying again starts clean (on a full disk, after
    making room; if even that fails, the next import of the file removes it)."""
    store.discard_pending()
    try:
        store.delete_session(session_id)
    except StoreError:
        if store.make_room():
            with contextlib.suppress(StoreError):
                store.delete_session(session_id)


def describe(result: ImportResult, zone: tzinfo) -> str:
    from datetime import datetime

    if result.duplicate:
        return (
            f"{result.path}: already in your log (session {result.session_id}, "
            f"{result.beats} beats); nothing added."
        )
    when = datetime.fromtimestamp(result.start_wall, zone).strftime("%Y-%m-%d %H:%M")
    minutes = result.duration_s / 60.0
    lines = [
        f"{result.path}: imported as session {result.session_id} "
        f"({result.file_kind}, from {when}, {minutes:.0f} min): {result.beats} beats, "
        f"{result.windows} windows ({result.scored} scored), "
        f"{result.episodes} stress episodes."
    ]
    lines.extend(f"  note: {n}" for n in result.notes)
    return "\n".join(lines)
