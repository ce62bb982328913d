"""The recent calm state: a low envelope of the last 15 minutes, bounded by the baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindbreak.signal.baseline import Baseline
from kindbreak.signal.reference import CalmReference, ReferenceParams, quantile

BASE = Baseline(hr_bpm=65.0, rmssd_ms=40.0, n_windows=9)


@settings(derandomize=True, database=None)
@given(
    values=st.lists(st.floats(30.0, 200.0), min_size=1, max_size=60),
    q=st.floats(0.0, 1.0),
)
def test_quantile_is_numpy_s_linear_quantile(values: list[float], q: float) -> None:
    assert quantile(values, q) == pytest.approx(float(np.quantile(values, q)), abs=1e-9)


def test_the_baseline_until_ten_windows_then_their_low_envelope() -> None:
    ref = CalmReference()
    for i in range(9):
        ref.add(30.0 * i, 70.0 + i, 30.0)
    r = ref.reference(270.0, BASE)
    assert (r.hr_bpm, r.rmssd_ms, r.n_windows) == (65.0, 40.0, 0)
    ref.add(270.0, 79.0, 30.0)
    r = ref.reference(300.0, BASE)
    # 20th percentile of 70..79 (linear): 71.8; RMSSD the median of the windows.
    assert r.hr_bpm == pytest.approx(71.8)
    assert r.rmssd_ms == pytest.approx(30.0)
    assert r.n_windows == 10


def test_a_window_is_never_part_of_its_own_reference() -> None:
    ref = CalmReference(ReferenceParams(min_windows=1))
    ref.add(30.0, 60.0, 40.0)
    ref.add(60.0, 90.0, 40.0)
    assert ref.reference(60.0, BASE).hr_bpm == 60.0


def test_bounded_by_the_baseline_and_forgets_after_the_lookback() -> None:
    ref = CalmReference()
    for i in range(30):
        ref.add(30.0 * i, 90.0, 10.0)
    r = ref.reference(900.0, BASE)
    assert r.hr_bpm == 75.0  # baseline + 10 bpm
    assert r.rmssd_ms == pytest.approx(40.0 * math.exp(-0.7))
    # Contact lost for longer than the lookback: back to the baseline.
    assert ref.reference(900.0 + 901.0, BASE).n_windows == 0


def test_a_window_without_heart_rate_is_not_kept() -> None:
    ref = CalmReference(ReferenceParams(min_windows=1))
    ref.add(30.0, math.nan, 40.0)
    assert ref.reference(90.0, BASE).n_windows == 0


def test_a_window_scored_on_heart_rate_alone_counts_for_heart_rate_only() -> None:
    # No RMSSD (NaN, or 0 from too few intervals): its heart rate enters the low envelope, and
    # the RMSSD comes from the windows that have one, else from the baseline.
    ref = CalmReference(ReferenceParams(min_windows=1, quantile=0.0))
    ref.add(30.0, 70.0, math.nan)
    ref.add(60.0, 72.0, 0.0)
    alone = ref.reference(90.0, BASE)
    assert (alone.n_windows, alone.hr_bpm, alone.rmssd_ms) == (2, 70.0, 40.0)
    ref.add(90.0, 68.0, 30.0)
    both = ref.reference(120.0, BASE)
    assert (both.n_windows, both.hr_bpm) == (3, 68.0)
    assert both.rmssd_ms == pytest.approx(30.0)
