"""Markers on the Kubios sample against the Kubios HRV Standard 3.1 report beside it.

Report settings: no detrending, no artifact correction, NNxx threshold 20 ms, Welch FFT with
a 300 s window, 50 % overlap, 4 Hz interpolation.
"""

from __future__ import annotations

import numpy as np
import pytest

from kindbreak.signal.hrv import compute_markers
from support.data import KUBIOS_RR

KUBIOS = {
    "mean_rr_ms": 707.5437,
    "sdnn_ms": 92.7945,
    "mean_hr_bpm": 84.8004,
    "rmssd_ms": 56.8586,
    "pnn20_pct": 45.2607,
    "sd1_ms": 40.253428,
    "sd2_ms": 124.983623,
    "stress_index": 7.7198,
    "lf_ms2": 5673.0207,
    "hf_ms2": 1873.5143,
    "lf_hf": 3.0280,
    "pns_index": -0.8785,
    "sns_index": 1.4214,
}


@pytest.fixture(scope="module")
def rr() -> np.ndarray:
    return np.loadtxt(KUBIOS_RR)


@pytest.mark.parametrize("name", ["mean_rr_ms", "sdnn_ms", "mean_hr_bpm", "rmssd_ms"])
def test_time_domain_within_0_1_percent(rr: np.ndarray, name: str) -> None:
    m = compute_markers(rr)
    assert getattr(m, name) == pytest.approx(KUBIOS[name], rel=1e-3)


def test_pnn20_over_n_minus_1(rr: np.ndarray) -> None:
    # Kubios' pNNxx divides by the number of successive differences (N - 1), as pnn50_pct.
    diffs = np.abs(np.diff(rr))
    assert 100 * np.count_nonzero(diffs > 20) / diffs.size == pytest.approx(45.2607, rel=1e-3)
    m = compute_markers(rr)
    assert m.pnn50_pct == pytest.approx(100 * np.count_nonzero(diffs > 50) / diffs.size)


def test_poincare_within_0_1_percent(rr: np.ndarray) -> None:
    m = compute_markers(rr)
    assert m.sd1_ms == pytest.approx(KUBIOS["sd1_ms"], rel=1e-3)
    assert m.sd2_ms == pytest.approx(KUBIOS["sd2_ms"], rel=1e-3)


def test_stress_index_within_1_percent(rr: np.ndarray) -> None:
    assert compute_markers(rr).stress_index == pytest.approx(KUBIOS["stress_index"], rel=0.01)


@pytest.mark.parametrize("name", ["lf_ms2", "hf_ms2", "lf_hf"])
def test_frequency_domain_within_5_percent(rr: np.ndarray, name: str) -> None:
    assert getattr(compute_markers(rr), name) == pytest.approx(KUBIOS[name], rel=0.05)


def test_pns_sns_direction_and_distance(rr: np.ndarray) -> None:
    """Kubios does not publish its norms and weights; with Nunan 2010 norms and equal weights
    the indexes have Kubios' signs and lie within 0.75 SD of its values (docs/markers.md)."""
    m = compute_markers(rr)
    assert m.pns_index < 0 < m.sns_index
    assert m.pns_index == pytest.approx(KUBIOS["pns_index"], abs=0.75)
    assert m.sns_index == pytest.approx(KUBIOS["sns_index"], abs=0.35)


def test_breaks_leave_out_differences_across_gaps() -> None:
    rr = np.array([800.0, 810, 790, 805, 1200, 1210, 1190, 1205])
    breaks = np.zeros(rr.size, dtype=bool)
    breaks[4] = True
    m = compute_markers(rr, breaks=breaks)
    diffs = np.concatenate((np.diff(rr[:4]), np.diff(rr[4:])))
    assert m.rmssd_ms == pytest.approx(float(np.sqrt(np.mean(diffs**2))))
