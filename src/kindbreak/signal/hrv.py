"""HRV markers of one window of normal-to-normal (NN) intervals. Pure.

Two engines compute the same :class:`Markers`:

* :func:`compute_markers`, the numpy engine (band powers from
  :mod:`kindbreak.signal.spectrum`, which also computes them for many windows at once);
* :func:`neurokit_markers`, the same quantities through NeuroKit2 (``nk.hrv_time``), kept as
  the reference the tests and ``benchmarks/`` compare against (about 20 ms per window, and a
  5 s import). NeuroKit2 is imported here and nowhere else.

Definitions follow Kubios HRV (Tarvainen et al. 2014, Comput Methods Programs Biomed 113:210),
so numbers can be checked against a Kubios report:

==================  ======  ===========================================================
marker              unit    definition
==================  ======  ===========================================================
``mean_rr_ms``      ms      mean of NN intervals
``mean_hr_bpm``     1/min   60000 / mean RR (Kubios; not the mean of instantaneous HR)
``sdnn_ms``         ms      standard deviation of NN, ddof = 1
``rmssd_ms``        ms      root mean square of successive differences
``pnn50_pct``       %       share of successive differences > 50 ms, over N - 1 (Kubios)
``sd1_ms``          ms      Poincaré SD1 = sqrt(1/2) * std(successive differences)
``sd2_ms``          ms      Poincaré SD2 = sqrt(2 SDNN^2 - SD1^2)
``vlf/lf/hf_ms2``   ms^2    band power 0-0.04 / 0.04-0.15 / 0.15-0.4 Hz: RR interpolated at
                            4 Hz (cubic spline), mean removed, Welch periodogram with a
                            Hann window of min(300 s, window) and 50 % overlap, 300 points/Hz
``lf_hf``           1       LF / HF
``stress_index``    1       Kubios stress index, sqrt of Baevsky's SI = AMo / (2 Mo MxDMn)
``pns_index``       SD      Kubios-style PNS index: mean of the z-scores of mean RR, RMSSD
                            and SD1 against normal resting values (:class:`AnsNorms`)
``sns_index``       SD      Kubios-style SNS index: mean of the z-scores of mean HR, stress
                            index and SD2 against normal resting values
==================  ======  ===========================================================

PNS/SNS: Kubios describes which three markers enter each index and that each is expressed in
standard deviations from normal population values, but not the exact norms or weights. Here
each index is the plain mean of three z-scores with the short-term norms of Nunan et al. 2010
(Pacing Clin Electrophysiol 33:1407; mean RR 926 +- 90 ms, RMSSD 42 +- 15 ms, SDNN 50 +- 16 ms)
and values derived from them (SD1 = RMSSD / sqrt 2, SD2 from SDNN and SD1, mean HR from mean
RR); stress index 10 +- 3 (Baevsky SI 50-150 at rest). On the Kubios sample this gives PNS
-0.15 and SNS 1.72 where Kubios reports -0.8785 and 1.4214: right sign and order of
magnitude, not a match (see docs/markers.md).

Stress index choices (documented because Kubios does not publish them): AMo is the share (%)
of intervals in the modal 50 ms bin with bins starting at the shortest interval, Mo the
median interval (s), MxDMn the 2.5-97.5 percentile spread (s). On the Kubios sample this gives
7.719 against Kubios' 7.7198; the textbook choices (Mo = modal bin, MxDMn = max - min) give
5.885. Minimum windows (Task Force 1996; Shaffer & Ginsberg 2017): HR, SDNN, RMSSD about 60 s;
LF needs 120 s or more; below that the band powers are reported as ``nan``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from kindbreak.signal.scratch import Scratch
from kindbreak.signal.spectrum import band_powers_many, band_powers_ranges

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Markers:
    n_beats: int
    duration_s: float
    mean_rr_ms: float
    mean_hr_bpm: float
    sdnn_ms: float
    rmssd_ms: float
    pnn50_pct: float
    sd1_ms: float
    sd2_ms: float
    vlf_ms2: float
    lf_ms2: float
    hf_ms2: float
    lf_hf: float
    stress_index: float
    pns_index: float = math.nan
    sns_index: float = math.nan

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class AnsNorms:
    """Normal resting values (mean, SD) behind the PNS and SNS indexes (see the docstring)."""

    mean_rr_ms: tuple[float, float] = (926.0, 90.0)
    rmssd_ms: tuple[float, float] = (42.0, 15.0)
    sd1_ms: tuple[float, float] = (29.7, 10.6)
    mean_hr_bpm: tuple[float, float] = (64.8, 6.3)
    stress_index: tuple[float, float] = (10.0, 3.0)
    sd2_ms: tuple[float, float] = (63.8, 22.0)


#: A marker of one window, or a column of them (the indexes' arithmetic is the same).
Value = TypeVar("Value", float, FloatArray)


def _z(value: Value, norm: tuple[float, float]) -> Value:
    return (value - norm[0]) / norm[1]


def pns_index(
    mean_rr_ms: Value, rmssd_ms: Value, sd1_ms: Value, norms: AnsNorms = AnsNorms()
) -> Value:
    """Parasympathetic index: mean z-score of mean RR, RMSSD and SD1 (nan if one is nan)."""
    return (
        _z(mean_rr_ms, norms.mean_rr_ms) + _z(rmssd_ms, norms.rmssd_ms) + _z(sd1_ms, norms.sd1_ms)
    ) / 3.0


def sns_index(
    mean_hr_bpm: Value, stress_idx: Value, sd2_ms: Value, norms: AnsNorms = AnsNorms()
) -> Value:
    """Sympathetic index: mean z-score of mean HR, stress index and SD2 (nan if one is nan)."""
    return (
        _z(mean_hr_bpm, norms.mean_hr_bpm)
        + _z(stress_idx, norms.stress_index)
        + _z(sd2_ms, norms.sd2_ms)
    ) / 3.0


def stress_index(rr_ms: FloatArray) -> float:
    """Kubios stress index (square root of Baevsky's SI); see the module docstring."""
    if rr_ms.size < 10:
        return math.nan
    lo = float(rr_ms.min())
    n_bins = int((float(rr_ms.max()) - lo) // 50.0) + 1
    counts = np.bincount(((rr_ms - lo) // 50.0).astype(np.int64), minlength=n_bins)
    amo_pct = 100.0 * float(counts.max()) / rr_ms.size
    mo_s = float(np.median(rr_ms)) / 1000.0
    p2_5, p97_5 = np.percentile(rr_ms, [2.5, 97.5])
    mxdmn_s = float(p97_5 - p2_5) / 1000.0
    if mxdmn_s <= 0 or mo_s <= 0:
        return math.nan
    return math.sqrt(amo_pct / (2.0 * mo_s * mxdmn_s))


def compute_markers(
    rr_ms: FloatArray | list[float],
    t_s: FloatArray | list[float] | None = None,
    *,
    breaks: npt.NDArray[np.bool_] | None = None,
    frequency: bool = True,
) -> Markers:
    """Markers of one window of NN intervals (ms) ending at beat times ``t_s`` (s).

    ``breaks[i]`` marks a gap before interval ``i``: successive differences across it are left
    out. ``t_s`` defaults to the cumulative sum of the intervals. The same computation as
    :func:`compute_markers_batch` for a batch of one.
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    t = np.cumsum(rr) / 1000.0 if t_s is None else np.asarray(t_s, dtype=np.float64)
    br = np.zeros(rr.size, dtype=bool) if breaks is None else np.asarray(breaks, dtype=bool)
    if br.size != rr.size:
        br = np.zeros(rr.size, dtype=bool)
    if rr.size > LONG_SERIES:
        return _long_markers(rr, t, br, frequency=frequency)
    offsets = np.array([0, rr.size], dtype=np.int64)
    return compute_markers_batch(rr, t, br, offsets, frequency=frequency)[0]


LONG_SERIES = 1 << 16
"""Intervals above which one series (a whole recording) is reduced in chunks of this size, so
a week of beats needs a few MB of scratch instead of a hundred."""


def _chunks(n: int) -> range:
    return range(0, n, LONG_SERIES)


def _long_markers(
    rr: FloatArray, t: FloatArray, br: npt.NDArray[np.bool_], *, frequency: bool
) -> Markers:
    """:func:`compute_markers` of a long series: the same definitions, reduced chunk by chunk
    (the sums associate differently, so the last digits may differ from a batch of one)."""
    n = rr.size
    total = math.fsum(float(rr[a : a + LONG_SERIES].sum()) for a in _chunks(n))
    mean_rr = total / n
    ss = math.fsum(float(((rr[a : a + LONG_SERIES] - mean_rr) ** 2).sum()) for a in _chunks(n))
    sdnn = math.sqrt(ss / (n - 1))
    n_d = 0
    d_sum = d_sq = 0.0
    big = 0
    for a in _chunks(n - 1):
        b = min(a + LONG_SERIES, n - 1)
        d = (rr[a + 1 : b + 1] - rr[a:b])[~br[a + 1 : b + 1]]
        n_d += d.size
        d_sum += float(d.sum())
        d_sq += float((d * d).sum())
        big += int(np.count_nonzero(np.abs(d) > 50.0))
    if n_d:
        rmssd = math.sqrt(d_sq / n_d)
        pnn50 = 100.0 * big / n_d
        d_mean = d_sum / n_d
        d_ss = 0.0
        for a in _chunks(n - 1):
            b = min(a + LONG_SERIES, n - 1)
            d = (rr[a + 1 : b + 1] - rr[a:b])[~br[a + 1 : b + 1]]
            d_ss += float(((d - d_mean) ** 2).sum())
        sd1 = math.sqrt(0.5) * math.sqrt(d_ss / (n_d - 1)) if n_d > 1 else math.nan
    else:
        rmssd = pnn50 = sd1 = math.nan
    sd2_sq = 2.0 * sdnn**2 - sd1**2 if not math.isnan(sd1) else math.nan
    sd2 = math.sqrt(sd2_sq) if sd2_sq == sd2_sq and sd2_sq > 0 else math.nan
    si = _long_stress_index(rr)
    if frequency:
        vlf, lf, hf = (float(v) for v in band_powers_many([(rr, t)])[0])
    else:
        vlf = lf = hf = math.nan
    lf_hf = lf / hf if hf and not math.isnan(hf) and hf > 0 else math.nan
    mean_hr = 60000.0 / mean_rr
    return Markers(
        n_beats=n,
        duration_s=total / 1000.0,
        mean_rr_ms=mean_rr,
        mean_hr_bpm=mean_hr,
        sdnn_ms=sdnn,
        rmssd_ms=rmssd,
        pnn50_pct=pnn50,
        sd1_ms=sd1,
        sd2_ms=sd2,
        vlf_ms2=vlf,
        lf_ms2=lf,
        hf_ms2=hf,
        lf_hf=lf_hf,
        stress_index=si,
        pns_index=pns_index(mean_rr, rmssd, sd1),
        sns_index=sns_index(mean_hr, si, sd2),
    )


def _order_statistics(x: FloatArray, ks: list[int]) -> dict[int, float]:
    """The ``k``-th smallest values of ``x`` (exactly, as sorting would give them) without a
    copy of ``x``: a histogram over the value range finds each one's bin (bins keep the order
    of values), and only that bin's values are sorted."""
    lo, hi = float(x.min()), float(x.max())
    n_bins = 4096
    width = (hi - lo) / n_bins if hi > lo else 1.0

    def bins_of(part: FloatArray) -> npt.NDArray[np.int64]:
        b: npt.NDArray[np.int64] = np.minimum(((part - lo) / width).astype(np.int64), n_bins - 1)
        return b

    counts = np.zeros(n_bins, dtype=np.int64)
    for a in _chunks(x.size):
        counts += np.bincount(bins_of(x[a : a + LONG_SERIES]), minlength=n_bins)
    cum = np.cumsum(counts)
    out: dict[int, float] = {}
    for k in ks:
        b = int(np.searchsorted(cum, k, side="right"))
        before = int(cum[b - 1]) if b else 0
        members = np.concatenate(
            [part[bins_of(part) == b] for part in (x[a : a + LONG_SERIES] for a in _chunks(x.size))]
        )
        out[k] = float(np.sort(members)[k - before])
    return out


def _long_stress_index(rr: FloatArray) -> float:
    """:func:`stress_index` of a long series: the histogram in chunks, the order statistics
    by one partial sort."""
    n = rr.size
    lo, hi = float(rr.min()), float(rr.max())
    n_bins = int((hi - lo) // 50.0) + 1
    counts = np.zeros(n_bins, dtype=np.int64)
    for a in _chunks(n):
        part = rr[a : a + LONG_SERIES]
        counts += np.bincount(((part - lo) // 50.0).astype(np.int64), minlength=n_bins)
    amo_pct = 100.0 * float(counts.max()) / n
    virtual = [(n - 1) * q for q in (0.025, 0.975)]
    want = {n // 2, max(n // 2 - 1, 0)}
    for v in virtual:
        want.update((min(math.floor(v), n - 1), min(math.floor(v) + 1, n - 1)))
    order = _order_statistics(rr, sorted(want))
    half = n // 2
    mid = order[half] if n % 2 else (order[half - 1] + order[half]) / 2.0
    p = []
    for v in virtual:
        below = math.floor(v)
        gamma = v - below
        low = order[min(below, n - 1)]
        high = order[min(below + 1, n - 1)]
        step = high - low
        p.append(high - step * (1 - gamma) if gamma >= 0.5 else low + step * gamma)
    mo_s = mid / 1000.0
    mxdmn_s = (p[1] - p[0]) / 1000.0
    if mxdmn_s <= 0 or mo_s <= 0:
        return math.nan
    return math.sqrt(amo_pct / (2.0 * mo_s * mxdmn_s))


def _sums(x: FloatArray, lo: IntArray, hi: IntArray, scratch: Scratch | None = None) -> FloatArray:
    """Sum of ``x[lo[k]:hi[k]]`` for each k (0 where empty). Each sum depends on its own
    values only, never on the other ranges: a window's numbers do not depend on its batch."""
    out = np.zeros(lo.size)
    ok = hi > lo
    if ok.any():
        pairs = np.stack((lo[ok], hi[ok]), axis=1).ravel()
        padded = (scratch or Scratch()).array("sums", (x.size + 1,))
        padded[:-1] = x
        padded[-1] = 0.0
        out[ok] = np.add.reduceat(padded, pairs)[0::2]
    return out


def _percentile_rows(rows: FloatArray, n: IntArray, q: float) -> FloatArray:
    """``np.percentile(row[:n], 100 q)`` of each sorted row (numpy's linear method)."""
    r = np.arange(rows.shape[0])
    virtual = (n - 1) * q
    below = np.floor(virtual)
    gamma = virtual - below
    lo = below.astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    top = virtual >= n - 1
    lo = np.where(top, n - 1, lo)
    a, b = rows[r, lo], rows[r, hi]
    diff = b - a
    out: FloatArray = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    return out


def _stress_indexes(
    rr: FloatArray, lo: IntArray, hi: IntArray, scratch: Scratch | None = None
) -> FloatArray:
    """:func:`stress_index` of each window ``rr[lo[k]:hi[k]]`` (at least 10 intervals, else
    nan), from each window's intervals sorted in a row of a 2-D array."""
    scratch = scratch or Scratch()
    n = hi - lo
    w = n.size
    out = np.full(w, math.nan)
    if not (n >= 10).any():
        return out
    width = int(n.max())
    col = np.arange(width)
    take = scratch.array("si_take", (w, width), np.int64)
    np.minimum(np.add(lo[:, None], col[None, :], out=take), (hi - 1)[:, None], out=take)
    rows = np.take(rr, take, out=scratch.array("si_rows", (w, width)), mode="clip")
    outside = col[None, :] >= n[:, None]
    np.copyto(rows, np.inf, where=outside)
    rows.sort(axis=1)
    r = np.arange(w)
    ok = n >= 10
    nn = np.maximum(n, 1)
    # The modal 50 ms bin (bins from the shortest interval): in a sorted row each bin is a
    # run of equal bin numbers, so its count is the longest run.
    with np.errstate(invalid="ignore"):  # inf - inf in rows of no interval: not a bin
        above = np.subtract(rows, rows[:, :1], out=scratch.array("si_above", (w, width)))
    # floor(above / 50), exactly (as floor division gives it; a fix-up after the quotient is
    # cheaper than numpy's floor_divide).
    q = np.floor(
        np.divide(above, 50.0, out=scratch.array("si_q", (w, width))),
        out=scratch.array("si_q", (w, width)),
    )
    fix = scratch.array("si_fix", (w, width))
    q -= np.multiply(q, 50.0, out=fix) > above
    np.add(q, 1.0, out=fix)
    fix *= 50.0
    q += fix <= above
    np.copyto(q, -1.0, where=outside)  # not a bin: ends the row's last run
    change = scratch.array("si_change", (w, width), np.bool_)
    change[:, 0] = True
    np.not_equal(q[:, 1:], q[:, :-1], out=change[:, 1:])
    starts = np.flatnonzero(change.ravel())
    lengths = np.diff(starts, append=w * width)
    real = q.ravel()[starts] >= 0
    starts, lengths = starts[real], lengths[real]
    run_row = starts // width
    count = np.zeros(w, dtype=np.int64)
    np.maximum.at(count, run_row, lengths)
    amo_pct = 100.0 * count / nn
    half = nn // 2
    odd = (nn % 2) == 1
    mid = np.where(odd, rows[r, half], (rows[r, np.maximum(half - 1, 0)] + rows[r, half]) / 2.0)
    mo_s = mid / 1000.0
    mxdmn_s = (_percentile_rows(rows, nn, 0.975) - _percentile_rows(rows, nn, 0.025)) / 1000.0
    good = ok & (mxdmn_s > 0) & (mo_s > 0)
    out[good] = np.sqrt(amo_pct[good] / (2.0 * mo_s[good] * mxdmn_s[good]))
    return out


def compute_markers_batch(
    rr_ms: FloatArray,
    t_s: FloatArray,
    breaks: npt.NDArray[np.bool_],
    offsets: IntArray,
    *,
    frequency: bool = True,
    stress: bool = True,
) -> list[Markers]:
    """Markers of many windows at once: window ``k`` is ``[offsets[k], offsets[k + 1])`` of
    the flat NN arrays (see :func:`compute_markers`). The time domain, the stress index and
    the band powers (:mod:`kindbreak.signal.spectrum`) are each computed for all windows in
    a few array operations; every window's numbers depend on its own intervals only."""
    lo, hi = np.asarray(offsets[:-1]), np.asarray(offsets[1:])
    columns = marker_columns(rr_ms, t_s, breaks, lo, hi, frequency=frequency, stress=stress)
    rows = zip(*(columns[name].tolist() for name in MARKER_FIELDS), strict=True)
    return [Markers(*row) for row in rows]


MARKER_FIELDS = tuple(f.name for f in fields(Markers))


def marker_columns(
    rr_ms: FloatArray,
    t_s: FloatArray,
    breaks: npt.NDArray[np.bool_],
    lo: IntArray,
    hi: IntArray,
    *,
    frequency: bool = True,
    stress: bool = True,
    variability: bool = True,
    scratch: Scratch | None = None,
) -> dict[str, npt.NDArray[Any]]:
    """:func:`compute_markers_batch` as one array per field of :class:`Markers` (by name;
    ``n_beats`` as integers): what a batch of windows keeps without an object per window.
    Window ``k`` is ``[lo[k], hi[k])`` of the arrays; windows may overlap (a pool of
    intervals they share).
    ``variability`` False leaves out SDNN, pNN50, SD1 and SD2 (nan, and so the PNS and SNS
    indexes), as ``frequency`` the band powers and ``stress`` the stress index: mean RR and
    HR and RMSSD are always there. ``scratch``: working arrays kept from one batch to the
    next."""
    scratch = scratch or Scratch()
    rr = np.asarray(rr_ms, dtype=np.float64)
    t = np.asarray(t_s, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    n = hi - lo
    w = n.size
    nn = np.maximum(n, 1)
    total = _sums(rr, lo, hi, scratch)
    mean_rr = total / nn
    nan_w = np.full(w, math.nan)
    d, d_lo, d_hi = _difference_ranges(rr, breaks, lo, hi, scratch)
    n_d = d_hi - d_lo
    has_d = n_d > 0
    nd1 = np.maximum(n_d, 1)
    square = np.multiply(d, d, out=scratch.array("td_square", d.shape))
    rmssd = np.where(has_d, np.sqrt(_sums(square, d_lo, d_hi, scratch) / nd1), math.nan)
    if variability:
        sdnn = _sdnn_ranges(rr, lo, n, mean_rr, scratch)
        pnn50, sd1 = _difference_spreads(d, d_lo, d_hi, scratch)
    else:
        sdnn = pnn50 = sd1 = nan_w
    sd2_sq = 2.0 * sdnn**2 - sd1**2
    sd2 = np.where(sd2_sq > 0, np.sqrt(np.where(sd2_sq > 0, sd2_sq, 1.0)), math.nan)
    si = _stress_indexes(rr, lo, hi, scratch) if stress else np.full(w, math.nan)
    bands = band_powers_ranges(rr, t, lo, hi, scratch) if frequency else np.full((w, 3), math.nan)
    vlf, lf, hf = bands[:, 0], bands[:, 1], bands[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        lf_hf = np.where(hf > 0, lf / np.where(hf > 0, hf, 1.0), math.nan)
        hr = 60000.0 / mean_rr
    columns: dict[str, npt.NDArray[Any]] = {
        "n_beats": n,
        "duration_s": total / 1000.0,
        "mean_rr_ms": mean_rr,
        "mean_hr_bpm": hr,
        "sdnn_ms": sdnn,
        "rmssd_ms": rmssd,
        "pnn50_pct": pnn50,
        "sd1_ms": sd1,
        "sd2_ms": sd2,
        "vlf_ms2": vlf,
        "lf_ms2": lf,
        "hf_ms2": hf,
        "lf_hf": lf_hf,
        "stress_index": si,
        "pns_index": pns_index(mean_rr, rmssd, sd1),
        "sns_index": sns_index(hr, si, sd2),
    }
    _blank_short_windows(columns, n)
    return columns


def _difference_ranges(
    rr: FloatArray, breaks: npt.NDArray[np.bool_], lo: IntArray, hi: IntArray, scratch: Scratch
) -> tuple[FloatArray, IntArray, IntArray]:
    """The pool's successive differences (difference p is rr[p + 1] - rr[p]), none across a
    gap, and each window's range ``[d_lo, d_hi)`` of them: a window's are those from lo to
    hi - 1, of the pool's kept ones a range too."""
    ok = np.logical_not(breaks[1:], out=scratch.array("td_ok", (max(rr.size - 1, 0),), np.bool_))
    kept = scratch.array("td_kept", (rr.size + 1,), np.int64)  # differences kept before p
    kept[0] = 0
    np.cumsum(ok, out=kept[1 : ok.size + 1])
    kept[ok.size + 1 :] = kept[ok.size]
    every = np.subtract(rr[1:], rr[:-1], out=scratch.array("td_every", ok.shape))
    d = np.compress(ok, every, out=scratch.array("td_d", (int(kept[ok.size]),)))
    d_lo = kept[lo]
    d_hi = np.maximum(kept[np.maximum(hi - 1, lo)], d_lo)
    return d, d_lo, d_hi


def _sdnn_ranges(
    rr: FloatArray, lo: IntArray, n: IntArray, mean_rr: FloatArray, scratch: Scratch
) -> FloatArray:
    """SDNN of each window ``[lo, lo + n)``: the deviations from its own mean, the windows'
    values one after the other."""
    at = np.concatenate(([0], np.cumsum(n)))
    mine = scratch.array("td_mine", (int(at[-1]),))
    np.take(rr, scratch.ranges("td_idx", lo, n), out=mine, mode="clip")
    mine -= np.repeat(mean_rr, n)
    mine *= mine
    sdnn: FloatArray = np.sqrt(_sums(mine, at[:-1], at[1:], scratch) / np.maximum(n - 1, 1))
    return sdnn


def _difference_spreads(
    d: FloatArray, d_lo: IntArray, d_hi: IntArray, scratch: Scratch
) -> tuple[FloatArray, FloatArray]:
    """pNN50 and SD1 of each window's successive differences ``d[d_lo:d_hi]`` (the squares
    of RMSSD, ``td_square``, no longer needed: their memory takes the absolute values)."""
    n_d = d_hi - d_lo
    has_d = n_d > 0
    nd1 = np.maximum(n_d, 1)
    above = scratch.array("td_above", (d.size + 1,), np.int64)
    above[0] = 0
    big_d = np.greater(
        np.abs(d, out=scratch.array("td_square", d.shape)),
        50.0,
        out=scratch.array("td_big", d.shape, np.bool_),
    )
    np.cumsum(big_d, out=above[1:])
    big = above[d_hi] - above[d_lo]
    pnn50 = np.where(has_d, 100.0 * big / nd1, math.nan)
    d_mean = _sums(d, d_lo, d_hi, scratch) / nd1
    d_at = np.concatenate(([0], np.cumsum(n_d)))
    d_dev = scratch.array("td_ddev", (int(d_at[-1]),))
    np.take(d, scratch.ranges("td_didx", d_lo, n_d), out=d_dev, mode="clip")
    d_dev -= np.repeat(d_mean, n_d)
    d_dev *= d_dev
    d_var = _sums(d_dev, d_at[:-1], d_at[1:], scratch) / np.maximum(n_d - 1, 1)
    sd1 = np.where(n_d > 1, np.sqrt(0.5) * np.sqrt(d_var), math.nan)
    return pnn50, sd1


def _blank_short_windows(columns: dict[str, npt.NDArray[Any]], n: IntArray) -> None:
    """Windows of fewer than two intervals: the mean (and its heart rate) of one, nothing
    else."""
    short = n < 2
    if short.any():
        for name in MARKER_FIELDS[4:]:
            columns[name] = np.where(short, math.nan, columns[name])
        columns["duration_s"] = np.where(short, 0.0, columns["duration_s"])
        for name in ("mean_rr_ms", "mean_hr_bpm"):
            columns[name] = np.where(n == 0, math.nan, columns[name])


def neurokit_markers(
    rr_ms: FloatArray | list[float], t_s: FloatArray | list[float] | None = None
) -> Markers:
    """The time-domain markers through NeuroKit2 (``nk.hrv_time``), as the reference.

    NeuroKit2 divides pNN50 by N rather than N - 1; this converts it to the Kubios definition.
    The frequency-domain and stress-index fields come from :func:`compute_markers` (NeuroKit2's
    Welch defaults differ from Kubios; see ``docs/markers.md``).
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import neurokit2 as nk

        rr = np.asarray(rr_ms, dtype=np.float64)
        t = np.cumsum(rr) / 1000.0 if t_s is None else np.asarray(t_s, dtype=np.float64)
        res = nk.hrv_time({"RRI": rr, "RRI_Time": t})
    ours = compute_markers(rr, t)
    n = rr.size
    mean_rr = float(res["HRV_MeanNN"].iloc[0])
    return Markers(
        n_beats=n,
        duration_s=ours.duration_s,
        mean_rr_ms=mean_rr,
        mean_hr_bpm=60000.0 / mean_rr,
        sdnn_ms=float(res["HRV_SDNN"].iloc[0]),
        rmssd_ms=float(res["HRV_RMSSD"].iloc[0]),
        pnn50_pct=float(res["HRV_pNN50"].iloc[0]) * n / (n - 1),
        sd1_ms=ours.sd1_ms,
        sd2_ms=ours.sd2_ms,
        vlf_ms2=ours.vlf_ms2,
        lf_ms2=ours.lf_ms2,
        hf_ms2=ours.hf_ms2,
        lf_hf=ours.lf_hf,
        stress_index=ours.stress_index,
        pns_index=ours.pns_index,
        sns_index=ours.sns_index,
    )
