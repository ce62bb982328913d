"""Offline analysis of a recording or RR file: the monitor's pipeline, run to the end.

Used by ``kindbreak analyze``; the result serialises to the documented ``--json`` shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kindbreak.devices.recording import RecordingReader, looks_like_recording
from kindbreak.devices.rrfile import parse_rr, read_text
from kindbreak.signal.beats import Beat
from kindbreak.signal.detector import EventKind
from kindbreak.signal.notes import NoteKind
from kindbreak.signal.pipeline import FeedResult, Pipeline, PipelineSettings, WindowResult


@dataclass(frozen=True, slots=True)
class Episode:
    start_s: float
    prompt_s: float
    end_s: float
    peak_score: float


@dataclass(slots=True)
class Analysis:
    path: Path
    beats: list[Beat] = field(default_factory=list)
    windows: list[WindowResult] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    malformed: int = 0
    dropped_impossible: int = 0
    hr_only: bool = False
    correction: str = "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "summary": summary(self),
            "windows": [window_json(w) for w in self.windows],
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


def window_json(w: WindowResult) -> dict[str, Any]:
    m = w.markers
    return {
        "start_s": _r(w.start_s, 3),
        "end_s": _r(w.end_s, 3),
        "n_beats": w.n_beats,
        "quality": w.quality.value,
        "artifact_pct": _r(100.0 * w.artifact_share, 2),
        "mean_hr_bpm": _r(m.mean_hr_bpm),
        "recent_hr_bpm": _r(w.recent_hr_bpm),
        "rmssd_ms": _r(m.rmssd_ms),
        "sdnn_ms": _r(m.sdnn_ms),
        "lf_hf": _r(m.lf_hf),
        "stress_index": _r(m.stress_index),
        "stress_score": _r(w.score, 1),
        "stressed": w.stressed,
    }


def summary(a: Analysis) -> dict[str, Any]:
    """Markers over the whole recording. With ``correction`` "none" (the default, as a Kubios
    report with artifact correction "none") the beats are used as recorded; with "auto"
    artifacts are corrected first (Lipponen & Tarvainen 2019, as the sliding windows do).
    ``artifact_pct`` is the share of beats the detector finds to be artifacts either way."""
    import numpy as np

    from kindbreak.signal.artifacts import Correction, correct_rr
    from kindbreak.signal.hrv import compute_markers

    if not a.beats:
        return {"n_beats": 0, "duration_s": 0.0, "hr_only": a.hr_only}
    rr = np.array([b.rr_ms for b in a.beats])
    t = np.array([b.t_s for b in a.beats])
    gaps = np.array([b.gap_before for b in a.beats])
    gaps[0] = False
    cleaned = correct_rr(rr, t, gaps, method=Correction(a.correction))
    m = compute_markers(cleaned.rr_ms, cleaned.t_s, breaks=cleaned.breaks)
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
        "artifact_pct": _r(100.0 * cleaned.corrected_share, 2),
        "gaps": int(gaps.sum()),
        "dropped_impossible": a.dropped_impossible,
        "malformed_packets": a.malformed,
        "hr_only": a.hr_only,
    }


def iter_feed(path: Path, pipeline: Pipeline) -> Iterator[FeedResult]:
    """Run every beat or notification of ``path`` through ``pipeline``."""
    text = read_text(path) if path.suffix != ".jsonl" else ""
    if path.suffix == ".jsonl" or looks_like_recording(text.split("\n", 1)[0]):
        last_t = 0.0
        for item in RecordingReader(path):
            last_t = item.t_s
            yield pipeline.feed(item)
        yield pipeline.finish(last_t)
        return
    series = parse_rr(path, text)
    for t, rr, gap in zip(series.t_s, series.rr_ms, series.gap_before, strict=True):
        yield pipeline.feed_beat(t, rr, gap_before=gap)
    yield pipeline.finish(series.t_s[-1])


def analyze_file(
    path: Path, settings: PipelineSettings | None = None, *, correction: str = "none"
) -> Analysis:
    pipeline = Pipeline(settings)
    result = Analysis(path=path, correction=correction)
    open_start: tuple[float, float, float] | None = None
    for out in iter_feed(path, pipeline):
        result.beats.extend(out.beats)
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
        end = result.windows[-1].end_s if result.windows else open_start[1]
        peak = max(
            (w.score for w in result.windows if w.score is not None and w.end_s >= open_start[0]),
            default=open_start[2],
        )
        result.episodes.append(Episode(open_start[0], open_start[1], end, peak))
    result.malformed = pipeline.malformed
    result.dropped_impossible = pipeline.dropped_impossible
    result.hr_only = pipeline.hr_only
    if pipeline.malformed:
        result.notes.append(f"{pipeline.malformed} malformed packets were skipped")
    return result
