"""The one pipeline every entry point runs: monitor, demo, analyze and import. Pure, synchronous.

``Pipeline.feed(item)`` takes one source item (a raw notification or a link-state event) and
returns what changed: beats placed, windows closed (with markers, quality, score), detector
events, and notes for the user. It holds only bounded state: the beats of the current window,
the detector, and the baseline (given, or learned from the calibration stretch).

Time is the items' own ``t_s``: the pipeline never reads a clock, so replaying a recording
produces exactly the windows, scores and episodes live monitoring produced.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from kindbreak.errors import MalformedMeasurement
from kindbreak.signal.artifacts import Correction, correct_rr, is_physiological
from kindbreak.signal.baseline import Baseline, CalmSample
from kindbreak.signal.beats import Beat, BeatPlacer
from kindbreak.signal.detector import Detector, DetectorEvent, DetectorParams
from kindbreak.signal.hrm import HeartRateMeasurement, parse_measurement
from kindbreak.signal.hrv import Markers, compute_markers
from kindbreak.signal.notes import Note, NoteKind
from kindbreak.signal.score import ScoreParams, stress_load_bpm, stress_score
from kindbreak.stream import LinkState, Notification, SourceItem, StateEvent


class Quality(StrEnum):
    GOOD = "good"
    POOR = "poor"


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
    """

    window_s: float = 300.0
    step_s: float = 30.0
    recent_hr_s: float = 60.0
    calibration_s: float = 0.0
    artifact_correction: Correction = Correction.AUTO
    max_artifact_share: float = 0.10
    min_coverage: float = 0.10
    min_beats: int = 30
    min_recent_beats: int = 10
    close_delay_s: float = 2.0
    score: ScoreParams = ScoreParams()
    detector: DetectorParams = DetectorParams()


@dataclass(frozen=True, slots=True)
class WindowResult:
    start_s: float
    end_s: float
    n_beats: int
    artifact_share: float
    coverage: float
    quality: Quality
    markers: Markers
    recent_hr_bpm: float
    score: float | None
    stressed: bool
    calibrating: bool = False
    #: The stress load behind the score (bpm; see ``score.stress_load_bpm``), None if unscored.
    load_bpm: float | None = None

    @property
    def mean_hr_bpm(self) -> float:
        return self.markers.mean_hr_bpm


@dataclass(slots=True)
class FeedResult:
    beats: list[Beat] = field(default_factory=list)
    measurement: HeartRateMeasurement | None = None
    windows: list[WindowResult] = field(default_factory=list)
    events: list[DetectorEvent] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


class Pipeline:
    def __init__(
        self, settings: PipelineSettings | None = None, *, baseline: Baseline | None = None
    ) -> None:
        self.settings = s = settings or PipelineSettings()
        self.baseline = baseline
        self.baseline_learned = False
        self.detector = Detector(s.detector)
        self._placer = BeatPlacer()
        self._beats: deque[Beat] = deque()
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
            last = self._beats[-1].t_s if self._beats else self._t0
            self._close_windows(max(t_s or 0.0, last) + self.settings.close_delay_s, out)
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
        self._beats.extend(out.beats)

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
            self._beats.append(beat)
        else:
            self.dropped_impossible += 1
            self._pending_gap_input = True
        self._close_windows(t_s, out)
        return out

    # -- windows -------------------------------------------------------------------------

    def _close_windows(self, now_s: float, out: FeedResult) -> None:
        s = self.settings
        assert self._next_end is not None
        while now_s >= self._next_end + s.close_delay_s:
            end = self._next_end
            # Computed from the first end, not by adding step_s again and again, so window
            # ends do not drift by rounding (511.8861 + 60 must be 571.8861, exactly).
            self._n_closed += 1
            self._next_end = self._first_end + self._n_closed * s.step_s
            window = self._analyse(end - s.window_s, end)
            # Keep only the beats the next window can still need.
            while self._beats and self._beats[0].t_s <= self._next_end - s.window_s:
                self._beats.popleft()
            if window is None:
                if self.hr_only and not self._warned_hr_only and self.last_hr_bpm is not None:
                    self._warned_hr_only = True
                    out.notes.append(
                        Note(
                            NoteKind.HR_ONLY,
                            end,
                            "this device sends heart rate without beat-to-beat (RR) intervals: "
                            "stress markers need a chest strap that sends RR",
                        )
                    )
                continue
            if window.score is not None:
                event = self.detector.update(end, window.score)
                if event is not None:
                    out.events.append(event)
            out.windows.append(replace(window, stressed=self.detector.stressed))

    def _recent_hr(self, nn: np.ndarray, nt: np.ndarray, end_s: float) -> float:
        s = self.settings
        recent = nn[(nt > end_s - s.recent_hr_s) & (nt <= end_s)]
        if recent.size < s.min_recent_beats:
            return math.nan
        return 60000.0 / float(recent.mean())

    def _analyse(self, start_s: float, end_s: float) -> WindowResult | None:
        s = self.settings
        beats = [b for b in self._beats if start_s < b.t_s <= end_s]
        if not beats:
            return None
        rr = np.fromiter((b.rr_ms for b in beats), dtype=np.float64, count=len(beats))
        t = np.fromiter((b.t_s for b in beats), dtype=np.float64, count=len(beats))
        breaks = np.fromiter((b.gap_before for b in beats), dtype=bool, count=len(beats))
        cleaned = correct_rr(rr, t, breaks, method=s.artifact_correction)
        artifact_share = cleaned.corrected_share
        nn, nt = cleaned.rr_ms, cleaned.t_s
        markers = compute_markers(nn, nt, breaks=cleaned.breaks)
        coverage = float(rr.sum()) / 1000.0 / s.window_s
        recent_hr = self._recent_hr(nn, nt, end_s)
        good = (
            artifact_share <= s.max_artifact_share
            and coverage >= s.min_coverage
            and markers.n_beats >= s.min_beats
            and math.isfinite(markers.rmssd_ms)
            and math.isfinite(recent_hr)
        )
        quality = Quality.GOOD if good else Quality.POOR
        calibrating = False
        if good and self.baseline is None:
            assert self._t0 is not None
            calibration_end = self._t0 + s.window_s + s.calibration_s
            if end_s <= calibration_end + 1e-9 or not self._calibration:
                # Calm samples: the heart rate of each recent-HR span inside the window.
                for e in np.arange(end_s, start_s + s.recent_hr_s - 1e-9, -s.step_s):
                    hr = self._recent_hr(nn, nt, float(e))
                    self._calibration.append(CalmSample(float(e), hr, markers.rmssd_ms))
            if end_s >= calibration_end - 1e-9:
                self.baseline = Baseline.from_samples(self._calibration, learned_until_s=end_s)
                self.baseline_learned = self.baseline is not None
            calibrating = self.baseline is None
        score: float | None = None
        load: float | None = None
        if good and self.baseline is not None and not calibrating:
            load = stress_load_bpm(recent_hr, markers.rmssd_ms, self.baseline, s.score)
            score = stress_score(recent_hr, markers.rmssd_ms, self.baseline, s.score)
        return WindowResult(
            start_s=start_s,
            end_s=end_s,
            n_beats=len(beats),
            artifact_share=artifact_share,
            coverage=coverage,
            quality=quality,
            markers=markers,
            recent_hr_bpm=recent_hr,
            score=score,
            stressed=False,
            calibrating=calibrating,
            load_bpm=load,
        )
