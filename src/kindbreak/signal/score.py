"""Stress score 0-100 from how far heart rate and HRV are from the person's baseline. Pure.

``load_bpm = (HR_recent - HR_base) - hrv_bpm_per_ln * clip(ln(RMSSD / RMSSD_base), ±max_ln)``
``score = 100 / (1 + exp(-(load_bpm - midpoint_bpm) / scale_bpm))``

``load_bpm`` is the stress load in heart-rate units: the rise of the last minute's heart rate
over the person's calm value (the dominant sign of a stress response on the wrist data, where
RMSSD often does not move) plus a fall of vagally mediated HRV (RMSSD over the 5-min window),
converted to bpm. The logistic maps it to 0-100. Bands follow Garmin/Firstbeat: 0-25 rest,
26-50 low, 51-75 medium, 76-100 high. See ``docs/stress-score.md`` for sources and validation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from kindbreak.signal.baseline import Baseline


class Band(StrEnum):
    REST = "rest"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def band_of(score: float) -> Band:
    if score <= 25:
        return Band.REST
    if score <= 50:
        return Band.LOW
    if score <= 75:
        return Band.MEDIUM
    return Band.HIGH


@dataclass(frozen=True, slots=True)
class ScoreParams:
    #: bpm of heart-rate rise that weigh as much as RMSSD falling by a factor e.
    hrv_bpm_per_ln: float = 2.0
    #: ln RMSSD ratios beyond this are clipped (one noisy window cannot dominate).
    max_ln_ratio: float = 1.0
    #: load (bpm) at which the score is 50, and the logistic's width (bpm).
    midpoint_bpm: float = 3.0
    scale_bpm: float = 2.0


def stress_load_bpm(
    hr_bpm: float, rmssd_ms: float, baseline: Baseline, params: ScoreParams
) -> float:
    """Heart-rate rise over baseline plus the RMSSD fall, in bpm (see the module docstring)."""
    load = hr_bpm - baseline.hr_bpm
    if math.isfinite(rmssd_ms) and rmssd_ms > 0 and baseline.rmssd_ms > 0:
        ln_ratio = math.log(rmssd_ms / baseline.rmssd_ms)
        ln_ratio = max(-params.max_ln_ratio, min(params.max_ln_ratio, ln_ratio))
        load -= params.hrv_bpm_per_ln * ln_ratio
    return load


def stress_z(hr_bpm: float, rmssd_ms: float, baseline: Baseline, params: ScoreParams) -> float:
    """The load in logistic units: 0 at a score of 50."""
    load = stress_load_bpm(hr_bpm, rmssd_ms, baseline, params)
    return (load - params.midpoint_bpm) / params.scale_bpm


def stress_score(
    hr_bpm: float, rmssd_ms: float, baseline: Baseline, params: ScoreParams = ScoreParams()
) -> float:
    x = -stress_z(hr_bpm, rmssd_ms, baseline, params)
    if x > 700:
        return 0.0
    return 100.0 / (1.0 + math.exp(x))
