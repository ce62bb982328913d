"""`kindbreak analyze --json` against the Kubios HRV reference, and its JSON shape."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.devices.recording import RecordingHeader, RecordingWriter
from kindbreak.stream import DeviceInfo
from support.beats import CALM_THEN_STRESS, STRESS_START_S, notifications_from_rr, synthetic_rr
from support.data import KUBIOS_RR
from support.neurokit import neurokit_series

# Kubios HRV Standard 3.1 on tests/data/kubios-sample (artifact correction: none).
KUBIOS = {
    "mean_rr_ms": 707.5437,
    "sdnn_ms": 92.7945,
    "rmssd_ms": 56.8586,
    "mean_hr_bpm": 84.8004,  # Kubios: 60000 / mean RR
    "stress_index": 7.7198,
}

SUMMARY_KEYS = {
    "n_beats",
    "duration_s",
    "mean_rr_ms",
    "mean_hr_bpm",
    "sdnn_ms",
    "rmssd_ms",
    "pnn50_pct",
    "lf_ms2",
    "hf_ms2",
    "lf_hf",
    "stress_index",
    "artifact_pct",
}
WINDOW_KEYS = {
    "start_s",
    "end_s",
    "n_beats",
    "quality",
    "mean_hr_bpm",
    "rmssd_ms",
    "sdnn_ms",
    "stress_score",
    "stressed",
    "ref_hr_bpm",
    "ref_rmssd_ms",
    "spread_bpm",
}
EPISODE_KEYS = {"start_s", "end_s", "peak_score"}


def run_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    rc = main(["analyze", str(path), "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def kubios_json() -> dict:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["analyze", str(KUBIOS_RR), "--json"])
    assert rc == 0
    return json.loads(buf.getvalue())


@pytest.mark.parametrize("key", sorted(KUBIOS))
def test_summary_matches_kubios(kubios_json: dict, key: str) -> None:
    got = kubios_json["summary"][key]
    assert got == pytest.approx(KUBIOS[key], rel=1e-3), f"{key}: {got} vs Kubios {KUBIOS[key]}"


def test_mean_hr_is_60000_over_mean_rr(kubios_json: dict) -> None:
    s = kubios_json["summary"]
    assert s["mean_hr_bpm"] == pytest.approx(60000.0 / s["mean_rr_ms"], rel=1e-6)


def test_kubios_sample_summary_shape(kubios_json: dict) -> None:
    s = kubios_json["summary"]
    assert s.keys() >= SUMMARY_KEYS
    assert s["n_beats"] == 423
    assert s["duration_s"] == pytest.approx(299.291, abs=1e-3)
    # Under five minutes: no full window closes, so no windows and no episodes.
    assert kubios_json["windows"] == []
    assert kubios_json["episodes"] == []
    assert kubios_json["file"].endswith("rr_ms.txt")
    assert 0.0 <= s["artifact_pct"] < 10.0
    assert 0.0 <= s["pnn50_pct"] <= 100.0


def test_kubios_frequency_domain_close(kubios_json: dict) -> None:
    # FFT spectrum of the same report: LF 5673.0207, HF 1873.5143 ms^2 (Welch choices differ
    # slightly from Kubios'; within 2 %).
    s = kubios_json["summary"]
    assert s["lf_ms2"] == pytest.approx(5673.0207, rel=0.02)
    assert s["hf_ms2"] == pytest.approx(1873.5143, rel=0.02)
    assert s["lf_hf"] == pytest.approx(s["lf_ms2"] / s["hf_ms2"], rel=1e-3)


# -- the JSON shape with windows and an episode --------------------------------------------------


@pytest.fixture(scope="module")
def workday_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import contextlib
    import io

    path = tmp_path_factory.mktemp("rec") / "calm-then-stress.jsonl"
    rr = synthetic_rr(CALM_THEN_STRESS, seed=11)
    notes, _ = notifications_from_rr(rr, seed=11)
    with RecordingWriter(path, RecordingHeader(device=DeviceInfo(name="synthetic"))) as w:
        for n in notes:
            w.write(n)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["analyze", str(path), "--json"]) == 0
    return json.loads(buf.getvalue())


def test_json_shape_windows_and_episodes(workday_json: dict) -> None:
    data = workday_json
    assert {"file", "summary", "windows", "episodes", "notes"} <= data.keys()
    assert data["summary"].keys() >= SUMMARY_KEYS
    windows = data["windows"]
    # 15 minutes: the first window closes at 300 s, then one every 30 s.
    assert 18 <= len(windows) <= 21
    for w in windows:
        assert w.keys() >= WINDOW_KEYS
        assert w["end_s"] - w["start_s"] == pytest.approx(300.0, abs=1e-3)
        assert isinstance(w["n_beats"], int) and w["n_beats"] > 250
        assert w["quality"] in ("good", "poor")
        assert isinstance(w["stressed"], bool)
        assert w["stress_score"] is None or 0.0 <= w["stress_score"] <= 100.0
        assert 60.0 < w["mean_hr_bpm"] < 80.0
        # A scored window says what it was scored against: the recent calm state and spread.
        scored = w["stress_score"] is not None
        assert all((w[k] is not None) == scored for k in ("ref_hr_bpm", "ref_rmssd_ms"))
        if scored:
            assert abs(w["ref_hr_bpm"] - 65.0) < 3.0 and 1.0 <= w["spread_bpm"] <= 5.0
    ends = [w["end_s"] for w in windows]
    assert all(b - a == pytest.approx(30.0, abs=1e-3) for a, b in itertools.pairwise(ends))
    assert len(data["episodes"]) == 1
    ep = data["episodes"][0]
    assert ep.keys() >= EPISODE_KEYS
    assert ep["start_s"] >= STRESS_START_S
    assert ep["end_s"] >= ep["start_s"]
    assert 60.0 <= ep["peak_score"] <= 100.0
    assert any(w["stressed"] for w in windows)
    assert not any(w["stressed"] for w in windows if w["end_s"] <= STRESS_START_S)


def test_json_is_strict(workday_json: dict) -> None:
    # allow_nan=False on output: every non-finite number is null, so strict parsers read it.
    text = json.dumps(workday_json, allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text


# -- NeuroKit2 as the reference for the time-domain markers --------------------------------------

NK_FIELDS = ("mean_rr_ms", "mean_hr_bpm", "sdnn_ms", "rmssd_ms", "pnn50_pct")


@pytest.mark.neurokit_reference
@pytest.mark.parametrize("name", ["kubios", "synthetic"])
def test_markers_equal_neurokit(name: str, neurokit_reference: dict[str, dict[str, float]]) -> None:
    import numpy as np

    from kindbreak.signal.hrv import compute_markers

    rr = np.asarray(neurokit_series()[name])
    ours = compute_markers(rr)
    ref = neurokit_reference[name]
    assert ref["n_beats"] == ours.n_beats == rr.size
    for field in NK_FIELDS:
        a, b = getattr(ours, field), ref[field]
        assert math.isfinite(a) and a > 0
        assert a == pytest.approx(b, rel=1e-9), f"{field}: ours {a}, NeuroKit2 {b}"
