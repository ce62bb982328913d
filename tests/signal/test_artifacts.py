"""Lipponen-Tarvainen artifact detection and correction on injected artifacts (seeded)."""

from __future__ import annotations

import numpy as np
import pytest

from kindbreak.signal.artifacts import BeatKind, Correction, classify_beats, correct_rr
from kindbreak.signal.hrv import compute_markers
from support.data import KUBIOS_RR


def clean_series(seed: int, n: int = 400) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    return (
        800
        + 40 * np.sin(2 * np.pi * k / 4.5)
        + 30 * np.sin(2 * np.pi * k / 12)
        + rng.normal(0, 15, n)
    )


def inject(clean: np.ndarray) -> np.ndarray:
    bad = clean.tolist()
    early = 0.7 * bad[100]  # ectopic: premature beat, compensatory pause
    bad[101] += bad[100] - early
    bad[100] = early
    bad[200:202] = [bad[200] + bad[201]]  # missed beat
    x = bad[299]  # extra beat (index 299 after the merge)
    bad[299:300] = [0.4 * x, 0.6 * x]
    return np.array(bad)


@pytest.mark.parametrize("seed", range(5))
def test_injected_artifacts_are_found_and_rmssd_recovers(seed: int) -> None:
    clean = clean_series(seed)
    bad = inject(clean)
    kinds = classify_beats(bad)
    assert kinds[100] in (BeatKind.ECTOPIC, BeatKind.MISALIGNED)
    assert kinds[101] == BeatKind.ECTOPIC
    assert kinds[200] == BeatKind.MISSED
    assert kinds[299] == BeatKind.EXTRA
    assert np.count_nonzero(kinds) <= 6  # nothing much else
    rmssd_clean = compute_markers(clean).rmssd_ms
    rmssd_bad = compute_markers(bad).rmssd_ms
    fixed = correct_rr(bad)
    rmssd_fixed = compute_markers(fixed.rr_ms, fixed.t_s).rmssd_ms
    assert rmssd_bad > 1.5 * rmssd_clean  # the artifacts matter
    assert rmssd_fixed == pytest.approx(rmssd_clean, rel=0.05)
    assert fixed.rr_ms.size == clean.size  # missed beat put back, extra beat removed
    assert fixed.rr_ms.sum() == pytest.approx(bad.sum())  # the time line is kept
    assert 3 <= fixed.n_corrected <= 6
    assert fixed.missed == 1 and fixed.extra == 1


def test_none_detects_but_leaves_the_series_alone() -> None:
    bad = inject(clean_series(0))
    out = correct_rr(bad, method=Correction.NONE)
    np.testing.assert_array_equal(out.rr_ms, bad)
    assert out.n_corrected >= 3


def test_clean_series_is_left_alone() -> None:
    clean = clean_series(3)
    out = correct_rr(clean)
    assert out.n_corrected == 0
    np.testing.assert_array_equal(out.rr_ms, clean)


def test_kubios_sample_few_flags() -> None:
    """Real clean ECG with high variability: only a handful of real long intervals look
    like artifacts (which is why the user can choose correction "none", as Kubios)."""
    rr = np.loadtxt(KUBIOS_RR)
    out = correct_rr(rr)
    assert out.corrected_share < 0.015


def test_segments_are_cleaned_apart_and_gaps_kept() -> None:
    clean = clean_series(1)
    t = np.cumsum(clean) / 1000.0
    t[200:] += 60.0  # a minute of contact loss
    breaks = np.zeros(clean.size, dtype=bool)
    breaks[200] = True
    out = correct_rr(clean, t, breaks)
    assert out.n_corrected == 0
    assert out.breaks.sum() == 1 and out.breaks[200]
    assert np.all(np.diff(out.t_s) > 0)


def test_the_newest_beats_are_judged_with_held_thresholds() -> None:
    """A window closing now classifies its last 50 beats before their 91-beat spans exist:
    the thresholds are held at their last complete value, and the artifacts there are found."""
    from kindbreak.signal.artifacts import REACH_BEATS, classify_as_it_stands

    clean = clean_series(4, 400)
    assert not classify_as_it_stands(clean).any()
    bad = clean.copy()
    early = 0.7 * bad[-10]  # an ectopic beat 10 beats before the end
    bad[-9] += bad[-10] - early
    bad[-10] = early
    bad = np.concatenate((bad[:-25], [bad[-25] + bad[-24]], bad[-23:]))  # a missed beat
    kinds = classify_as_it_stands(bad)
    n = bad.size
    assert kinds[n - 9] == BeatKind.ECTOPIC
    assert kinds[n - 24] == BeatKind.MISSED
    assert np.count_nonzero(kinds) <= 4
    # Beats with a complete span keep their final class.
    np.testing.assert_array_equal(kinds[: n - REACH_BEATS], classify_beats(bad)[: n - REACH_BEATS])
