"""Offline analysis of a recording or RR file: the monitor's pipeline, run to the end.

Used by ``kindbreak analyze``; the result serialises to the documented ``--json`` shape. The
file is streamed (:mod:`kindbreak.devices.inputfile` bounds it), and the beats the whole-file
summary needs are kept in compact arrays (17 bytes a beat), so memory stays small even for the
longest recording kindbreak reads (14 days).
"""

from __future__ import annotations

import gc
import math
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kindbreak.config import Settings
from kindbreak.devices.fitfile import FIT_HINT, is_fit
from kindbreak.devices.inputfile import Progress, head_bytes
from kindbreak.devices.recording import RecordingReader, looks_like_recording
from kindbreak.devices.rrfile import iter_rr_blocks
from kindbreak.errors import InputFileError
from kindbreak.signal.beats import Beat
from kindbreak.signal.detector import EventKind
from kindbreak.signal.notes import NoteKind
from kindbreak.signal.pipeline import BeatBlock, FeedResult, Pipeline, PipelineSettings
from kindbreak.signal.windows import WindowColumns, WindowResult

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Episode:
    start_s: float
    prompt_s: float
    end_s: float
    peak_score: float


class BeatColumns:
    """Beats as three compact arrays (time, interval, gap flag); iterates as :class:`Beat`."""

    def __init__(self) -> None:
        self.t_s = array("d")
        self.rr_ms = array("d")
        self.gap_before = array("b")

    def extend(self, beats: list[Beat]) -> None:
        for b in beats:
            self.t_s.append(b.t_s)
            self.rr_ms.append(b.rr_ms)
            self.gap_before.append(b.gap_before)

    def extend_block(self, block: BeatBlock) -> None:
        self.t_s.frombytes(np.ascontiguousarray(block.t_s, dtype=np.float64).data.cast("B"))
        self.rr_ms.frombytes(np.ascontiguousarray(block.rr_ms, dtype=np.float64).data.cast("B"))
        self.gap_before.frombytes(
            np.ascontiguousarray(block.gap_before, dtype=np.int8).data.cast("B")
        )

    def __len__(self) -> int:
        return len(self.t_s)

    def __iter__(self) -> Iterator[Beat]:
        for t, rr, g in zip(self.t_s, self.rr_ms, self.gap_before, strict=True):
            yield Beat(t, rr, bool(g))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BeatColumns | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass(slots=True)
class Analysis:
    path: Path
    beats: BeatColumns = field(default_factory=BeatColumns)
    windows: WindowColumns = field(default_factory=WindowColumns)
    episodes: list[Episode] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    malformed: int = 0
    dropped_impossible: int = 0
    hr_only: bool = False
    correction: str = "none"
    #: The stream cleaner's work, when it is what the summary needs: artifacts found
    #: (``none``) or corrected (``auto``) over the whole recording, and with ``auto`` every
    #: NN interval (time, interval, gap flag). None: the summary cleans the beats itself.
    cleaned: tuple[int, tuple[FloatArray, FloatArray, BoolArray] | None] | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document (:mod:`kindbreak.offline.json_text` writes the same as
        text without building it)."""
        return {
            **self.json_head(),
            "windows": [window_json(w) for w in self.windows],
            **self.json_tail(),
        }

    def json_head(self) -> dict[str, Any]:
        """What comes before the windows in the ``--json`` document."""
        return {"file": str(self.path), "summary": summary(self)}

    def json_tail(self) -> dict[str, Any]:
        """What comes after the windows in the ``--json`` document."""
        return {
            "episodes": [
                {
                    "start_s": _r(e.start_s),
                    "prompt_s": _r(e.prompt_s),
                    "end_s": _r(e.end_s),
                    "peak_score": _r(e.peak_score),
                }
                for e in self.episodes
            ],
            "notes": self.notes,
        }


def _r(x: float | None, nd: int = 4) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), nd)


@dataclass(frozen=True, slots=True)
class WindowField:
    """One field of a window in ``analyze --json``: its name there, the window's field it
    comes from (``"markers.rmssd_ms"`` for a marker), and for a number the decimals it is
    rounded to (None: an int, a bool or a string, as it is) and a factor (a share as %)."""

    key: str
    source: str
    digits: int | None = 4
    factor: float = 1.0


#: The ``windows`` of ``analyze --json``, in order (README: the ``--json`` contract). Numbers
#: that are None or not finite are null.
WINDOW_FIELDS = (
    WindowField("start_s", "start_s", 3),
    WindowField("end_s", "end_s", 3),
    WindowField("n_beats", "n_beats", None),
    WindowField("quality", "quality", None),
    WindowField("artifact_pct", "artifact_share", 2, 100.0),
    WindowField("mean_hr_bpm", "markers.mean_hr_bpm"),
    WindowField("recent_hr_bpm", "recent_hr_bpm"),
    WindowField("rmssd_ms", "markers.rmssd_ms"),
    WindowField("sdnn_ms", "markers.sdnn_ms"),
    WindowField("lf_hf", "markers.lf_hf"),
    WindowField("stress_index", "markers.stress_index"),
    WindowField("stress_score", "score", 1),
    WindowField("stressed", "stressed", None),
    WindowField("ref_hr_bpm", "ref_hr_bpm"),
    WindowField("ref_rmssd_ms", "ref_rmssd_ms"),
    WindowField("spread_bpm", "spread_bpm"),
)


def window_json(w: WindowResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in WINDOW_FIELDS:
        v = attrgetter(f.source)(w)
        if f.digits is not None:
            v = _r(None if v is None else f.factor * v, f.digits)
        elif isinstance(v, StrEnum):
            v = v.value
        out[f.key] = v
    return out


def summary(a: Analysis) -> dict[str, Any]:
    """Markers over the whole recording. With ``correction`` "none" (the default, as a Kubios
    report with artifact correction "none") the beats are used as recorded; with "auto"
    artifacts are corrected first (Lipponen & Tarvainen 2019, as the sliding windows do).
    ``artifact_pct`` is the share of beats the detector finds to be artifacts either way.

    The classification is the one the pipeline's stream cleaner already made for every beat
    (the same as :func:`~kindbreak.signal.artifacts.correct_rr` of the whole recording), so
    nothing is classified twice."""
    from kindbreak.signal.artifacts import Correction, correct_rr, keep_increasing
    from kindbreak.signal.hrv import compute_markers

    if not len(a.beats):
        return {"n_beats": 0, "duration_s": 0.0, "hr_only": a.hr_only}
    rr = np.frombuffer(a.beats.rr_ms, dtype=np.float64)
    t = np.frombuffer(a.beats.t_s, dtype=np.float64)
    gaps = np.frombuffer(a.beats.gap_before, dtype=np.int8).astype(bool)
    gaps[0] = False
    if a.cleaned is not None and a.correction == Correction.NONE:
        keep = keep_increasing(t)
        nn, nt, brk = (rr, t, gaps) if keep.all() else (rr[keep], t[keep], gaps[keep])
        share = a.cleaned[0] / rr.size
    elif a.cleaned is not None and a.cleaned[1] is not None:
        nn, nt, brk = a.cleaned[1]
        share = a.cleaned[0] / rr.size
    else:
        cleaned = correct_rr(rr, t, gaps, method=Correction(a.correction))
        nn, nt, brk = cleaned.rr_ms, cleaned.t_s, cleaned.breaks
        share = cleaned.corrected_share
    m = compute_markers(nn, nt, breaks=brk)
    return {
        "correction": a.correction,
        "n_beats": m.n_beats,
        "duration_s": _r(float(t[-1] - t[0] + rr[0] / 1000.0), 3),
        "mean_rr_ms": _r(m.mean_rr_ms),
        "mean_hr_bpm": _r(m.mean_hr_bpm),
        "sdnn_ms": _r(m.sdnn_ms),
        "rmssd_ms": _r(m.rmssd_ms),
        "pnn50_pct": _r(m.pnn50_pct),
        "lf_ms2": _r(m.lf_ms2),
        "hf_ms2": _r(m.hf_ms2),
        "lf_hf": _r(m.lf_hf),
        "stress_index": _r(m.stress_index),
        "artifact_pct": _r(100.0 * share, 2),
        "gaps": int(gaps.sum()),
        "dropped_impossible": a.dropped_impossible,
        "malformed_packets": a.malformed,
        "hr_only": a.hr_only,
    }


def pipeline_settings(settings: Settings) -> PipelineSettings:
    """The pipeline's settings from the user's (as ``app.pipeline_settings`` for monitoring;
    analyze and import need nothing else of the composition root, so they do not import it)."""
    return PipelineSettings(window_s=settings.signal.window_s, step_s=settings.signal.step_s)


def input_kind(path: Path) -> str:
    """What ``path`` holds: ``fit``, ``recording`` or ``rr`` (text or CSV). A binary file that
    is none of these, or a ``.fit`` without the FIT signature, is an InputFileError."""
    head = head_bytes(path)
    if is_fit(head):
        return "fit"
    if path.suffix.lower() == ".fit":
        raise InputFileError(
            path, "is not a FIT file (no .FIT signature in its header)", hint=FIT_HINT
        )
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    if path.suffix == ".jsonl" or looks_like_recording(first):
        return "recording"
    if b"\x00" in head:
        raise InputFileError(
            path,
            "is a binary file that kindbreak does not know",
            hint=InputFileError.hint + " Garmin FIT files (.fit) are read by `kindbreak import`.",
        )
    return "rr"


def iter_feed(
    path: Path, pipeline: Pipeline, *, progress: Progress | None = None
) -> Iterator[FeedResult]:
    """Run every beat or notification of ``path`` (a recording, RR text or CSV) through
    ``pipeline``, reading it as a stream."""
    kind = input_kind(path)
    if kind == "fit":
        raise InputFileError(
            path,
            "is a Garmin FIT file; analyze reads recordings, RR text and CSV",
            hint="Bring it into your log with `kindbreak import FILE`, then see it in "
            "`kindbreak report`.",
        )
    last_t = 0.0
    if kind == "recording":
        for item in RecordingReader(path, progress=progress):
            last_t = item.t_s
            yield pipeline.feed(item)
        yield pipeline.finish(last_t)
        return
    for block in iter_rr_blocks(path, progress=progress):
        last_t = float(block.t_s[-1])
        yield pipeline.feed_beats(block.t_s, block.rr_ms, block.gap_before)
    yield pipeline.finish(last_t)


def _cleaned(
    pipeline: Pipeline, correction: str
) -> tuple[int, tuple[FloatArray, FloatArray, BoolArray] | None] | None:
    """What the summary can take from the pipeline's cleaner (see ``Analysis.cleaned``)."""
    from kindbreak.signal.artifacts import Correction

    _, flagged, corrected = pipeline.artifact_counts()
    if correction == Correction.NONE:
        return flagged, None
    if pipeline.settings.artifact_correction is Correction.AUTO:
        return corrected, pipeline.nn_history()
    return None


def analyze_file(
    path: Path,
    settings: PipelineSettings | None = None,
    *,
    correction: str = "none",
    progress: Progress | None = None,
) -> Analysis:
    from kindbreak.signal.artifacts import Correction

    pipeline = Pipeline(settings, keep_history=correction == Correction.AUTO)
    result = Analysis(path=path, correction=correction)
    with _cycle_collection_paused():
        _run(path, pipeline, result, progress)
    return result


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """An analysis makes tens of thousands of small objects (windows, markers) that hold no
    reference cycles; the cyclic collector's passes over them grow with their number (a tenth
    of a week's analysis). Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(path: Path, pipeline: Pipeline, result: Analysis, progress: Progress | None) -> None:
    correction = result.correction
    open_start: tuple[float, float, float] | None = None
    for out in iter_feed(path, pipeline, progress=progress):
        result.beats.extend(out.beats)
        if out.block is not None:
            result.beats.extend_block(out.block)
        result.windows.extend(out.windows)
        for note in out.notes:
            # Malformed packets are counted below, not listed one by one.
            if note.kind is not NoteKind.MALFORMED_PACKET and note.text not in result.notes:
                result.notes.append(note.text)
        for ev in out.events:
            if ev.kind is EventKind.RISING:
                open_start = (ev.episode_start_s, ev.t_s, ev.peak_score)
            elif open_start is not None:
                result.episodes.append(Episode(open_start[0], open_start[1], ev.t_s, ev.peak_score))
                open_start = None
    if open_start is not None:
        windows = result.windows
        end = float(windows.floats("end_s")[-1]) if len(windows) else open_start[1]
        scores = windows.floats("score")  # nan: no score
        scores = scores[(windows.floats("end_s") >= open_start[0]) & ~np.isnan(scores)]
        peak = float(scores.max()) if scores.size else open_start[2]
        result.episodes.append(Episode(open_start[0], open_start[1], end, peak))
    result.malformed = pipeline.malformed
    result.dropped_impossible = pipeline.dropped_impossible
    result.hr_only = pipeline.hr_only
    result.cleaned = _cleaned(pipeline, correction)
    if pipeline.malformed:
        result.notes.append(f"{pipeline.malformed} malformed packets were skipped")
