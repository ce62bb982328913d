"""Stress score: heart rate and HRV against the baseline, bands."""

from __future__ import annotations

import pytest

from kindbreak.signal.baseline import Baseline
from kindbreak.signal.score import Band, ScoreParams, band_of, stress_load_bpm, stress_score

BASE = Baseline(hr_bpm=65.0, rmssd_ms=40.0, n_windows=10)


def test_calm_is_rest_and_midpoint_is_fifty() -> None:
    assert band_of(stress_score(65.0, 40.0, BASE)) is Band.REST
    p = ScoreParams()
    assert stress_score(65.0 + p.midpoint_bpm, 40.0, BASE) == pytest.approx(50.0)


def test_heart_rate_rise_alone_raises_the_score() -> None:
    scores = [stress_score(65.0 + d, 40.0, BASE) for d in (0, 2, 4, 6, 10)]
    assert scores == sorted(scores)
    assert band_of(scores[-1]) is Band.HIGH


def test_hrv_fall_raises_and_rise_lowers() -> None:
    s0 = stress_score(68.0, 40.0, BASE)
    assert stress_score(68.0, 20.0, BASE) > s0 > stress_score(68.0, 80.0, BASE)


def test_one_noisy_rmssd_cannot_dominate() -> None:
    p = ScoreParams()
    assert stress_load_bpm(65.0, 0.4, BASE, p) == pytest.approx(p.hrv_bpm_per_ln * p.max_ln_ratio)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, Band.REST),
        (25, Band.REST),
        (25.5, Band.LOW),
        (50, Band.LOW),
        (51, Band.MEDIUM),
        (75, Band.MEDIUM),
        (76, Band.HIGH),
        (100, Band.HIGH),
    ],
)
def test_garmin_bands(score: float, band: Band) -> None:
    assert band_of(score) is band
