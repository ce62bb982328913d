"""Baseline: robust to outliers, its heart-rate spread taken around each window's reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kindbreak.signal.baseline import Baseline, CalmSample


def samples(seed: int, n: int, t0: float = 0.0, hr: float = 62.0) -> list[CalmSample]:
    rng = np.random.default_rng(seed)
    return [
        CalmSample(t0 + 30.0 * i, hr + rng.normal(0, 1.0), float(np.exp(rng.normal(3.7, 0.1))))
        for i in range(n)
    ]


def test_median_resists_outlier_windows() -> None:
    calm = samples(1, 40)
    clean = Baseline.from_samples(calm)
    assert clean is not None
    # A quarter of the windows excited or artifact-laden.
    noisy = calm + [CalmSample(1e4 + i, 95.0, 8.0) for i in range(13)]
    b = Baseline.from_samples(noisy)
    assert b is not None
    assert b.hr_bpm == pytest.approx(clean.hr_bpm, abs=1.0)
    assert b.rmssd_ms == pytest.approx(clean.rmssd_ms, rel=0.1)
    assert b.hr_sd_bpm < 3.0  # MAD, not SD: the outliers do not blow up the spread


def test_unusable_values_are_ignored_and_empty_is_none() -> None:
    assert Baseline.from_samples([CalmSample(0, math.nan, 40.0), CalmSample(1, 60, 0.0)]) is None
    b = Baseline.from_samples(
        [CalmSample(0, 60.0, 40.0), CalmSample(1, math.nan, 50.0), CalmSample(2, 62.0, math.inf)]
    )
    assert b is not None and b.n_windows == 1 and b.hr_bpm == 60.0


def test_spread_is_taken_around_the_reference_each_window_was_scored_against() -> None:
    """A day whose calm heart rate climbs 60 -> 70 bpm: around their median the windows spread
    by about 4 bpm, but each sits within 1 bpm of the recent calm state it was scored against,
    and that is how far this person's heart rate wanders while calm."""
    rng = np.random.default_rng(8)
    day = []
    for i in range(200):
        calm_now = 60.0 + 10.0 * i / 199
        day.append(CalmSample(30.0 * i, calm_now + rng.normal(0, 1.0), 40.0, calm_now))
    with_ref = Baseline.from_samples(day)
    without = Baseline.from_samples([CalmSample(s.t_s, s.hr_bpm, s.rmssd_ms) for s in day])
    assert with_ref is not None and without is not None
    assert with_ref.hr_sd_bpm == pytest.approx(1.0, abs=0.15)
    assert without.hr_sd_bpm == pytest.approx(3.8, abs=0.4)
    assert with_ref.hr_bpm == without.hr_bpm  # the calm level itself is the median either way
