"""The one pipeline every entry point runs: monitor, demo, analyze and import. Pure, synchronous.

``Pipeline.feed(item)`` takes one source item (a raw notification or a link-state event) and
returns what changed: beats placed, windows closed (with markers, quality, score), detector
events, and notes for the user. It holds only bounded state: the beats of the current window,
the stress stage (the recent calm state of the last 15 minutes, the detector), and the baseline
(given, or learned from the calibration stretch).

Time is the items' own ``t_s``: the pipeline never reads a clock, so replaying a recording
produces exactly the windows, scores and episodes live monitoring produced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from kindbreak.errors import MalformedMeasurement
from kindbreak.signal.artifacts import MAX_RR_MS, MIN_RR_MS, Correction, is_physiological
from kindbreak.signal.baseline import Baseline, CalmSample
from kindbreak.signal.beats import Beat, BeatPlacer
from kindbreak.signal.cleaner import CleanWindows, StreamCleaner
from kindbreak.signal.detector import DetectorEvent, DetectorParams
from kindbreak.signal.hrm import HeartRateMeasurement, parse_measurement
from kindbreak.signal.hrv import marker_columns
from kindbreak.signal.notes import Note, NoteKind
from kindbreak.signal.onset import OnsetParams
from kindbreak.signal.reference import ReferenceParams
from kindbreak.signal.score import ScoreParams
from kindbreak.signal.scratch import Scratch
from kindbreak.signal.stress import StressReading, StressTracker
from kindbreak.signal.windows import Quality, WindowColumns, WindowResult
from kindbreak.stream import LinkState, Notification, SourceItem, StateEvent


class Contact(StrEnum):
    OK = "ok"
    LOST = "lost"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Window analysis settings. Defaults were chosen on the Stress-Predict wrist data with
    leave-one-subject-out validation (``benchmarks/detection.py``) and hold for a chest strap.

    * ``calibration_s``: after the first full window, how long calm windows keep being added
      to a baseline learned in this session (0: the first good window alone, i.e. the first
      five minutes, as the naive rule does).
    * ``artifact_correction``: ``auto`` (Lipponen-Tarvainen) or ``none`` (as a Kubios report
      with correction "none").
    * quality: a window is poor (no score, no detector input) when more than
      ``max_artifact_share`` of its intervals were corrected, when its beats cover less than
      ``min_coverage`` of the window, when it has fewer than ``min_beats`` intervals, or when
      the last ``recent_hr_s`` hold fewer than ``min_recent_beats`` (contact lost).
    * heart rate alone: a window that is poor for the HRV markers (too little coverage, too few
      intervals) is still scored on its last minute's heart rate, without RMSSD, when that
      minute holds at least ``min_hr_beats`` beats, the window's artifact share is within
      ``max_artifact_share``, and at most ``max_jump_share`` of the minute's successive
      intervals change by more than 20 % (artifact correction adapts its thresholds to the
      data and misses dense artifacts in a short stretch of beats; a fixed 20 % change does
      not). ``None``: only good windows are scored. ``docs/stress-score.md``.
    * ``window_markers``: each window's markers beyond what the stress stage reads (mean RR
      and HR, RMSSD): SDNN, pNN50, SD1, SD2, the band powers (VLF, LF, HF, LF/HF), the
      stress index and the PNS and SNS indexes. Nothing of the score needs them; off (nan)
      where nothing reads them, as ``analyze``'s text output, which shows the whole
      recording's instead: that is most of the work of a window.
    * ``latest_hr_s``: the span of the "still up" check (``signal.onset``), which needs
      ``min_latest_beats`` beats in it.
    * ``reference``, ``score``, ``onset``, ``detector``: the stress stage
      (``signal.stress``; ``docs/stress-score.md``).
    """

    window_s: float = 300.0
    step_s: float = 30.0
    recent_hr_s: float = 60.0
    latest_hr_s: float = 30.0
    calibration_s: float = 0.0
    artifact_correction: Correction = Correction.AUTO
    max_artifact_share: float = 0.10
    min_coverage: float = 0.10
    min_beats: int = 30
    min_recent_beats: int = 10
    min_latest_beats: int = 5
    min_hr_beats: int | None = 20
    max_jump_share: float = 0.2
    close_delay_s: float = 2.0
    window_markers: bool = True
    reference: ReferenceParams = ReferenceParams()
    score: ScoreParams = ScoreParams()
    detector: DetectorParams = DetectorParams()
    onset: OnsetParams = OnsetParams()


FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_GOOD, _POOR = list(Quality).index(Quality.GOOD), list(Quality).index(Quality.POOR)

#: A successive interval that changes by more than this share is a jump (an ectopic beat or an
#: artifact; the fixed rule used since Kleiger et al. 1987 for Holter RR).
JUMP = 0.2


def jump_share(rr_ms: FloatArray, breaks: BoolArray) -> float:
    """The share of successive intervals (not across a gap) that change by more than
    ``JUMP``; NaN with none."""
    if rr_ms.size < 2:
        return math.nan
    ok = ~breaks[1:]
    if not ok.any():
        return math.nan
    d = np.abs(np.diff(rr_ms)) / rr_ms[:-1]
    return float(np.mean(d[ok] > JUMP))


def _first_after(t: FloatArray, lo: IntArray, hi: IntArray, x: FloatArray) -> IntArray:
    """For each range ``[lo[k], hi[k])`` of ``t`` (increasing in each range), the first index
    whose time is after ``x[k]`` (``hi[k]`` if none): a binary search of all ranges at
    once."""
    a, z = lo.copy(), hi.copy()
    last = max(t.size - 1, 0)
    while True:
        active = a < z
        if not active.any():
            return a
        m = (a + z) // 2
        right = active & (np.take(t, np.minimum(m, last), mode="clip") <= x)
        a = np.where(right, m + 1, a)
        z = np.where(active & ~right, m, z)


def is_hr_reliable(window: WindowResult, settings: PipelineSettings) -> bool:
    """Whether a window's last-minute heart rate can be scored: the window is good, or its
    last minute holds at least ``min_hr_beats`` beats, the window is not artifact-laden and
    the minute's intervals do not jump (a loose strap stays unscored)."""
    return bool(
        reliable_hr(
            window.quality is Quality.GOOD,
            window.recent_beats,
            window.artifact_share,
            window.recent_hr_bpm,
            window.recent_jump_share,
            settings,
        )
    )


def reliable_hr(
    good: Any,
    recent_beats: Any,
    artifact_share: Any,
    recent_hr_bpm: Any,
    recent_jump_share: Any,
    settings: PipelineSettings,
) -> Any:
    """:func:`is_hr_reliable` of windows given by their fields, numbers or arrays of them (the
    pipeline's batches)."""
    s = settings
    if s.min_hr_beats is None:
        return good
    return good | (
        (recent_beats >= s.min_hr_beats)
        & (artifact_share <= s.max_artifact_share)
        & np.isfinite(recent_hr_bpm)
        & (recent_jump_share <= s.max_jump_share)
    )


def read_window(
    tracker: StressTracker, window: WindowResult, baseline: Baseline | None
) -> tuple[StressReading | None, DetectorEvent | None]:
    """One closed window through the stress stage: its heart rate when it is reliable, its
    RMSSD only when the whole window is good. The pipeline calls this for every window (as
    :func:`read_fields`, its batches have no window objects); the detection benchmark calls it
    to score a recording's windows again with other parameters."""
    return read_fields(
        tracker,
        window.end_s,
        window.recent_hr_bpm,
        window.markers.rmssd_ms,
        window.latest_hr_bpm,
        good=window.quality is Quality.GOOD,
        hr_reliable=window.hr_reliable,
        baseline=None if window.calibrating else baseline,
    )


def read_fields(
    tracker: StressTracker,
    end_s: float,
    recent_hr_bpm: float,
    rmssd_ms: float,
    latest_hr_bpm: float,
    *,
    good: bool,
    hr_reliable: bool,
    baseline: Baseline | None,
) -> tuple[StressReading | None, DetectorEvent | None]:
    """:func:`read_window` of a window given by its fields (``baseline`` None while it is
    calibrating)."""
    return tracker.update(
        end_s,
        recent_hr_bpm,
        rmssd_ms if good else math.nan,
        latest_hr_bpm=latest_hr_bpm,
        good=hr_reliable,
        baseline=baseline,
    )


#: Windows computed together at most (memory stays bounded when a long file closes many).
WINDOW_BATCH = 128
#: Beats of a bulk feed handed to the cleaner at once.
FEED_SLICE = 16384


@dataclass(frozen=True, slots=True)
class BeatBlock:
    """Beats fed as arrays (:meth:`Pipeline.feed_beats`): the ones kept, in order."""

    t_s: FloatArray
    rr_ms: FloatArray
    gap_before: BoolArray

    def __len__(self) -> int:
        return int(self.t_s.size)

    def rows(self) -> list[tuple[float, float, bool]]:
        return list(
            zip(self.t_s.tolist(), self.rr_ms.tolist(), self.gap_before.tolist(), strict=True)
        )


@dataclass(slots=True)
class FeedResult:
    #: Beats placed by this call (notifications, :meth:`Pipeline.feed_beat`); a bulk feed
    #: (:meth:`Pipeline.feed_beats`) gives them as arrays in ``block`` instead.
    beats: list[Beat] = field(default_factory=list)
    block: BeatBlock | None = None
    measurement: HeartRateMeasurement | None = None
    #: Windows closed by this call (columns, read as a list of WindowResult).
    windows: Sequence[WindowResult] = ()
    events: list[DetectorEvent] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


class Pipeline:
    def __init__(
        self,
        settings: PipelineSettings | None = None,
        *,
        baseline: Baseline | None = None,
        keep_history: bool = False,
    ) -> None:
        self.settings = s = settings or PipelineSettings()
        self.baseline = baseline
        self.baseline_learned = False
        self.stress = StressTracker(s.score, s.reference, s.detector, s.onset)
        self._placer = BeatPlacer()
        self._cleaner = StreamCleaner(s.artifact_correction, keep_history=keep_history)
        #: Working arrays of the window batches, kept between them (``signal.scratch``).
        self._scratch = Scratch()
        self._last_beat_s: float | None = None
        self._t0: float | None = None
        self._next_end: float | None = None
        self._first_end = 0.0
        self._n_closed = 0
        self._calibration: list[CalmSample] = []
        self.contact = Contact.UNKNOWN
        self.hr_only = True
        self._warned_hr_only = False
        self.malformed = 0
        self.dropped_impossible = 0
        self.last_hr_bpm: int | None = None
        self._pending_gap_input = False

    # -- feeding -------------------------------------------------------------------------

    def feed(self, item: SourceItem) -> FeedResult:
        out = FeedResult()
        if self._t0 is None:
            self._t0 = item.t_s
            self._next_end = self._first_end = item.t_s + self.settings.window_s
        if isinstance(item, StateEvent):
            if item.state in (LinkState.RECONNECTING, LinkState.DISCONNECTED, LinkState.CONNECTING):
                self._placer.mark_gap()
        else:
            self._feed_notification(item, out)
        self._close_windows(item.t_s, out)
        return out

    def finish(self, t_s: float | None = None) -> FeedResult:
        """Close the windows a recording's end completes (used by analyze and replay)."""
        out = FeedResult()
        if self._t0 is not None:
            last = self._last_beat_s if self._last_beat_s is not None else self._t0
            self._close_windows(max(t_s or 0.0, last) + self.settings.close_delay_s, out)
        self._cleaner.finish()
        return out

    def _feed_notification(self, item: Notification, out: FeedResult) -> None:
        try:
            m = parse_measurement(item.payload)
        except MalformedMeasurement as exc:
            self.malformed += 1
            out.notes.append(
                Note(
                    NoteKind.MALFORMED_PACKET,
                    item.t_s,
                    f"skipped a malformed packet at {item.t_s:.1f} s",
                    str(exc),
                )
            )
            self._placer.mark_gap()
            return
        out.measurement = m
        if m.contact_lost:
            if self.contact is not Contact.LOST:
                out.notes.append(
                    Note(
                        NoteKind.CONTACT_LOST,
                        item.t_s,
                        "contact lost: beats are left out until the strap touches skin",
                    )
                )
            self.contact = Contact.LOST
            self._placer.mark_gap()
            return
        if self.contact is Contact.LOST:
            out.notes.append(Note(NoteKind.CONTACT_RESTORED, item.t_s, "contact restored"))
        self.contact = Contact.OK if m.sensor_contact is not False else Contact.LOST
        self.last_hr_bpm = m.hr_bpm
        if m.rr_ms:
            self.hr_only = False
        rr: list[float] = []
        for v in m.rr_ms:
            if is_physiological(v):
                rr.append(v)
                continue
            self.dropped_impossible += 1
            # A gap: the beats around it are no longer neighbours.
            if rr:
                out.beats.extend(self._placer.place(item.t_s, tuple(rr)))
                rr = []
            self._placer.mark_gap()
        if rr:
            out.beats.extend(self._placer.place(item.t_s, tuple(rr)))
        for b in out.beats:
            self._cleaner.append(b.t_s, b.rr_ms, b.gap_before)
        if out.beats:
            self._last_beat_s = out.beats[-1].t_s

    def feed_beat(self, t_s: float, rr_ms: float, *, gap_before: bool = False) -> FeedResult:
        """Feed one beat whose time is already known (RR text and CSV files, imports).

        Everything after beat placement is the notification path: the same cleaning,
        windows, score and detector.
        """
        out = FeedResult()
        if self._t0 is None:
            self._t0 = t_s - rr_ms / 1000.0
            self._next_end = self._first_end = self._t0 + self.settings.window_s
        self.hr_only = False
        if is_physiological(rr_ms):
            beat = Beat(t_s, rr_ms, gap_before or self._pending_gap_input)
            self._pending_gap_input = False
            out.beats.append(beat)
            self._cleaner.append(t_s, rr_ms, beat.gap_before)
            self._last_beat_s = t_s
        else:
            self.dropped_impossible += 1
            self._pending_gap_input = True
        self._close_windows(t_s, out)
        return out

    def feed_beats(
        self, t_s: FloatArray, rr_ms: FloatArray, gap_before: BoolArray | None = None
    ) -> FeedResult:
        """Feed many beats whose times are known (times not decreasing): exactly what
        :meth:`feed_beat` gives beat by beat (the same windows, scores and events), with
        each stage done on whole arrays. The kept beats come back in ``block``."""
        t = np.asarray(t_s, dtype=np.float64)
        rr = np.asarray(rr_ms, dtype=np.float64)
        n = int(rr.size)
        gap = np.zeros(n, dtype=bool) if gap_before is None else np.asarray(gap_before, bool)
        out = FeedResult()
        if n == 0:
            return out
        if self._t0 is None:
            self._t0 = float(t[0]) - float(rr[0]) / 1000.0
            self._next_end = self._first_end = self._t0 + self.settings.window_s
        self.hr_only = False
        ok = (rr >= MIN_RR_MS) & (rr <= MAX_RR_MS)
        kept = np.flatnonzero(ok)
        self.dropped_impossible += n - kept.size
        # A dropped interval leaves a gap before the next kept beat.
        dropped_before: npt.NDArray[np.int64] = np.cumsum(~ok) - ~ok  # dropped before each
        since = np.diff(dropped_before[kept], prepend=0) > 0
        if kept.size:
            since[0] = dropped_before[kept[0]] > 0 or self._pending_gap_input
            self._pending_gap_input = bool(kept[-1] < n - 1)
        else:
            self._pending_gap_input = True
        block = BeatBlock(t[kept], rr[kept], gap[kept] | since)
        out.block = block
        # In slices, closing the windows each completes: what the cleaner holds stays small.
        for lo in range(0, len(block), FEED_SLICE):
            hi = min(lo + FEED_SLICE, len(block))
            self._cleaner.extend(block.t_s[lo:hi], block.rr_ms[lo:hi], block.gap_before[lo:hi])
            self._last_beat_s = float(block.t_s[hi - 1])
            self._close_windows(self._last_beat_s, out)
        self._close_windows(float(t[-1]), out)
        return out

    def artifact_counts(self) -> tuple[int, int, int]:
        """Beats seen by the cleaner, artifacts found and artifacts corrected, over the
        stream so far (final once :meth:`finish` has run)."""
        c = self._cleaner
        return c.n_beats, c.n_flagged, c.n_corrected

    def nn_history(self) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Every NN interval of the stream after cleaning (``keep_history``; complete once
        :meth:`finish` has run): what ``correct_rr`` gives for all the beats at once."""
        return self._cleaner.history()

    # -- windows -------------------------------------------------------------------------

    def _close_windows(self, now_s: float, out: FeedResult) -> None:
        s = self.settings
        assert self._next_end is not None
        ends: list[float] = []
        while now_s >= self._next_end + s.close_delay_s:
            ends.append(self._next_end)
            # Computed from the first end, not by adding step_s again and again, so window
            # ends do not drift by rounding (511.8861 + 60 must be 571.8861, exactly).
            self._n_closed += 1
            self._next_end = self._first_end + self._n_closed * s.step_s
        if not ends:
            return
        closed = out.windows if isinstance(out.windows, WindowColumns) else WindowColumns()
        for first in range(0, len(ends), WINDOW_BATCH):
            closed.extend(self._close_batch(np.array(ends[first : first + WINDOW_BATCH]), out))
        out.windows = closed
        # Keep only what the next window can still need.
        self._cleaner.forget_before(self._next_end - s.window_s)

    def _close_batch(self, ends: FloatArray, out: FeedResult) -> WindowColumns:
        """The windows ending at ``ends`` (those with beats), each field computed for all of
        them at once; only the stress stage (and the baseline while it is learned) goes
        window by window, in order."""
        s = self.settings
        starts = ends - s.window_s
        clean = self._cleaner.windows(starts, ends)
        have = np.flatnonzero(clean.n_input > 0)
        self._note_hr_only(clean, ends, have, out)
        full = s.window_markers
        markers = marker_columns(
            clean.rr_ms,
            clean.t_s,
            clean.breaks,
            clean.lo[have],
            clean.hi[have],
            frequency=full,
            stress=full,
            variability=full,
            scratch=self._scratch,
        )
        (recent, n_recent), (latest, _) = self._recent_hr_batch(
            clean, ends, ((s.recent_hr_s, s.min_recent_beats), (s.latest_hr_s, s.min_latest_beats))
        )
        recent, n_recent, latest = recent[have], n_recent[have], latest[have]
        n_input = clean.n_input[have]
        share = clean.n_corrected[have] / n_input
        coverage = clean.input_ms[have] / 1000.0 / s.window_s
        rmssd = markers["rmssd_ms"]
        good = (
            (share <= s.max_artifact_share)
            & (coverage >= s.min_coverage)
            & (markers["n_beats"] >= s.min_beats)
            & np.isfinite(rmssd)
            & np.isfinite(recent)
        )
        w = have.size
        # The jumps in the last minute of windows poor for HRV (is their heart rate reliable?)
        jumps = np.full(w, math.nan)
        for j in np.flatnonzero(~good & (n_recent > 0)).tolist():
            nn, nt, brk = clean.window(int(have[j]))
            last = nt > float(ends[have[j]]) - s.recent_hr_s
            jumps[j] = jump_share(nn[last], brk[last])
        reliable = reliable_hr(good, n_recent, share, recent, jumps, s)
        stress = self._read_stress_batch(
            clean, have, starts, ends, good, reliable, recent, latest, rmssd, out
        )
        columns: dict[str, npt.NDArray[Any] | list[Any]] = {
            "start_s": starts[have],
            "end_s": ends[have],
            "n_beats": n_input,
            "artifact_share": share,
            "coverage": coverage,
            "quality": np.where(good, _GOOD, _POOR),
            **{"markers." + name: values for name, values in markers.items()},
            "recent_hr_bpm": recent,
            "latest_hr_bpm": latest,
            "hr_reliable": reliable,
            "recent_beats": n_recent,
            "recent_jump_share": jumps,
            **stress,
        }
        return WindowColumns.of_columns(w, columns)

    def _note_hr_only(
        self, clean: CleanWindows, ends: FloatArray, have: IntArray, out: FeedResult
    ) -> None:
        warn = self.hr_only and not self._warned_hr_only and self.last_hr_bpm is not None
        if have.size < ends.size and warn:
            self._warned_hr_only = True
            first_empty = float(ends[np.flatnonzero(clean.n_input == 0)[0]])
            out.notes.append(
                Note(
                    NoteKind.HR_ONLY,
                    first_empty,
                    "this device sends heart rate without beat-to-beat (RR) intervals: "
                    "stress markers need a chest strap that sends RR",
                )
            )

    def _recent_hr_batch(
        self, clean: CleanWindows, ends: FloatArray, spans: tuple[tuple[float, int], ...]
    ) -> list[tuple[FloatArray, npt.NDArray[np.int64]]]:
        """For each ``(span_s, min_beats)``: the heart rate (bpm) of each window's last
        ``span_s`` (nan with fewer than ``min_beats`` intervals), and the number of intervals
        it rests on."""
        w = ends.size
        sc = self._scratch
        out = []
        for span_s, min_beats in spans:
            # A window's intervals are in time order: those of its last span_s are the end of
            # its range, summed in that order.
            since = _first_after(clean.t_s, clean.lo, clean.hi, ends - span_s)
            count = clean.hi - since
            idx = sc.ranges("hr_idx", since, count)
            mine = np.repeat(np.arange(w), count)
            total = np.bincount(mine, weights=np.take(clean.rr_ms, idx), minlength=w)
            hr = np.full(w, math.nan)
            ok = count >= min_beats
            hr[ok] = 60000.0 / (total[ok] / count[ok])
            out.append((hr, count.astype(np.int64)))
        return out

    def _recent_hr(self, nn: np.ndarray, nt: np.ndarray, end_s: float) -> float:
        s = self.settings
        recent = nn[(nt > end_s - s.recent_hr_s) & (nt <= end_s)]
        if recent.size < s.min_recent_beats:
            return math.nan
        return 60000.0 / (float(recent.sum()) / recent.size)

    def _read_stress_batch(
        self,
        clean: CleanWindows,
        have: IntArray,
        starts: FloatArray,
        ends: FloatArray,
        good: BoolArray,
        reliable: BoolArray,
        recent: FloatArray,
        latest: FloatArray,
        rmssd: FloatArray,
        out: FeedResult,
    ) -> dict[str, list[Any]]:
        """The stress stage for closed windows, in order (``signal.stress``, as
        :func:`read_window`): baseline learning while there is none, then reference, score,
        onset checks and detector; the fields each window gains."""
        w = have.size
        readings: list[StressReading | None] = [None] * w
        stressed = [False] * w
        calibrating = [False] * w
        tracker, detector, events = self.stress, self.stress.detector, out.events
        rows = zip(
            have.tolist(),
            ends[have].tolist(),
            good.tolist(),
            reliable.tolist(),
            recent.tolist(),
            latest.tolist(),
            rmssd.tolist(),
            strict=True,
        )
        for j, (k, end_s, ok, hr_ok, recent_hr, latest_hr, rmssd_ms) in enumerate(rows):
            if ok and self.baseline is None:
                calibrating[j] = self._learn_baseline(
                    clean, k, float(starts[k]), end_s, recent_hr, rmssd_ms
                )
            readings[j], event = read_fields(
                tracker,
                end_s,
                recent_hr,
                rmssd_ms,
                latest_hr,
                good=ok,
                hr_reliable=hr_ok,
                baseline=None if calibrating[j] else self.baseline,
            )
            if event is not None:
                events.append(event)
            stressed[j] = detector.stressed
        return {
            "score": [r.score if r is not None else None for r in readings],
            "ref_hr_bpm": [r.reference.hr_bpm if r is not None else None for r in readings],
            "ref_rmssd_ms": [r.reference.rmssd_ms if r is not None else None for r in readings],
            "spread_bpm": [r.spread_bpm if r is not None else None for r in readings],
            "load_sd": [r.load_sd if r is not None else None for r in readings],
            "stressed": stressed,
            "calibrating": calibrating,
        }

    def _learn_baseline(
        self,
        clean: CleanWindows,
        k: int,
        start_s: float,
        end_s: float,
        recent_hr: float,
        rmssd_ms: float,
    ) -> bool:
        """A good window closed while there is no baseline: learn from it (the calibration
        stretch); whether the window is still calibrating (no baseline after it)."""
        s = self.settings
        assert self._t0 is not None
        calibration_end = self._t0 + s.window_s + s.calibration_s
        if end_s <= calibration_end + 1e-9 or not self._calibration:
            # Calm samples: the heart rate of each recent-HR span inside the window.
            nn, nt, _ = clean.window(k)
            for e in np.arange(end_s, start_s + s.recent_hr_s - 1e-9, -s.step_s):
                hr = recent_hr if e == end_s else self._recent_hr(nn, nt, float(e))
                self._calibration.append(CalmSample(float(e), hr, rmssd_ms))
        if end_s >= calibration_end - 1e-9:
            self.baseline = Baseline.from_samples(self._calibration, learned_until_s=end_s)
            self.baseline_learned = self.baseline is not None
        return self.baseline is None
