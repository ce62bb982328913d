"""Artifact cleaning of a beat stream, each beat's work done once. Pure.

The pipeline hands :class:`StreamCleaner` the beats as they are placed (one at a time while
monitoring, thousands at a time when a file is analysed) and asks for the NN intervals of the
windows that close. A window ``(start_s, end_s]`` gets exactly what
``correct_rr(every beat up to end_s, ongoing=True)`` gives (each gap-free segment classified
and corrected on its own), restricted to the window: how the stream was cut into feeds, and
which windows close together, changes nothing.

Why that is cheap. A beat's Lipponen-Tarvainen class depends on the ``REACH_BEATS`` (50)
beats on either side of it in its segment. Once a beat has that many successors (or its
segment has ended) its class is final: it is computed once, in a batch with its neighbours.
The correction of final beats is settled once too, up to a point where two normal beats
follow each other (nothing before such a point changes what comes after it). A closing window
then only needs classes for its last ``REACH_BEATS`` beats, whose 91-beat spans are not complete
yet: the thresholds are held at their last value from a complete span
(:func:`~kindbreak.signal.artifacts.classify_tail_rows`, for all the windows of a batch at
once: seven sorted spans a window instead of a hundred), and the run is corrected from the
window's last settled point; a window whose last beats hold no artifact costs a few slices.

Memory stays bounded: :meth:`StreamCleaner.forget_before` drops what no later window needs.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kindbreak.signal.artifacts import (
    QD_SPAN_BEATS,
    REACH_BEATS,
    TAIL_ROW,
    BeatKind,
    Correction,
    apply_corrections,
    classify_rows,
    decide,
    running_median,
    running_threshold,
)
from kindbreak.signal.scratch import Scratch

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_MEDIAN_HALF = 5  # MEDIAN_SPAN_BEATS // 2: the running median reaches 5 beats either side
_QD_HALF = QD_SPAN_BEATS // 2  # the thresholds' quartiles reach 45 beats either side
#: Beats classified together (at the latest) when no window asks for them first.
_BATCH_BEATS = 4096


@dataclass(frozen=True, slots=True)
class CleanWindows:
    """The NN intervals of a batch of windows: window ``k`` is ``[lo[k], hi[k])`` of the
    arrays, a pool the windows share (their ranges overlap: consecutive windows hold mostly
    the same intervals). The arrays are the cleaner's working memory, valid until its next
    :meth:`StreamCleaner.windows`."""

    rr_ms: FloatArray
    t_s: FloatArray
    breaks: BoolArray
    lo: IntArray
    hi: IntArray
    #: Input beats in each window, how many of them were artifacts (corrected with "auto",
    #: only found with "none"), and the sum of their intervals (ms).
    n_input: IntArray
    n_corrected: IntArray
    input_ms: FloatArray

    def window(self, k: int) -> tuple[FloatArray, FloatArray, BoolArray]:
        a, b = int(self.lo[k]), int(self.hi[k])
        return self.rr_ms[a:b], self.t_s[a:b], self.breaks[a:b]


@dataclass(frozen=True, slots=True)
class _Runs:
    """Where each window of a batch stands in the stream (stream indices), what the steps of
    :meth:`StreamCleaner.windows` share: a window's intervals are the settled NN before its
    run, then the run of beats from ``settled`` to ``last``."""

    starts: FloatArray  # the window's start (s)
    first: IntArray  # its first beat
    last: IntArray  # its last beat
    has: BoolArray  # it holds a beat
    seg: IntArray  # the start of its last beat's segment
    settled: IntArray  # the settled point its run starts at (last + 1 without beats)


def _no_windows(w: int) -> CleanWindows:
    """``w`` windows of a stream without beats."""
    zero_i = np.zeros(w, dtype=np.int64)
    return CleanWindows(
        np.zeros(0),
        np.zeros(0),
        np.zeros(0, dtype=bool),
        zero_i,
        zero_i.copy(),
        zero_i.copy(),
        zero_i.copy(),
        np.zeros(w),
    )


class StreamCleaner:
    """Classifies and corrects a stream of beats incrementally (see the module docstring).

    ``keep_history`` keeps every settled NN interval (for a whole-recording summary);
    otherwise only what later windows can need is kept.
    """

    def __init__(self, method: Correction = Correction.AUTO, *, keep_history: bool = False):
        self.method = method
        self.keep_history = keep_history
        #: Settled counts over the whole stream: beats, artifacts found, artifacts corrected.
        self.n_beats = 0
        self.n_flagged = 0
        self.n_corrected = 0
        self._base = 0  # stream index of the buffer's first beat
        self._t = np.zeros(0)
        self._rr = np.zeros(0)
        self._gap = np.zeros(0, dtype=bool)
        self._kinds = np.zeros(0, dtype=np.int8)  # final below self._final
        # Each beat's running median, dRR threshold and median threshold (its segment's,
        # computed once its span is known): final below _med_to, _th1_to and _final.
        self._med = np.zeros(0)
        self._th1 = np.zeros(0)
        self._th2 = np.zeros(0)
        self._med_to = 0
        self._th1_to = 0
        self._corr = np.zeros(0, dtype=bool)  # settled below self._cut
        self._segments: list[int] = []  # stream indices where segments start
        self._final = 0
        self._cut = 0
        self._closed = True  # the last segment has ended (no beat yet, or finish())
        self._nn_rr = np.zeros(0)
        self._nn_t = np.zeros(0)
        self._nn_brk = np.zeros(0, dtype=bool)
        self._nn_src = np.zeros(0, dtype=np.int64)
        self._history: list[tuple[FloatArray, FloatArray, BoolArray]] = []
        self._pending: list[tuple[float, float, bool]] = []
        #: Working arrays of :meth:`windows`, kept from one call to the next.
        self._scratch = Scratch()

    @property
    def buffered(self) -> int:
        """Beats held (the window's and the context later beats need)."""
        return int(self._rr.size) + len(self._pending)

    # -- feeding -----------------------------------------------------------------------------

    def append(self, t_s: float, rr_ms: float, gap_before: bool) -> None:
        """Add one beat (cheap: the work waits until a window needs it)."""
        self._pending.append((t_s, rr_ms, gap_before))
        if len(self._pending) >= _BATCH_BEATS:
            self._flush()

    def extend(self, t_s: FloatArray, rr_ms: FloatArray, gap_before: BoolArray) -> None:
        """Add beats (times not decreasing, intervals physiological); ``gap_before`` starts a
        new segment."""
        self._flush()
        self._add(
            np.asarray(t_s, dtype=np.float64),
            np.asarray(rr_ms, dtype=np.float64),
            np.asarray(gap_before, dtype=bool),
        )

    def _flush(self) -> None:
        if self._pending:
            t, rr, gap = zip(*self._pending, strict=True)
            self._pending.clear()
            self._add(np.array(t), np.array(rr), np.array(gap, dtype=bool))

    def _add(self, t_s: FloatArray, rr_ms: FloatArray, gap: BoolArray) -> None:
        n = int(rr_ms.size)
        if n == 0:
            return
        starts_segment = gap.copy()
        starts_segment[0] |= self._closed  # the first beat (or the first after finish())
        start = self.n_beats
        self._t = np.concatenate((self._t, t_s))
        self._rr = np.concatenate((self._rr, rr_ms))
        self._gap = np.concatenate((self._gap, gap))
        self._kinds = np.concatenate((self._kinds, np.zeros(n, dtype=np.int8)))
        self._med = np.concatenate((self._med, np.zeros(n)))
        self._th1 = np.concatenate((self._th1, np.zeros(n)))
        self._th2 = np.concatenate((self._th2, np.zeros(n)))
        self._corr = np.concatenate((self._corr, np.zeros(n, dtype=bool)))
        self.n_beats += n
        self._closed = False
        for p in (start + np.flatnonzero(starts_segment)).tolist():
            if self._segments and p > self._segments[-1]:
                self._close_segment(p)
            if not self._segments or p > self._segments[-1]:
                self._segments.append(p)
        if self.n_beats - self._final >= _BATCH_BEATS + REACH_BEATS:
            self._advance()

    def finish(self) -> None:
        """The stream has ended: every beat's class and correction become final."""
        self._flush()
        if not self._closed and self._segments:
            self._close_segment(self.n_beats)
            self._closed = True

    def _close_segment(self, end: int) -> None:
        seg = self._segments[-1]
        self._classify_to(seg, end)
        self._settle(seg, end, end)

    def _advance(self) -> None:
        seg = self._segments[-1]
        self._classify_to(seg, None)
        if self._final - 1 <= self._cut:
            return
        b = self._base
        k = self._kinds[self._cut - b : self._final - b]
        clean = np.flatnonzero((k[1:] == 0) & (k[:-1] == 0))
        if clean.size:
            self._settle(seg, self._cut + 1 + int(clean[-1]), self.n_beats)

    def _classify_to(self, seg: int, end: int | None) -> None:
        """Each beat's statistics and final class, as far as the segment from ``seg`` allows:
        to its ``end`` when it has ended, else (it goes on) the running median up to 5 beats
        before the newest beat, the dRR threshold up to 45 before, the median threshold and
        the class up to 50 before. Every value is the one the whole segment gives
        (:func:`~kindbreak.signal.artifacts.classify_beats`); at most _BATCH_BEATS at once."""
        n = self.n_beats if end is None else end
        b = self._base
        rr = self._rr
        if end is not None and end - seg < 5:  # too short to judge: every beat is normal
            self._med_to = self._th1_to = self._final = max(self._final, end)
            return
        # Running medians: 5 beats either side (reflected at the segment's ends).
        a = max(self._med_to, seg)
        stop = n - _MEDIAN_HALF if end is None else end
        while a < stop:
            z = min(stop, a + _BATCH_BEATS)
            rs, re = max(seg, a - _MEDIAN_HALF), min(n, z + _MEDIAN_HALF)
            self._med[a - b : z - b] = running_median(rr[rs - b : re - b])[a - rs : z - rs]
            a = z
        self._med_to = max(self._med_to, stop)
        # dRR thresholds: 45 beats either side (one more before: that dRR needs its beat).
        a = max(self._th1_to, seg)
        stop = n - _QD_HALF if end is None else end
        while a < stop:
            z = min(stop, a + _BATCH_BEATS)
            rs, re = max(seg, a - _QD_HALF - 1), min(n, z + _QD_HALF)
            row = rr[rs - b : re - b]
            drr = np.diff(row, prepend=row[:1])  # the first is 0: the segment's, or unused
            self._th1[a - b : z - b] = running_threshold(drr, a - rs, z - rs)
            a = z
        self._th1_to = max(self._th1_to, stop)
        # Median thresholds and final classes: 50 beats after (45 medians of 5 more).
        a = max(self._final, seg)
        stop = n - REACH_BEATS if end is None else end
        while a < stop:
            z = min(stop, a + _BATCH_BEATS)
            rs, re = max(seg, a - _QD_HALF), min(n, z + _QD_HALF)
            mrr = rr[rs - b : re - b] - self._med[rs - b : re - b]
            mrr = np.where(mrr < 0, 2.0 * mrr, mrr)
            th2 = running_threshold(mrr, a - rs, z - rs)
            self._th2[a - b : z - b] = th2
            kinds = self._decide(seg, n, a, z, th2)
            self._kinds[a - b : z - b] = kinds
            self.n_flagged += int(np.count_nonzero(kinds))
            self._final = a = z

    def _normalised_drr(self, seg: int, n: int, a: int, z: int) -> FloatArray:
        """dRR / its threshold of beats ``a - 1`` to ``z + 1`` (0 outside the segment
        ``[seg, n)`` and at its first beat, as classify_beats has them)."""
        b = self._base
        lo, hi = max(a - 1, seg), min(z + 2, n)
        out = np.zeros(z - a + 3)
        if hi > lo:
            rr = self._rr[max(lo - 1, seg) - b : hi - b]
            drr = np.diff(rr) if lo > seg else np.diff(rr, prepend=rr[:1])
            out[lo - (a - 1) : hi - (a - 1)] = drr / self._th1[lo - b : hi - b]
        return out

    def _decide(self, seg: int, n: int, a: int, z: int, th2: FloatArray) -> npt.NDArray[np.int8]:
        """Final classes of beats ``a`` to ``z`` from their statistics."""
        b = self._base
        nd = self._normalised_drr(seg, n, a, z)
        rr = self._rr[a - b : z - b]
        med = self._med[a - b : z - b]
        mrr = rr - med
        mrr = np.where(mrr < 0, 2.0 * mrr, mrr)
        rr_next = np.full(z - a, np.inf)
        upto = min(z + 1, n)
        rr_next[: upto - a - 1] = self._rr[a + 1 - b : upto - b]
        w = z - a
        return decide(
            nd[0:w], nd[1 : w + 1], nd[2 : w + 2], nd[3 : w + 3], mrr / th2, rr, rr_next, med, th2
        )

    def _settle(self, seg: int, stop: int, avail: int) -> None:
        """Settle the correction of beats ``self._cut`` to ``stop`` (final classes; ``stop``
        ends the segment or starts two normal beats)."""
        c = self._cut
        if stop <= c:
            return
        b = self._base
        rr, t = self._rr[c - b : stop - b], self._t[c - b : stop - b]
        kinds = self._kinds[c - b : stop - b]
        out_rr, out_t, src, corrected = self._correct(rr, t, kinds, c, seg, min(avail, stop + 6))
        brk = self._run_breaks(c, seg, out_rr.size)
        self._nn_rr = np.concatenate((self._nn_rr, out_rr))
        self._nn_t = np.concatenate((self._nn_t, out_t))
        self._nn_brk = np.concatenate((self._nn_brk, brk))
        self._nn_src = np.concatenate((self._nn_src, c + src))
        self._corr[c - b : stop - b] = corrected
        self.n_corrected += int(np.count_nonzero(corrected))
        if self.keep_history:
            self._history.append((out_rr, out_t, brk))
        self._cut = stop

    def _correct(
        self,
        rr: FloatArray,
        t: FloatArray,
        kinds: npt.NDArray[np.int8],
        c: int,
        seg: int,
        med_stop: int,
    ) -> tuple[FloatArray, FloatArray, IntArray, BoolArray]:
        """Correct the run of beats from ``c`` (a settled point) with classes ``kinds``; the
        running median, only needed where there is an artifact, of the segment from ``seg``
        as it stands at ``med_stop``: the stream's own medians, but for the beats within 5 of
        ``med_stop``, whose medians are reflected there."""
        n = rr.size
        if self.method is Correction.NONE or not kinds.any():
            return rr, t, np.arange(n, dtype=np.int64), kinds > 0
        b = self._base

        def med() -> FloatArray:
            out = self._med[c - b : c + n - b].copy()
            k0 = max(c, med_stop - _MEDIAN_HALF)
            if k0 < c + n:
                r0 = max(seg, med_stop - 2 * _MEDIAN_HALF - 1)
                end = running_median(self._rr[r0 - b : med_stop - b])
                out[k0 - c :] = end[k0 - r0 : c + n - r0]
            return out

        done = apply_corrections(rr, t, kinds, med, fix=True)
        return done.rr_ms, done.t_s, done.source, done.corrected

    # -- windows -----------------------------------------------------------------------------

    def windows(self, start_s: FloatArray, end_s: FloatArray) -> CleanWindows:
        """The cleaned windows ``(start_s[k], end_s[k]]`` (see the module docstring)."""
        self._flush()
        if self._segments and not self._closed:
            self._advance()
        starts = np.asarray(start_s, dtype=np.float64)
        ends = np.asarray(end_s, dtype=np.float64)
        if not self._segments:
            return _no_windows(ends.size)
        b = self._base
        last = np.searchsorted(self._t, ends, side="right") - 1 + b  # stream index
        first = np.searchsorted(self._t, starts, side="right") + b
        n_input = np.maximum(last - first + 1, 0)
        has = n_input > 0
        seg_arr = np.asarray(self._segments, dtype=np.int64)
        seg = seg_arr[np.maximum(np.searchsorted(seg_arr, last, side="right") - 1, 0)]
        frontier = last - REACH_BEATS  # classes final (as the segment stands) up to here
        settled = self._settled_points(has, last, seg, seg_arr, frontier)
        runs = _Runs(starts, first, last, has, seg, settled)
        sc = self._scratch
        corr_count = sc.array("corr_count", (self._corr.size + 1,), np.int64)
        corr_count[0] = 0
        np.cumsum(self._corr, out=corr_count[1:])
        same, own, run_corr = self._correct_runs(runs, seg_arr, frontier, corr_count)
        pool = self._pool(runs, same, own, corr_count)
        n_corr = corr_count[np.maximum(settled, first) - b] - corr_count[first - b]
        n_corr = np.where(has, n_corr, 0) + run_corr
        return CleanWindows(
            rr_ms=pool[0],
            t_s=pool[1],
            breaks=pool[2],
            lo=pool[3],
            hi=pool[4],
            n_input=n_input.astype(np.int64),
            n_corrected=n_corr.astype(np.int64),
            input_ms=self._input_ms(runs),
        )

    def _settled_points(
        self, has: BoolArray, last: IntArray, seg: IntArray, seg_arr: IntArray, frontier: IntArray
    ) -> IntArray:
        """Where each window's run starts: the last settled point at or before min(cut,
        ``frontier``), a segment start or a beat that follows a normal beat and is normal
        itself, never before the segment of the window's last beat (``seg``); ``last + 1``
        for a window without beats."""
        b = self._base
        final = self._final
        sc = self._scratch
        kb = self._kinds[: final - b]
        clean = sc.array("clean", (final - b + 1,), np.bool_)
        clean[0] = False
        clean[final - b :] = False
        np.logical_and(kb[1:] == 0, kb[:-1] == 0, out=clean[1 : final - b])
        starts_in = seg_arr[(seg_arr >= b) & (seg_arr <= final)] - b
        clean[starts_in] = True
        last_clean = sc.array("last_clean", (clean.size,), np.int64)
        last_clean[:] = np.arange(clean.size)
        np.copyto(last_clean, -1, where=~clean)
        np.maximum.accumulate(last_clean, out=last_clean)
        limit = np.minimum(np.minimum(self._cut, frontier), final) - b
        found = last_clean[np.clip(limit, 0, None)] + b
        settled = np.where(limit >= seg - b, found, seg)
        if bool(np.any(has & (settled < b))):  # forget_before keeps a settled point: a bug
            raise AssertionError("no settled point left in the buffer for a window")
        settled = np.maximum(settled, seg)
        out: IntArray = np.where(has, settled, last + 1)
        return out

    def _provisional_classes(
        self, runs: _Runs, full: BoolArray, prov_first: IntArray
    ) -> tuple[list[npt.NDArray[np.int8]], BoolArray]:
        """Provisional classes of each window's last beats (from ``prov_first``, after its
        frontier) and whether any of them is an artifact: the windows with a ``full`` tail
        row all at once (:meth:`_tail_classes`), the others from their segment's beats."""
        b = self._base
        w = runs.has.size
        prov: list[npt.NDArray[np.int8]] = [np.zeros(0, dtype=np.int8)] * w
        prov_any = np.zeros(w, dtype=bool)
        fk = np.flatnonzero(full)
        if fk.size:
            rows = self._tail_classes(runs.last[fk])
            prov_any[fk] = rows.any(axis=1)
            for j, k in enumerate(fk.tolist()):
                prov[k] = rows[j]
        for k in np.flatnonzero(runs.has & ~full).tolist():
            s, e = int(runs.seg[k]), int(runs.last[k]) + 1
            prov[k] = classify_rows(self._rr[None, s - b : e - b], int(prov_first[k]) - s)[0]
            prov_any[k] = prov[k].any()
        return prov, prov_any

    def _correct_runs(
        self, runs: _Runs, seg_arr: IntArray, frontier: IntArray, corr_count: IntArray
    ) -> tuple[BoolArray, dict[int, tuple[FloatArray, FloatArray, BoolArray]], IntArray]:
        """Each window's run, from its settled point to its last beat: ``same`` where the
        settled corrections of those beats are the window's, ``own`` the intervals of a run
        corrected its own way (none with Correction.NONE: the run is then its raw beats);
        and how many of the run's beats inside the window were corrected."""
        b = self._base
        first, last, has, seg, settled = runs.first, runs.last, runs.has, runs.seg, runs.settled
        prov_first = np.maximum(frontier + 1, seg)
        full = has & (last - TAIL_ROW + 1 >= seg)
        prov, prov_any = self._provisional_classes(runs, full, prov_first)
        # Runs from the settled point to the window's last beat: artifacts anywhere?
        flagged_final = self._scratch.array("flagged", (self._kinds.size + 1,), np.int64)
        flagged_final[0] = 0
        np.cumsum(self._kinds != 0, out=flagged_final[1:])
        fin_hi = np.maximum(np.minimum(frontier, last) + 1, settled)
        n_fin_flags = flagged_final[fin_hi - b] - flagged_final[settled - b]
        run_corr = np.zeros(has.size, dtype=np.int64)
        own: dict[int, tuple[FloatArray, FloatArray, BoolArray]] = {}
        # Only windows with an artifact in their run are visited: first, all at once, those
        # whose settled corrections are theirs (see _settled_run_is_the_same).
        visit = has & (prov_any | (n_fin_flags != 0))
        same = self._settled_runs_are_the_same(visit & full, settled, last, seg_arr, prov)
        if same.any():
            k_same = np.flatnonzero(same)
            p_s, e_s = settled[k_same], last[k_same] + 1
            from_in = np.maximum(first[k_same], p_s)
            run_corr[k_same] = corr_count[e_s - b] - corr_count[from_in - b]
        for k in np.flatnonzero(visit & ~same).tolist():
            p, e = int(settled[k]), int(last[k]) + 1
            kinds = np.concatenate(
                (self._kinds[p - b : int(fin_hi[k]) - b], prov[k][max(p - int(prov_first[k]), 0) :])
            )
            if self._settled_run_is_the_same(p, e, kinds):
                # The settled corrections of these beats are the window's: take them.
                lo_in = max(int(first[k]), p)
                run_corr[k] = int(corr_count[e - b] - corr_count[lo_in - b])
                same[k] = True
                continue
            out_rr, out_t, _src, corrected = self._correct(
                self._rr[p - b : e - b], self._t[p - b : e - b], kinds, p, int(seg[k]), e
            )
            lo_in = max(int(first[k]) - p, 0)
            run_corr[k] = int(np.count_nonzero(corrected[lo_in:]))
            if self.method is Correction.NONE:
                continue  # the intervals stay as they are: the raw beats
            own[k] = (out_rr, out_t, self._run_breaks(p, int(seg[k]), out_rr.size))
        if self.method is Correction.NONE:
            same[:] = False  # nothing was changed: the run is the raw beats
        return same, own, run_corr

    def _run_breaks(self, p: int, seg: int, n: int) -> BoolArray:
        """The break flags of ``n`` corrected intervals of a run from beat ``p``: the first
        one's is its beat's gap flag when the run starts the segment ``seg``."""
        brk = np.zeros(n, dtype=bool)
        if p == seg and n:
            brk[0] = self._gap[p - self._base]
        return brk

    def _input_ms(self, runs: _Runs) -> FloatArray:
        """The sum of each window's input intervals (ms; 0 without beats)."""
        b = self._base
        raw_sum = np.zeros(runs.has.size)
        hk = np.flatnonzero(runs.has)
        if hk.size:
            pairs = np.stack((runs.first[hk] - b, runs.last[hk] + 1 - b), axis=1).ravel()
            padded = self._scratch.array("padded_rr", (self._rr.size + 1,))
            padded[:-1] = self._rr
            padded[-1] = 0.0
            raw_sum[hk] = np.add.reduceat(padded, pairs)[0::2]
        return raw_sum

    def _pool(
        self,
        runs: _Runs,
        same: BoolArray,
        own: dict[int, tuple[FloatArray, FloatArray, BoolArray]],
        corr_count: IntArray,
    ) -> tuple[FloatArray, FloatArray, BoolArray, IntArray, IntArray]:
        """The windows' intervals as ranges ``[lo, hi)`` of one pool: the settled NN followed
        by the raw beats from the settled point on, where most windows are one range
        (:meth:`_shared_ranges`), and after them, copied, the windows that are not
        (:meth:`_copied_ranges`)."""
        b = self._base
        sc = self._scratch
        cut = self._cut
        n_nn = self._nn_rr.size
        # Settled NN intervals before each run, from the one before the window (the
        # increasing-time rule looks back one interval).
        nn_end = np.searchsorted(self._nn_src, runs.settled, side="left")
        nn_first = np.searchsorted(self._nn_src, runs.first, side="left")
        nn_start = np.maximum(np.minimum(nn_first, nn_end) - 1, 0)
        nn_start = np.where(runs.has, nn_start, nn_end)
        lo, hi, copied, pool_t = self._shared_ranges(runs, nn_start, same, own, corr_count)
        shared_n = pool_t.size
        copy_rr, copy_t, copy_brk = self._copied_ranges(
            runs, copied, nn_start, nn_end, same, own, lo, hi, shared_n
        )
        n_all = shared_n + copy_t.size
        all_rr = sc.array("pool_rr", (n_all,))
        all_t = sc.array("pool_t", (n_all,))
        all_brk = sc.array("pool_brk", (n_all,), np.bool_)
        all_rr[:n_nn] = self._nn_rr
        all_rr[n_nn:shared_n] = self._rr[cut - b :]
        all_t[:shared_n] = pool_t
        all_brk[:n_nn] = self._nn_brk
        all_brk[n_nn:shared_n] = self._gap[cut - b :]
        all_rr[shared_n:] = copy_rr
        all_t[shared_n:] = copy_t
        all_brk[shared_n:] = copy_brk
        return all_rr, all_t, all_brk, lo.astype(np.int64), hi.astype(np.int64)

    def _shared_ranges(
        self,
        runs: _Runs,
        nn_start: IntArray,
        same: BoolArray,
        own: dict[int, tuple[FloatArray, FloatArray, BoolArray]],
        corr_count: IntArray,
    ) -> tuple[IntArray, IntArray, BoolArray, FloatArray]:
        """The windows that are one range of the shared pool (the settled NN, then the raw
        beats from the cut on): their run's settled NN are its raw beats, or its settled
        corrections (``same``). Their ``[lo, hi)`` holds what the window's rules keep: times
        later than the one before (the first always) and after its start; the windows to copy
        instead (``copied``: their own run, beats the settled corrections changed, times that
        do not increase); the shared pool's times."""
        b = self._base
        sc = self._scratch
        cut = self._cut
        n_nn = self._nn_rr.size
        has, last, settled = runs.has, runs.last, runs.settled
        shared_n = n_nn + self.n_beats - cut
        # Runs of raw beats that the settled NN hold unchanged: no beat corrected from the
        # settled point up to the beat after the window's last (an ectopic one moves it).
        upto = np.minimum(last + 2, cut)
        unchanged = (self.method is Correction.NONE) | (
            corr_count[np.maximum(upto, settled) - b] - corr_count[settled - b] == 0
        )
        # The end of each run in the pool: the settled NN up to the last beat (or the cut),
        # then the raw beats after the cut.
        nn_upto = np.searchsorted(self._nn_src, np.minimum(last + 1, cut), side="left")
        end = np.where(last + 1 > cut, n_nn + (last + 1 - cut), nn_upto)
        shared = has & (same | unchanged)
        shared[list(own)] = False
        lo = np.where(shared, nn_start, 0)
        hi = np.where(shared, end, 0)
        pool_t = sc.array("pool_t_shared", (shared_n,))
        pool_t[:n_nn] = self._nn_t
        pool_t[n_nn:] = self._t[cut - b :]
        # Shared ranges whose times increase (the usual case) keep all but what lies before
        # the window's start, a prefix; the others are copied.
        later = sc.array("pool_inc", (max(shared_n - 1, 0),), np.bool_)
        np.greater(pool_t[1:], pool_t[:-1], out=later)
        flat = sc.array("pool_flat", (shared_n,), np.int64)  # steps not increasing before p
        flat[0] = 0
        np.cumsum(~later, out=flat[1:])
        sk = np.flatnonzero(shared & (hi > lo))
        monotone = flat[np.maximum(hi[sk] - 1, lo[sk])] == flat[lo[sk]]
        copy = np.zeros(has.size, dtype=bool)
        copy[sk[~monotone]] = True
        sk = sk[monotone]
        if sk.size:
            starts = runs.starts
            if int(flat[-1]) == 0:  # the whole shared pool increases: one search
                after = np.searchsorted(pool_t, starts[sk], side="right")
            else:
                after = np.array(
                    [
                        int(lo[k]) + int(np.searchsorted(pool_t[lo[k] : hi[k]], starts[k], "right"))
                        for k in sk.tolist()
                    ],
                    dtype=np.int64,
                )
            lo[sk] = np.clip(after, lo[sk], hi[sk])
        return lo, hi, has & (~shared | copy), pool_t

    def _copied_ranges(
        self,
        runs: _Runs,
        copied: BoolArray,
        nn_start: IntArray,
        nn_end: IntArray,
        same: BoolArray,
        own: dict[int, tuple[FloatArray, FloatArray, BoolArray]],
        lo: IntArray,
        hi: IntArray,
        at: int,
    ) -> tuple[FloatArray, FloatArray, BoolArray]:
        """The intervals of the ``copied`` windows one after the other, the first at ``at`` in
        the pool (their ranges written into ``lo`` and ``hi``): the settled NN before the run,
        then the run (its own corrections, its settled ones, or its raw beats), what the
        window's rules keep."""
        b = self._base
        settled, last, starts = runs.settled, runs.last, runs.starts
        pieces_rr: list[FloatArray] = []
        pieces_t: list[FloatArray] = []
        pieces_brk: list[BoolArray] = []
        for k in np.flatnonzero(copied).tolist():
            a, z = int(nn_start[k]), int(nn_end[k])
            parts = [(self._nn_rr[a:z], self._nn_t[a:z], self._nn_brk[a:z])]
            if k in own:
                parts.append(own[k])
            elif same[k]:
                lo_out = int(np.searchsorted(self._nn_src, int(settled[k]), side="left"))
                hi_out = int(np.searchsorted(self._nn_src, int(last[k]) + 1, side="left"))
                parts.append(
                    (
                        self._nn_rr[lo_out:hi_out],
                        self._nn_t[lo_out:hi_out],
                        self._nn_brk[lo_out:hi_out],
                    )
                )
            else:
                p, e = int(settled[k]) - b, int(last[k]) + 1 - b
                parts.append((self._rr[p:e], self._t[p:e], self._gap[p:e]))
            rr = np.concatenate([x[0] for x in parts])
            t = np.concatenate([x[1] for x in parts])
            brk = np.concatenate([x[2] for x in parts])
            keep = np.ones(t.size, dtype=bool)
            keep[1:] = t[1:] > t[:-1]
            keep &= t > starts[k]
            pieces_rr.append(rr[keep])
            pieces_t.append(t[keep])
            pieces_brk.append(brk[keep])
            lo[k] = at
            at += int(np.count_nonzero(keep))
            hi[k] = at
        if not pieces_rr:
            return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
        return np.concatenate(pieces_rr), np.concatenate(pieces_t), np.concatenate(pieces_brk)

    def _tail_classes(self, last: IntArray) -> npt.NDArray[np.int8]:
        """Provisional classes of the REACH_BEATS newest beats of segments that go on after
        beat ``last`` (one row per window; at least TAIL_ROW beats of the segment known up
        to it): :func:`~kindbreak.signal.artifacts.classify_tail_rows` of each window's last
        TAIL_ROW beats, from the statistics the stream already has. The dRR thresholds are
        the beats' own up to 45 before the end and held at that one after it, the median
        threshold is held at the one 50 before the end (both final, their spans complete);
        only the running medians of the last 5 beats, reflected at the end, are new."""
        b = self._base
        r, q = REACH_BEATS, _QD_HALF
        end = (last - b)[:, None]
        beats = end + np.arange(-r, 1)[None, :]  # the beat before the tail, then the tail
        th1 = np.take(self._th1, np.minimum(beats, end - q))
        rr = np.take(self._rr, beats)
        drr = rr - np.take(self._rr, beats - 1)
        nd = np.zeros((last.size, r + 3))
        np.divide(drr, th1, out=nd[:, : r + 1])
        # Medians: the stream's up to 5 beats before the end, then reflected at the end.
        med = np.take(self._med, beats[:, 1:])
        h = _MEDIAN_HALF
        span = np.arange(-h, h + 1)[None, :] + np.arange(-h + 1, 1)[:, None]  # 5 x 11
        at = end[:, :, None] + span[None, :, :]
        at = np.where(at > end[:, :, None], 2 * end[:, :, None] - at, at)
        around = np.take(self._rr, at)
        med[:, -h:] = np.partition(around, h, axis=-1)[..., h]
        th2 = np.take(self._th2, end - r)
        tail = rr[:, 1:]
        mrr = tail - med
        mrr = np.where(mrr < 0, 2.0 * mrr, mrr)
        rr_next = np.concatenate((tail[:, 1:], np.full((last.size, 1), np.inf)), axis=1)
        prev, cur, nxt, nxt2 = nd[:, 0:r], nd[:, 1 : r + 1], nd[:, 2 : r + 2], nd[:, 3 : r + 3]
        return decide(prev, cur, nxt, nxt2, mrr / th2, tail, rr_next, med, th2)

    def _settled_runs_are_the_same(
        self,
        which: BoolArray,
        settled: IntArray,
        last: IntArray,
        seg_arr: IntArray,
        prov: list[npt.NDArray[np.int8]],
    ) -> BoolArray:
        """:meth:`_settled_run_is_the_same` of the windows ``which`` (whose provisional tail
        is their last REACH_BEATS beats), all at once."""
        out = np.zeros(which.size, dtype=bool)
        e = last + 1
        k = np.flatnonzero(which & (e + 1 < self._cut) & (e - 6 >= settled))
        if k.size == 0:
            return out
        # No segment starts after the settled point, up to e.
        k = k[
            np.searchsorted(seg_arr, e[k], "right") == np.searchsorted(seg_arr, settled[k], "right")
        ]
        if k.size == 0:
            return out
        b = self._base
        final = np.take(
            self._kinds, (last[k] - b)[:, None] + np.arange(-REACH_BEATS + 1, 2)[None, :]
        )
        tails = np.stack([prov[j] for j in k.tolist()])
        same = (final[:, :-1] == tails).all(axis=1) & ~final[:, -7:].any(axis=1)
        out[k[same]] = True
        return out

    def _settled_run_is_the_same(self, p: int, e: int, kinds: npt.NDArray[np.int8]) -> bool:
        """Whether correcting beats ``p`` to ``e`` (exclusive) with ``kinds``, the stream cut
        after them, gives exactly the settled corrections of those beats: the settled ones
        reach past ``e`` with the same classes, and no artifact within 5 beats of the cut
        (an extra or misaligned beat at the end, a median reflected there) or right after
        it (an ectopic beat that would move the last one) depends on where the stream stops.
        When a file is analysed the stream is known well past most windows' ends."""
        b = self._base
        if e + 1 >= self._cut or e - 6 < p:
            return False
        if self._segments[bisect.bisect_right(self._segments, e) - 1] > p:
            return False  # a segment starts in between (or at e)
        final = self._kinds[p - b : e + 1 - b]
        if not np.array_equal(final[:-1], kinds):
            return False
        return not final[-7:].any()

    # -- memory ------------------------------------------------------------------------------

    def forget_before(self, t_s: float) -> None:
        """Drop what no window starting after ``t_s`` can need: the beats up to ``t_s``, kept
        back far enough for the classification and correction of every later beat."""
        self._flush()
        b = self._base
        keep_from = int(np.searchsorted(self._t, t_s, side="right")) + b
        # A later window with beats ends at or after ``keep_from``: its runs start at the
        # last settled point before min(cut, keep_from - REACH_BEATS) at the earliest.
        limit = min(self._cut, keep_from - REACH_BEATS, self._final) - b
        kb = self._kinds[: max(limit + 1, 0)]
        clean = np.flatnonzero((kb[1:] == 0) & (kb[:-1] == 0))
        anchor = b + 1 + int(clean[-1]) if clean.size else b
        seg = (
            self._segments[bisect.bisect_right(self._segments, limit + b) - 1]
            if self._segments
            else b
        )
        anchor = max(anchor, seg)
        lo = min(keep_from - 2 * REACH_BEATS, anchor - _MEDIAN_HALF - 1, self._final - REACH_BEATS)
        lo = min(lo, self._cut - _MEDIAN_HALF - 1)
        if lo <= b:
            return
        cut = lo - b
        self._t = self._t[cut:]
        self._rr = self._rr[cut:]
        self._gap = self._gap[cut:]
        self._kinds = self._kinds[cut:]
        self._med = self._med[cut:]
        self._th1 = self._th1[cut:]
        self._th2 = self._th2[cut:]
        self._corr = self._corr[cut:]
        self._base = lo
        i = bisect.bisect_right(self._segments, lo) - 1
        if i > 0:
            del self._segments[:i]
        j = max(int(np.searchsorted(self._nn_src, lo, side="left")) - 1, 0)
        if j:
            self._nn_rr = self._nn_rr[j:]
            self._nn_t = self._nn_t[j:]
            self._nn_brk = self._nn_brk[j:]
            self._nn_src = self._nn_src[j:]

    def history(self) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Every settled NN interval (with ``keep_history``), after the increasing-time rule:
        what :func:`~kindbreak.signal.artifacts.correct_rr` gives for the whole stream once
        :meth:`finish` has been called."""
        from kindbreak.signal.artifacts import keep_increasing

        if not self._history:
            return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
        rr = np.concatenate([h[0] for h in self._history])
        t = np.concatenate([h[1] for h in self._history])
        brk = np.concatenate([h[2] for h in self._history])
        keep = keep_increasing(t)
        return rr[keep], t[keep], brk[keep]


__all__ = ["BeatKind", "CleanWindows", "StreamCleaner"]
