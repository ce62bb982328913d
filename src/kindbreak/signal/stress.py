"""From a closed window to its stress reading and the episodes: reference, score, detector. Pure.

:class:`StressTracker` is the last stage of the pipeline, kept apart so it can be run on its own
over windows already analysed (the benchmark re-scores windows this way): the same object, the
same order of operations, the same results. For each closed window it

1. takes the recent calm state from the good windows *before* this one, bounded by the
   baseline (:class:`~kindbreak.signal.reference.CalmReference`);
2. scores the window against it in the person's spreads (:mod:`kindbreak.signal.score`);
3. reads whether heart rate rose fast into it and is still up at its end
   (:mod:`kindbreak.signal.onset`);
4. feeds all three to the hysteresis detector (:class:`~kindbreak.signal.detector.Detector`);
5. adds the window to the recent calm state when its quality is good.

Windows whose heart rate is not reliable (``good=False``), and windows closed before there is a
baseline (calibration), are not scored and do not reach the detector; reliable calibration
windows still enter the recent state. A window scored on heart rate alone (its RMSSD NaN, as
the pipeline passes it when the 5-min window is poor for HRV) is scored without the RMSSD term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kindbreak.signal.baseline import Baseline
from kindbreak.signal.detector import Detector, DetectorEvent, DetectorParams
from kindbreak.signal.onset import OnsetParams, rise_sd, rising_fast, still_up
from kindbreak.signal.reference import CalmReference, Reference, ReferenceParams
from kindbreak.signal.score import ScoreParams, score_of_load, spread_bpm, stress_load_sd


@dataclass(frozen=True, slots=True)
class StressReading:
    """What a scored window was compared with, and the result."""

    reference: Reference
    #: the person's spread of calm heart rate the load is counted in (bpm)
    spread_bpm: float
    load_sd: float
    score: float
    #: rise of heart rate over the lowest window of the last few minutes, in spreads
    rise_sd: float


class StressTracker:
    def __init__(
        self,
        score: ScoreParams | None = None,
        reference: ReferenceParams | None = None,
        detector: DetectorParams | None = None,
        onset: OnsetParams | None = None,
    ) -> None:
        self.score_params = score or ScoreParams()
        self.onset_params = onset or OnsetParams()
        self.calm = CalmReference(reference)
        self.detector = Detector(detector or DetectorParams())
        self._spread: tuple[Baseline, float] | None = None  # the last baseline's spread

    @property
    def stressed(self) -> bool:
        return self.detector.stressed

    def update(
        self,
        end_s: float,
        recent_hr_bpm: float,
        rmssd_ms: float,
        *,
        latest_hr_bpm: float = math.nan,
        good: bool,
        baseline: Baseline | None,
    ) -> tuple[StressReading | None, DetectorEvent | None]:
        """Read one closed window (its end, the heart rate of its last minute and of its last
        30 s, RMSSD or NaN, whether its heart rate is reliable) against ``baseline`` (``None``
        while calibrating: no reading)."""
        reading: StressReading | None = None
        event: DetectorEvent | None = None
        usable = good and math.isfinite(recent_hr_bpm)
        if usable and baseline is not None:
            ref = self.calm.reference(end_s, baseline)
            if self._spread is None or self._spread[0] is not baseline:
                self._spread = (baseline, spread_bpm(baseline, self.score_params))
            spread = self._spread[1]
            load = stress_load_sd(recent_hr_bpm, rmssd_ms, ref, spread, self.score_params)
            op = self.onset_params
            rise = rise_sd(recent_hr_bpm, self.calm.last_hr(op.rise_windows, end_s), spread)
            reading = StressReading(ref, spread, load, score_of_load(load, self.score_params), rise)
            event = self.detector.update(
                end_s,
                reading.score,
                rising_fast=rising_fast(rise, op),
                still_up=still_up(latest_hr_bpm, ref.hr_bpm, spread, op),
            )
        if usable:
            self.calm.add(end_s, recent_hr_bpm, rmssd_ms)
        else:
            # Poor or calibrating: no evidence either way, but a long gap ends an episode.
            event = self.detector.update(end_s, None)
        return reading, event
