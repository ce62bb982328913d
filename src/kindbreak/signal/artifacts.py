"""RR cleaning: impossible intervals and artifact beats. Pure.

Three tools, each reporting what it did so a window can say how trustworthy it is:

1. :func:`is_physiological` — intervals outside 273-2000 ms (220 to 30 bpm) cannot be a
   heartbeat; they are dropped as they arrive and the next beat starts a new segment.
2. :func:`classify_beats` — the decision rules of Lipponen & Tarvainen 2019 (J Med Eng Technol
   43(3):173-181, the method behind Kubios' "automatic" correction), written here in numpy:
   successive differences dRR and the deviation from an 11-beat median mRR are normalised by a
   time-varying threshold (``ALPHA`` times the quartile deviation over 91 beats); a dRR spike
   whose neighbours go the other way is an **ectopic** beat, a long/short pattern is a
   **missed** beat when the interval halves to the local median, an **extra** beat when it and
   the next one sum to it, and otherwise a **misaligned** (long/short) beat.
3. :func:`correct_rr` — applies the correction ("auto") or leaves the series alone ("none",
   Kubios' other choice): an ectopic beat is moved back to the middle of its two intervals
   (their sum, the time line, is kept), a missed beat is put back by splitting the long
   interval, an extra beat is removed by merging its two short intervals, and a misaligned
   interval is replaced by the local median. Segments separated by a gap are cleaned apart.

"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MIN_RR_MS = 273.0
MAX_RR_MS = 2000.0

#: Lipponen & Tarvainen 2019 constants: threshold multiplier, the ectopic decision line
#: (S12 against -c1 * S11 -/+ c2), the running-statistics span and the median span.
ALPHA = 5.2
C1 = 0.13
C2 = 0.17
QD_SPAN_BEATS = 91
MEDIAN_SPAN_BEATS = 11
#: Floor for the two thresholds (ms). With very regular or coarsely quantised RR (wrist PPG at
#: 1/64 s) the quartile deviation can be ~0 and every tiny step would look like an artifact.
MIN_THRESHOLD_MS = 20.0


def is_physiological(rr_ms: float) -> bool:
    return MIN_RR_MS <= rr_ms <= MAX_RR_MS


class Correction(StrEnum):
    """What to do with detected artifacts (Kubios offers the same choice)."""

    NONE = "none"
    AUTO = "auto"


class BeatKind(IntEnum):
    NORMAL = 0
    ECTOPIC = 1
    MISSED = 2
    EXTRA = 3
    MISALIGNED = 4


#: Beats on either side that a beat's classification depends on: the thresholds span
#: QD_SPAN_BEATS // 2 = 45 beats of successive differences (46 intervals), the median-based
#: threshold 45 medians of 11 beats (50 intervals). A beat with at least this many beats after
#: it in its segment has its final class; the class of a later beat can still change.
REACH_BEATS = QD_SPAN_BEATS // 2 + MEDIAN_SPAN_BEATS // 2


def _pad_rows(x: npt.NDArray[Any], half: int) -> npt.NDArray[Any]:
    """Each row padded by ``half`` on both sides: reflected when the row is longer than
    ``half`` (numpy's ``reflect``), otherwise repeating the edge value (``edge``)."""
    n = x.shape[-1]
    if n > half:
        left = x[:, half:0:-1]
        right = x[:, n - 1 - half : n - 1][:, ::-1]
    else:
        left = np.repeat(x[:, :1], half, axis=1)
        right = np.repeat(x[:, -1:], half, axis=1)
    padded: npt.NDArray[Any] = np.concatenate((left, x, right), axis=1)
    return padded


def _running_median_rows(x: FloatArray, half: int) -> FloatArray:
    """Median of the ``2 half + 1`` values around each value of each row (edges padded)."""
    windows = np.lib.stride_tricks.sliding_window_view(_pad_rows(x, half), 2 * half + 1, axis=-1)
    med: FloatArray = np.partition(windows, half, axis=-1)[..., half]  # the middle one: exact
    return med


def running_median(x: FloatArray, half: int = MEDIAN_SPAN_BEATS // 2) -> FloatArray:
    """Median of the 2 half + 1 intervals around each one (the edges reflected)."""
    med: FloatArray = _running_median_rows(x[None, :], half)[0]
    return med


def _sorted_quantile(
    rows: npt.NDArray[Any], q: float
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], float]:
    """The two order statistics around quantile ``q`` of each sorted row and the weight of the
    upper one (numpy's default linear interpolation)."""
    width = rows.shape[-1]
    pos = (width - 1) * q
    lo = int(pos)
    hi = min(lo + 1, width - 1)
    return rows[..., lo], rows[..., hi], pos - lo


def _running_threshold_rows(x: FloatArray, first: int, stop: int) -> FloatArray:
    """ALPHA x the interquartile range of |x| over QD_SPAN_BEATS beats around each value of
    each row, for columns ``first`` to ``stop`` (floored at MIN_THRESHOLD_MS).

    The paper writes the threshold as ALPHA x "quartile deviation"; taken as (Q3 - Q1) / 2 it
    flags 14 real intervals of the clean Kubios sample (3.3 %), taken as Q3 - Q1 (as common
    implementations do) it flags 5 (1.2 %) and still finds every injected artifact in the
    tests, so the wider one is used.

    The windows are sorted as integer ranks (a SIMD sort, about twice as fast as sorting the
    floats); the order statistics are then looked up as the values they stand for.
    """
    n = x.shape[-1]
    half = min(QD_SPAN_BEATS // 2, max(n - 1, 1))
    mag = np.abs(x)
    order = np.argsort(mag, axis=None)  # ties in any order: equal values
    rank_type = np.uint16 if mag.size <= 1 << 16 else np.uint32
    ranks = np.empty(mag.size, dtype=rank_type)
    ranks[order] = np.arange(mag.size, dtype=rank_type)
    values = mag.ravel()[order]
    padded = _pad_rows(ranks.reshape(mag.shape), half)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=-1)
    srt = np.sort(windows[:, first:stop], axis=-1)
    q1a, q1b, f1 = _sorted_quantile(srt, 0.25)
    q3a, q3b, f3 = _sorted_quantile(srt, 0.75)
    q1 = values[q1a] * (1.0 - f1) + values[q1b] * f1
    q3 = values[q3a] * (1.0 - f3) + values[q3b] * f3
    th: FloatArray = np.maximum(ALPHA * (q3 - q1), MIN_THRESHOLD_MS)
    return th


def running_threshold(x: FloatArray, first: int, stop: int) -> FloatArray:
    """:func:`_running_threshold_rows` of one row (a segment, or the part of it that spans
    columns ``first`` to ``stop``)."""
    th: FloatArray = _running_threshold_rows(x[None, :], first, stop)[0]
    return th


def classify_rows(
    rr_ms: FloatArray, first: int = 0, stop: int | None = None
) -> npt.NDArray[np.int8]:
    """:func:`classify_beats` of each row of a 2-D array (rows of one length, each one
    continuous segment, or the part of one known so far), for columns ``first`` to ``stop``
    (the other columns are the context those depend on)."""
    rr = np.asarray(rr_ms, dtype=np.float64)
    rows, n = rr.shape
    stop = n if stop is None else min(stop, n)
    kinds = np.zeros((rows, max(stop - first, 0)), dtype=np.int8)
    if n < 5 or first >= stop:
        return kinds
    drr = np.diff(rr, axis=-1, prepend=rr[:, :1])
    # nd is needed from one column before ``first`` (s12) to two after ``stop`` (s22).
    lo, hi = max(first - 1, 0), min(stop + 2, n)
    nd = np.zeros((rows, n + 2))
    nd[:, lo:hi] = drr[:, lo:hi] / _running_threshold_rows(drr, lo, hi)
    med_all = _running_median_rows(rr, MEDIAN_SPAN_BEATS // 2)
    med = med_all[:, first:stop]
    mrr = rr - med_all
    mrr = np.where(mrr < 0, 2.0 * mrr, mrr)
    th2 = _running_threshold_rows(mrr, first, stop)
    nm = mrr[:, first:stop] / th2

    prev = (
        nd[:, first - 1 : stop - 1]
        if first > 0
        else np.concatenate((np.zeros((rows, 1)), nd[:, : stop - 1]), axis=1)
    )
    cur, nxt, nxt2 = nd[:, first:stop], nd[:, first + 1 : stop + 1], nd[:, first + 2 : stop + 2]
    rr_next = np.concatenate((rr[:, 1:], np.full((rows, 1), np.inf)), axis=1)[:, first:stop]
    return decide(prev, cur, nxt, nxt2, nm, rr[:, first:stop], rr_next, med, th2)


def decide(
    prev: FloatArray,
    cur: FloatArray,
    nxt: FloatArray,
    nxt2: FloatArray,
    nm: FloatArray,
    rr_cur: FloatArray,
    rr_next: FloatArray,
    med: FloatArray,
    th2: FloatArray,
) -> npt.NDArray[np.int8]:
    """Lipponen & Tarvainen's decision rules, given each beat's normalised dRR (``cur``, its
    neighbours ``prev``, ``nxt``, ``nxt2``), normalised deviation from the median (``nm``),
    interval, next interval, local median and median threshold."""
    kinds = np.zeros(cur.shape, dtype=np.int8)
    s12 = np.where(cur > 0, np.maximum(prev, nxt), np.minimum(prev, nxt))
    s22 = np.where(cur >= 0, np.minimum(nxt, nxt2), np.maximum(nxt, nxt2))
    ectopic = ((cur > 1) & (s12 < -C1 * cur - C2)) | ((cur < -1) & (s12 > -C1 * cur + C2))
    longshort = ~ectopic & (((cur > 1) & (s22 < -1)) | ((cur < -1) & (s22 > 1)) | (np.abs(nm) > 3))
    missed = longshort & (rr_cur > med) & (np.abs(rr_cur / 2.0 - med) < th2)
    extra = longshort & (rr_cur < med) & (np.abs(rr_cur + rr_next - med) < th2)
    kinds[longshort] = BeatKind.MISALIGNED
    kinds[missed] = BeatKind.MISSED
    kinds[extra] = BeatKind.EXTRA
    kinds[ectopic] = BeatKind.ECTOPIC
    return kinds


#: Intervals a segment must hold before its last REACH_BEATS are classified with held
#: thresholds (:func:`classify_tail_rows`); a shorter one is classified as it stands.
TAIL_ROW = 2 * REACH_BEATS + 1


def classify_tail_rows(rr_ms: FloatArray) -> npt.NDArray[np.int8]:
    """Provisional classes of the last REACH_BEATS intervals of segments that go on after them,
    one segment per row (its last TAIL_ROW intervals; the last column is the newest beat).

    A beat's class needs the thresholds of the 45 beats after it, which do not exist yet for
    the newest ones. Here each threshold is held at its last value computed from a full span
    of the segment: the dRR threshold at the 45th beat from the end, the median threshold at
    the 50th (the running median itself is taken as the segment stands, its end reflected).
    The same decision rules as :func:`classify_beats` then apply. Once 50 more beats have come,
    each of these beats gets its final class from the full spans instead.
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    rows, n = rr.shape
    assert n == TAIL_ROW
    r = REACH_BEATS
    half = QD_SPAN_BEATS // 2  # 45
    last_full = n - 1 - half  # the last column whose dRR span lies inside the row
    drr = np.diff(rr, axis=-1, prepend=rr[:, :1])
    # Exact dRR thresholds for columns r .. last_full (spans inside the row), held after.
    th1 = _running_threshold_rows(drr, r, last_full + 1)
    th1 = np.concatenate((th1, np.repeat(th1[:, -1:], n - 1 - last_full, axis=1)), axis=1)
    nd = np.zeros((rows, n + 2 - r))  # columns r .. n + 1 (two past the end: 0)
    nd[:, : n - r] = drr[:, r:] / th1
    med_all = _running_median_rows(rr, MEDIAN_SPAN_BEATS // 2)
    mrr = rr - med_all
    mrr = np.where(mrr < 0, 2.0 * mrr, mrr)
    # The median threshold at column r (its span, r +- 45, ends 5 before the newest beat,
    # where the running median needs no reflection), held for the tail.
    th2 = _running_threshold_rows(mrr, r, r + 1)
    sl = slice(r + 1, n)
    nm = mrr[:, sl] / th2
    prev, cur = nd[:, 0 : n - 1 - r], nd[:, 1 : n - r]
    nxt, nxt2 = nd[:, 2 : n + 1 - r], nd[:, 3 : n + 2 - r]
    rr_next = np.concatenate((rr[:, r + 2 :], np.full((rows, 1), np.inf)), axis=1)
    return decide(prev, cur, nxt, nxt2, nm, rr[:, sl], rr_next, med_all[:, sl], th2)


def classify_as_it_stands(rr_ms: FloatArray | list[float]) -> npt.NDArray[np.int8]:
    """Classes of a segment known up to its last beat, as a window closing there sees them:
    final classes (:func:`classify_beats`) for all but the last REACH_BEATS, held-threshold
    classes (:func:`classify_tail_rows`) for those when the segment is long enough, else
    the classes of the segment as if it ended there."""
    rr = np.asarray(rr_ms, dtype=np.float64)
    kinds = classify_beats(rr)
    if rr.size >= TAIL_ROW:
        kinds[-REACH_BEATS:] = classify_tail_rows(rr[None, -TAIL_ROW:])[0]
    return kinds


def classify_beats(rr_ms: FloatArray | list[float]) -> npt.NDArray[np.int8]:
    """One :class:`BeatKind` per interval of one continuous segment (no gaps inside)."""
    rr = np.asarray(rr_ms, dtype=np.float64)
    kinds: npt.NDArray[np.int8] = classify_rows(rr[None, :])[0]
    return kinds


@dataclass(frozen=True, slots=True)
class Applied:
    """The corrected intervals of a run of beats, which input beat each came from, and which
    input beats were artifacts (corrected with "auto", only counted with "none")."""

    rr_ms: FloatArray
    t_s: FloatArray
    source: npt.NDArray[np.int64]
    corrected: BoolArray


def apply_corrections(
    rr: FloatArray,
    t: FloatArray,
    kinds: npt.NDArray[np.int8],
    med: FloatArray | Callable[[], FloatArray],
    *,
    fix: bool,
    n_segment: int | None = None,
) -> Applied:
    """Apply the corrections to a run of beats of one segment that starts the segment or
    follows two normal beats (so nothing before it changes its outcome).

    ``kinds`` and ``med`` (the running median, or a function that computes it: it is only
    needed for some artifacts) are those of the segment as far as it is known;
    ``n_segment`` is its known length from the run's first beat (default: the run's length),
    which decides whether an extra beat at the end has a next interval to merge with. Only the
    artifacts are visited in Python: a run without any is returned as it is.
    """
    n = rr.size
    n_seg = n if n_segment is None else n_segment
    flagged = np.flatnonzero(kinds)
    if not fix or flagged.size == 0:
        return Applied(rr, t, np.arange(n, dtype=np.int64), kinds > 0)
    corrected = np.zeros(n, dtype=bool)
    out = _Corrected()
    medians: list[FloatArray] = []

    def median(f: int) -> float:
        if not medians:
            medians.append(med() if callable(med) else med)
        return float(medians[0][f])

    i = 0
    for f in flagged.tolist():
        if f < i:
            continue  # merged into an extra beat's interval
        if f > i:
            out.copy(rr, t, i, f)  # a run of normal beats (the next beat may move its last one)
        k = int(kinds[f])
        corrected[f] = True
        if k == BeatKind.ECTOPIC and f > 0 and (out.rr or out.chunks):
            out.move_last_beat(float(rr[f]), float(t[f]), f)
        elif k == BeatKind.MISSED:
            out.split(float(rr[f]), float(t[f]), f, max(2, round(float(rr[f]) / median(f))))
        elif k == BeatKind.EXTRA and f + 1 < n_seg:
            # Beat f was not a heartbeat: its two intervals are one.
            out.add(float(rr[f] + rr[f + 1]), float(t[f + 1]), f + 1)
            i = f + 2
            continue
        elif k == BeatKind.MISALIGNED and f + 1 < n and kinds[f + 1] == BeatKind.ECTOPIC:
            # The first half of an ectopic pair: the next step moves the beat between them.
            out.add(float(rr[f]), float(t[f]), f)
        else:  # misaligned, or an ectopic or extra beat at an end: the local median
            out.add(median(f), float(t[f]), f)
        i = f + 1
    if i < n:
        out.copy(rr, t, i, n)
    return out.applied(corrected)


class _Corrected:
    """The output of :func:`apply_corrections` as it is built: runs of beats copied as they
    are (``chunks`` of arrays) and, between them, corrected intervals (lists: ``rr`` in ms,
    ``t`` in s, ``src`` the input beat each came from)."""

    __slots__ = ("chunks", "rr", "src", "t")

    def __init__(self) -> None:
        self.chunks: list[tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]] = []
        self.rr: list[float] = []
        self.t: list[float] = []
        self.src: list[int] = []

    def add(self, rr_ms: float, t_s: float, src: int) -> None:
        self.rr.append(rr_ms)
        self.t.append(t_s)
        self.src.append(src)

    def flush(self) -> None:
        if self.rr:
            self.chunks.append(
                (np.array(self.rr), np.array(self.t), np.array(self.src, dtype=np.int64))
            )
            self.rr.clear()
            self.t.clear()
            self.src.clear()

    def copy(self, rr: FloatArray, t: FloatArray, i: int, f: int) -> None:
        """Beats ``i`` to ``f`` (exclusive) as they are."""
        self.flush()
        self.chunks.append((rr[i:f], t[i:f], np.arange(i, f, dtype=np.int64)))

    def move_last_beat(self, rr_ms: float, t_s: float, f: int) -> None:
        """Beat ``f`` (interval ``rr_ms``, at ``t_s``) came early (or late): the beat before
        it, between the last interval and this one, moves to the middle."""
        if not self.rr:  # the last beat of the run before: take it out of the run
            last_rr, last_t, last_src = self.chunks.pop()
            if last_rr.size > 1:
                self.chunks.append((last_rr[:-1], last_t[:-1], last_src[:-1]))
            self.add(float(last_rr[-1]), float(last_t[-1]), int(last_src[-1]))
        pair = self.rr[-1] + rr_ms
        self.rr[-1] = pair / 2.0
        self.t[-1] = t_s - pair / 2000.0
        self.add(pair / 2.0, t_s, f)

    def split(self, rr_ms: float, t_s: float, f: int, parts: int) -> None:
        """Beat ``f`` (interval ``rr_ms``, at ``t_s``) missed ``parts - 1`` beats: ``parts``
        equal intervals."""
        piece = rr_ms / parts
        for j in range(parts):
            self.add(piece, t_s - (parts - 1 - j) * piece / 1000.0, f)

    def applied(self, corrected: BoolArray) -> Applied:
        self.flush()
        return Applied(
            np.concatenate([c[0] for c in self.chunks]),
            np.concatenate([c[1] for c in self.chunks]),
            np.concatenate([c[2] for c in self.chunks]),
            corrected,
        )


def keep_increasing(t_s: FloatArray, before_s: float = -math.inf) -> BoolArray:
    """Beats later than the one before: a moved beat can never pass its neighbour, and input
    times inconsistent with the intervals (a re-anchored chain) must not go back in time."""
    if t_s.size == 0:
        return np.ones(0, dtype=bool)
    keep: BoolArray = np.empty(t_s.size, dtype=bool)
    keep[0] = t_s[0] > before_s
    np.greater(t_s[1:], t_s[:-1], out=keep[1:])
    return keep


@dataclass(frozen=True, slots=True)
class Cleaned:
    """An NN series after correction, and what was done to get it."""

    rr_ms: FloatArray
    t_s: FloatArray
    breaks: BoolArray
    n_input: int
    ectopic: int
    missed: int
    extra: int
    misaligned: int

    @property
    def n_corrected(self) -> int:
        return self.ectopic + self.missed + self.extra + self.misaligned

    @property
    def corrected_share(self) -> float:
        """Share of the input intervals found to be artifacts (corrected, or only found)."""
        return self.n_corrected / self.n_input if self.n_input else 0.0


def correct_rr(
    rr_ms: FloatArray | list[float],
    t_s: FloatArray | list[float] | None = None,
    breaks: BoolArray | None = None,
    *,
    method: Correction = Correction.AUTO,
    ongoing: bool = False,
) -> Cleaned:
    """Detect (always) and correct (``method="auto"``) artifacts in an RR series.

    ``breaks[i]`` marks a gap before interval ``i``; each gap-free segment is classified and
    corrected on its own, and the output keeps the gaps as breaks. ``ongoing``: the series is
    a stream known up to its last beat, whose last segment goes on; its last beats are
    classified as a window closing there sees them (:func:`classify_as_it_stands`): what the
    pipeline's windows get (:mod:`kindbreak.signal.cleaner`).
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    t = np.cumsum(rr) / 1000.0 if t_s is None else np.asarray(t_s, dtype=np.float64)
    br = np.zeros(rr.size, dtype=bool) if breaks is None else np.asarray(breaks, dtype=bool)
    starts = np.flatnonzero(br)
    bounds = [0, *[int(s) for s in starts if s > 0], int(rr.size)]
    counts = np.zeros(len(BeatKind), dtype=np.int64)
    out_rr: list[FloatArray] = []
    out_t: list[FloatArray] = []
    out_b: list[BoolArray] = []
    for a, b in itertools.pairwise(bounds):
        if b <= a:
            continue
        last = b == rr.size
        kinds = classify_as_it_stands(rr[a:b]) if ongoing and last else classify_beats(rr[a:b])
        med = running_median(rr[a:b])
        done = apply_corrections(rr[a:b], t[a:b], kinds, med, fix=method is Correction.AUTO)
        counts += np.bincount(kinds[done.corrected], minlength=len(BeatKind))
        seg_b = np.zeros(done.rr_ms.size, dtype=bool)
        seg_b[:1] = br[a]
        out_rr.append(done.rr_ms)
        out_t.append(done.t_s)
        out_b.append(seg_b)
    cat_rr = np.concatenate(out_rr) if out_rr else np.zeros(0)
    t_out = np.concatenate(out_t) if out_t else np.zeros(0)
    b_out = np.concatenate(out_b) if out_b else np.zeros(0, dtype=bool)
    keep = keep_increasing(t_out)
    return Cleaned(
        rr_ms=cat_rr[keep],
        t_s=t_out[keep],
        breaks=b_out[keep],
        n_input=int(rr.size),
        ectopic=int(counts[BeatKind.ECTOPIC]),
        missed=int(counts[BeatKind.MISSED]),
        extra=int(counts[BeatKind.EXTRA]),
        misaligned=int(counts[BeatKind.MISALIGNED]),
    )
