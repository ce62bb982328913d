"""Stress score 0-100 from how far heart rate and HRV are from the person's baseline. Pure.

``z = (HR - HR_base) / hr_scale_bpm  -  hrv_weight * ln(RMSSD / RMSSD_base) / ln_rmssd_scale``
``score = 100 / (1 + exp(-slope * (z - midpoint)))``

A rise in heart rate over the person's calm value (the dominant sign of a stress response on
the wrist data, where RMSSD often does not move) and a fall of vagally mediated HRV (RMSSD) both
raise the score. Bands follow Garmin/Firstbeat: 0-25 rest, 26-50 low, 51-75 medium, 76-100 high.
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
    hr_scale_bpm: float = 4.0
    hrv_weight: float = 0.5
    ln_rmssd_scale: float = 0.35
    midpoint: float = 1.0
    slope: float = 1.5


def stress_z(hr_bpm: float, rmssd_ms: float, baseline: Baseline, params: ScoreParams) -> float:
    z = (hr_bpm - baseline.hr_bpm) / params.hr_scale_bpm
    if math.isfinite(rmssd_ms) and rmssd_ms > 0:
        z -= params.hrv_weight * math.log(rmssd_ms / baseline.rmssd_ms) / params.ln_rmssd_scale
    return z


def stress_score(
    hr_bpm: float, rmssd_ms: float, baseline: Baseline, params: ScoreParams = ScoreParams()
) -> float:
    z = stress_z(hr_bpm, rmssd_ms, baseline, params)
    x = -params.slope * (z - params.midpoint)
    if x > 700:
        return 0.0
    return 100.0 / (1.0 + math.exp(x))
