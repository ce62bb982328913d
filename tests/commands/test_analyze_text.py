"""`kindbreak analyze FILE` (text) skips each window's markers beyond what the score reads
(band powers, SDNN, pNN50, SD1, SD2, the indexes), which it does not print: the same summary,
windows, scores and episodes as with them."""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import replace
from pathlib import Path

from kindbreak.cli import main
from kindbreak.commands.analyze import analysis_text
from kindbreak.offline.analysis import analyze_file
from kindbreak.signal.pipeline import PipelineSettings

WORKDAY = Path(__file__).resolve().parents[2] / "src" / "kindbreak" / "data" / "workday.jsonl"


def test_the_text_is_the_same_without_each_windows_other_markers() -> None:
    full = analyze_file(WORKDAY)
    lean = analyze_file(WORKDAY, replace(PipelineSettings(), window_markers=False))
    assert analysis_text(lean) == analysis_text(full)
    assert len(full.windows) > 50 and len(full.episodes) >= 1
    for a, b in zip(full.windows, lean.windows, strict=True):
        assert (a.score, a.stressed, a.quality, a.recent_hr_bpm) == (
            b.score,
            b.stressed,
            b.quality,
            b.recent_hr_bpm,
        )
        assert a.markers.rmssd_ms == b.markers.rmssd_ms
        assert (a.markers.mean_rr_ms, a.markers.n_beats) == (
            b.markers.mean_rr_ms,
            b.markers.n_beats,
        )
        assert (a.latest_hr_bpm, a.hr_reliable, a.ref_hr_bpm) == (
            b.latest_hr_bpm,
            b.hr_reliable,
            b.ref_hr_bpm,
        )
        assert math.isfinite(a.markers.lf_ms2) or a.markers.n_beats < 200
        assert math.isfinite(a.markers.sdnn_ms) or a.markers.n_beats < 2
        for name in ("lf_ms2", "stress_index", "sdnn_ms", "pnn50_pct", "sd1_ms", "sns_index"):
            assert math.isnan(getattr(b.markers, name)), name


def test_the_command_prints_that_text_and_json_keeps_every_marker() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(WORKDAY)]) == 0
    assert out.getvalue() == analysis_text(analyze_file(WORKDAY))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", "--json", str(WORKDAY)]) == 0
    assert '"lf_hf": null' not in out.getvalue().split('"windows"')[1][:4000]
