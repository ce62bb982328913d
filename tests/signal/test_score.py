"""Stress score: heart rate and HRV against the recent calm state, in the person's spreads."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindbreak.signal.baseline import Baseline
from kindbreak.signal.reference import Reference
from kindbreak.signal.score import (
    Band,
    ScoreParams,
    band_of,
    score_of_load,
    spread_bpm,
    stress_load_sd,
    stress_score,
)

REF = Reference(hr_bpm=65.0, rmssd_ms=40.0, n_windows=20)
P = ScoreParams()


def test_calm_is_rest_and_midpoint_is_fifty() -> None:
    assert band_of(stress_score(65.0, 40.0, REF, 2.0)) is Band.REST
    assert stress_score(65.0 + 2.0 * P.midpoint_sd, 40.0, REF, 2.0) == pytest.approx(50.0)
    # The bands in spreads of load: rest within 0.45, low within 1, medium within 1.55.
    assert score_of_load(P.midpoint_sd + P.scale_sd) == pytest.approx(73.1, abs=0.05)
    assert score_of_load(P.midpoint_sd - P.scale_sd) == pytest.approx(26.9, abs=0.05)
    assert band_of(score_of_load(0.44)) is Band.REST
    assert band_of(score_of_load(0.99)) is Band.LOW
    assert band_of(score_of_load(1.54)) is Band.MEDIUM
    assert band_of(score_of_load(1.56)) is Band.HIGH


def test_heart_rate_rise_alone_raises_the_score() -> None:
    scores = [stress_score(65.0 + d, 40.0, REF, 2.0) for d in (0, 2, 4, 6, 10)]
    assert scores == sorted(scores)
    assert band_of(scores[-1]) is Band.HIGH


def test_hrv_fall_raises_and_rise_lowers() -> None:
    s0 = stress_score(68.0, 40.0, REF, 2.0)
    assert stress_score(68.0, 20.0, REF, 2.0) > s0 > stress_score(68.0, 80.0, REF, 2.0)


def test_one_noisy_rmssd_cannot_dominate() -> None:
    # RMSSD 100 times lower than the recent calm: clipped at max_ln_ratio.
    assert stress_load_sd(65.0, 0.4, REF, 2.0) == pytest.approx(P.hrv_sd_per_ln * P.max_ln_ratio)


def test_the_same_rise_weighs_more_for_a_steady_person() -> None:
    """Scale from the person: +4 bpm is a large rise for a heart rate that wanders by 1 bpm
    while calm, and an ordinary one for a heart rate that wanders by 4 bpm."""
    steady = Baseline(65.0, 40.0, n_windows=2000, hr_sd_bpm=1.0)
    jumpy = Baseline(65.0, 40.0, n_windows=2000, hr_sd_bpm=4.0)
    s_steady, s_jumpy = spread_bpm(steady), spread_bpm(jumpy)
    # Pooled with the default (2 bpm) as if from 60 windows, sqrt((60*4 + 2000*1) / 2060) =
    # 1.043, then half the way from the default to it on a log scale: sqrt(2 * 1.043).
    assert s_steady == pytest.approx(1.444, abs=0.001)
    assert s_jumpy == pytest.approx(2.813, abs=0.001)
    assert stress_score(69.0, 40.0, REF, s_steady) == pytest.approx(97.2, abs=0.1)  # high
    assert stress_score(69.0, 40.0, REF, s_jumpy) == pytest.approx(69.9, abs=0.1)  # medium


def test_a_first_calibration_barely_moves_the_default_spread() -> None:
    # Nine samples from the first five minutes, nearly identical: not "this person never
    # varies", only "not known yet".
    first = Baseline(65.0, 40.0, n_windows=9, hr_sd_bpm=0.2)
    pooled = math.sqrt((60 * 4.0 + 9 * 0.04) / 69)
    assert spread_bpm(first) == pytest.approx(math.sqrt(2.0 * pooled), rel=1e-9)
    assert spread_bpm(Baseline(65.0, 40.0, n_windows=3)) == pytest.approx(P.default_spread_bpm)
    huge = Baseline(65.0, 40.0, n_windows=5000, hr_sd_bpm=20.0)
    assert spread_bpm(huge) == P.max_spread_bpm
    # All of the person's own spread, or none of it:
    own = replace(P, spread_weight=1.0, max_spread_bpm=30.0)
    assert spread_bpm(huge, own) == pytest.approx(math.sqrt((240 + 5000 * 400) / 5060))
    assert spread_bpm(huge, replace(P, spread_weight=0.0)) == P.default_spread_bpm


@settings(derandomize=True, database=None)
@given(
    sd=st.floats(0.0, 30.0),
    n=st.integers(1, 5000),
    rise=st.floats(-20.0, 40.0),
)
def test_score_is_bounded_and_monotone_in_the_rise(sd: float, n: int, rise: float) -> None:
    spread = spread_bpm(Baseline(65.0, 40.0, n_windows=n, hr_sd_bpm=sd))
    assert P.min_spread_bpm <= spread <= P.max_spread_bpm
    lo = stress_score(65.0 + rise, 40.0, REF, spread)
    hi = stress_score(65.0 + rise + 0.5, 40.0, REF, spread)
    assert 0.0 <= lo <= hi <= 100.0


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
