"""The numpy band powers against the scipy estimate they replace (CubicSpline + welch).

The reference below is the previous implementation, line for line: the numbers must stay the
same to floating-point rounding for windows of every shape the pipeline makes (short, 2-5 min,
longer than one Welch segment, a whole recording solved in blocks, beat times that do not
increase).
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.interpolate import CubicSpline
from scipy.signal import welch

from kindbreak.signal.spectrum import (
    BANDS_HZ,
    band_powers_many,
    band_powers_ranges,
    solve_tridiagonal,
)

REL = 1e-9


def scipy_band_powers(rr_ms: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    duration = float(t_s[-1] - t_s[0]) if t_s.size else 0.0
    if rr_ms.size < 4 or duration < 120.0:
        return np.full(3, math.nan)
    increasing = np.concatenate(([True], np.diff(t_s) > 0))
    t_s, rr_ms = t_s[increasing], rr_ms[increasing]
    grid = np.arange(t_s[0], t_s[-1], 0.25)
    series = CubicSpline(t_s, rr_ms)(grid)
    series = series - series.mean()
    nperseg = min(series.size, 1200)
    nfft = max(nperseg, 1200)
    freqs, psd = welch(
        series,
        fs=4.0,
        window="hann",
        nperseg=nperseg,
        noverlap=nperseg // 2,
        nfft=nfft,
        detrend="constant",
    )
    out = []
    for lo, hi in BANDS_HZ.values():
        mask = (freqs >= lo) & (freqs < hi)
        out.append(float(trapezoid(psd[mask], freqs[mask])))
    return np.array(out)


def series(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    rr = (
        60000 / (66 + 4 * np.sin(2 * np.pi * k / 3000))
        + 40 * np.sin(2 * np.pi * k / 4.3)
        + 25 * np.sin(2 * np.pi * k / 11)
        + rng.normal(0, 12, n)
    )
    rr = np.round(rr, 1)
    return rr, np.cumsum(rr) / 1000.0


@pytest.mark.parametrize("seed", range(3))
def test_sliding_windows_equal_scipy(seed: int) -> None:
    rr, t = series(3000, seed)
    lo, hi = [], []
    for end in np.arange(300.0, t[-1], 30.0):
        inside = np.flatnonzero((t > end - 300.0) & (t <= end))
        lo.append(inside[0])
        hi.append(inside[-1] + 1)
    got = band_powers_ranges(rr, t, np.array(lo), np.array(hi))
    want = np.array([scipy_band_powers(rr[a:b], t[a:b]) for a, b in zip(lo, hi, strict=True)])
    assert len(lo) > 50
    np.testing.assert_allclose(got, want, rtol=REL)


@pytest.mark.parametrize(
    ("n", "what"),
    [
        (3, "too few beats: nan"),
        (100, "under 120 s: nan"),
        (150, "just over 120 s: one short segment"),
        (600, "over 300 s: two Welch segments"),
        (40_000, "a whole recording: slopes solved in blocks, segments in batches"),
    ],
)
def test_series_of_every_length_equal_scipy(n: int, what: str) -> None:
    rr, t = series(n, 5)
    got = band_powers_many([(rr, t)])[0]
    want = scipy_band_powers(rr, t)
    np.testing.assert_allclose(got, want, rtol=REL, err_msg=what)


def test_times_that_do_not_increase_are_left_out_as_before() -> None:
    rr, t = series(400, 2)
    t = t.copy()
    t[200] = t[199]  # a beat at the same time as the one before
    t[300] = t[299] - 0.1
    got = band_powers_many([(rr, t)])[0]
    np.testing.assert_allclose(got, scipy_band_powers(rr, t), rtol=REL)


def test_windows_with_gaps_and_mixed_lengths_in_one_batch() -> None:
    rr, t = series(2000, 9)
    t = t.copy()
    t[1000:] += 90.0  # contact lost for 90 s
    pieces = [(rr[a:b], t[a:b]) for a, b in [(0, 350), (900, 1250), (1100, 1200), (10, 900)]]
    got = band_powers_many(pieces)
    want = np.array([scipy_band_powers(r, tt) for r, tt in pieces])
    np.testing.assert_allclose(got, want, rtol=REL)
    assert np.isnan(got[2]).all()


def test_tridiagonal_solve_of_many_systems_at_once() -> None:
    rng = np.random.default_rng(4)
    for n in (1, 2, 3, 4, 5, 17, 64, 1001):
        sub, sup = rng.random(n), rng.random(n)
        diag = 2.5 + rng.random(n)
        sub[0] = sup[-1] = 0.0
        sub[n // 2] = 0.0  # two independent systems
        if n > 1:
            sup[n // 2 - 1] = 0.0
        rhs = rng.normal(size=n)
        dense = np.diag(diag) + np.diag(sub[1:], -1) + np.diag(sup[:-1], 1)
        np.testing.assert_allclose(
            solve_tridiagonal(sub, diag, sup, rhs), np.linalg.solve(dense, rhs), rtol=1e-12
        )


def test_hrv_does_not_import_scipy() -> None:
    code = (
        "import sys, numpy as np\n"
        "from kindbreak.signal.hrv import compute_markers\n"
        "rr = 800 + 50 * np.sin(np.arange(400) / 3)\n"
        "assert compute_markers(rr).lf_ms2 > 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'neurokit2')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_window_gets_the_same_bits_alone_and_in_any_batch() -> None:
    """Live monitoring closes windows one at a time, analyze in batches: the numbers must not
    depend on which other windows share the computation."""
    rr, t = series(3000, 8)
    lo = np.array([0, 40, 77, 500, 1200, 1213])
    hi = np.array([350, 420, 300, 880, 1500, 1560])
    together = band_powers_ranges(rr, t, lo, hi)
    for k in range(lo.size):
        alone = band_powers_ranges(rr, t, lo[k : k + 1], hi[k : k + 1])[0]
        assert together[k].tobytes() == alone.tobytes()
    shuffled = band_powers_ranges(rr, t, lo[::-1], hi[::-1])
    assert shuffled[::-1].tobytes() == together.tobytes()


def test_working_arrays_kept_between_batches_change_no_bit() -> None:
    """The pipeline keeps one Scratch for all its batches (no memory handed back and mapped
    again per batch): whatever an earlier batch left in it, a batch gets the same bits."""
    from kindbreak.signal.scratch import Scratch

    rr, t = series(6000, 11)
    scratch = Scratch()
    batches = [([0, 400, 1700], [350, 760, 2000]), ([30], [420]), ([2500, 2550], [2900, 3100])]
    batches += [([5000, 100, 4000, 4100], [5340, 460, 4250, 4500])]
    for lo, hi in batches * 2:
        kept = band_powers_ranges(rr, t, np.array(lo), np.array(hi), scratch)
        fresh = band_powers_ranges(rr, t, np.array(lo), np.array(hi))
        assert kept.tobytes() == fresh.tobytes()
        assert np.isfinite(kept[np.array(hi) - np.array(lo) > 200]).all()
    assert scratch.nbytes > 0


@pytest.mark.parametrize("seed", range(4))
def test_knot_of_each_grid_sample_is_searchsorted(seed: int) -> None:
    """The long series' grid finds each sample's piece without a binary search: the same
    indices, also for knots closer than a sample, on a sample, or before the grid."""
    from kindbreak.signal.spectrum import _last_knot_at_or_before

    rng = np.random.default_rng(seed)
    rr = rng.uniform(150.0, 1500.0, 4000)
    t = 100.0 + np.cumsum(rr) / 1000.0
    on_grid = rng.integers(10, t.size - 10, 30)
    t[on_grid] = t[0] + np.round((t[on_grid] - t[0]) * 4.0) / 4.0  # exactly on a sample
    t = np.maximum.accumulate(t)
    for j0 in (0, 7, 1000, 10000):  # the last one runs past the last knot
        g = t[0] + np.arange(j0, j0 + 9000) / 4.0
        want = np.searchsorted(t, g, side="right") - 1
        np.testing.assert_array_equal(_last_knot_at_or_before(t, g), want)
