"""Stress score 0-100: how far heart rate and HRV are from the person's recent calm state. Pure.

``load_sd = (HR_recent - HR_ref) / spread - hrv_sd_per_ln * clip(ln(RMSSD / RMSSD_ref), ±max_ln)``
``score = 100 / (1 + exp(-(load_sd - midpoint_sd) / scale_sd))``

``HR_ref`` and ``RMSSD_ref`` are the recent calm state (:mod:`kindbreak.signal.reference`), and
``spread`` is the person's own spread of calm heart rate (the baseline's robust MAD, see
:func:`spread_bpm`): the load is counted in the person's spreads, not in fixed bpm, so a person
whose heart rate varies little is not under-prompted and a jumpy one is not over-prompted. Heart
rate leads (the dominant sign of a stress response on the wrist data, where RMSSD often does not
move); a fall of vagally mediated HRV (RMSSD over the 5-min window) against the recent calm adds
to it, clipped. Bands follow Garmin/Firstbeat: 0-25 rest, 26-50 low, 51-75 medium, 76-100 high.
See ``docs/stress-score.md`` for sources and validation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from kindbreak.signal.baseline import Baseline
from kindbreak.signal.reference import Reference


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
    #: load (in the person's spreads) at which the score is 50, and the logistic's width:
    #: within half a spread of the recent calm state reads rest (<= 25), within one spread low
    #: (<= 50), within 1.55 spreads medium (<= 75), beyond that high
    midpoint_sd: float = 1.0
    scale_sd: float = 0.5
    #: spreads of load that weigh as much as RMSSD falling by a factor e from the recent calm
    hrv_sd_per_ln: float = 0.5
    #: ln RMSSD ratios beyond this are clipped (one noisy window cannot dominate)
    max_ln_ratio: float = 1.0
    #: the spread assumed before the person's own is known (bpm), and how many calm windows
    #: of the person's weigh as much as it (30 min at the 30-s step)
    default_spread_bpm: float = 2.0
    prior_windows: int = 60
    #: how much of the person's own spread is used, between the default (0) and the person's
    #: (1), on a log scale: half, since on a wrist much of the spread is the sensor's
    spread_weight: float = 0.5
    #: the spread is used within these bounds (bpm)
    min_spread_bpm: float = 1.0
    max_spread_bpm: float = 3.0


def spread_bpm(baseline: Baseline, params: ScoreParams = ScoreParams()) -> float:
    """The person's spread of calm heart rate: the baseline's robust SD (1.4826 x MAD of its
    calm windows around their reference), trusted as far as the number of calm windows it rests
    on allows (with ``n`` windows it is pooled with the default as if that came from
    ``prior_windows`` windows, so the five minutes of a first calibration barely move it and a
    day of calm windows decides it), then taken ``spread_weight`` of the way from the default
    to it on a log scale, and clipped to ``[min_spread_bpm, max_spread_bpm]``. On a wrist much
    of the spread is the sensor's, not the person's: ``docs/stress-score.md``."""
    sd, n = baseline.hr_sd_bpm, baseline.n_windows
    prior, n0 = params.default_spread_bpm, params.prior_windows
    pooled = math.sqrt((n0 * prior**2 + n * sd**2) / (n0 + n)) if math.isfinite(sd) else prior
    a = params.spread_weight
    scaled = prior ** (1.0 - a) * pooled**a if pooled > 0 else prior
    return min(max(scaled, params.min_spread_bpm), params.max_spread_bpm)


def stress_load_sd(
    hr_bpm: float,
    rmssd_ms: float,
    reference: Reference,
    spread: float,
    params: ScoreParams = ScoreParams(),
) -> float:
    """Heart-rate rise over the recent calm state plus the RMSSD fall, in the person's spreads
    (see the module docstring)."""
    load = (hr_bpm - reference.hr_bpm) / spread
    if math.isfinite(rmssd_ms) and rmssd_ms > 0 and reference.rmssd_ms > 0:
        ln_ratio = math.log(rmssd_ms / reference.rmssd_ms)
        ln_ratio = max(-params.max_ln_ratio, min(params.max_ln_ratio, ln_ratio))
        load -= params.hrv_sd_per_ln * ln_ratio
    return load


def score_of_load(load_sd: float, params: ScoreParams = ScoreParams()) -> float:
    """The 0-100 score of a load (logistic; 50 at ``midpoint_sd``)."""
    x = -(load_sd - params.midpoint_sd) / params.scale_sd
    if x > 700:
        return 0.0
    return 100.0 / (1.0 + math.exp(x))


def stress_score(
    hr_bpm: float,
    rmssd_ms: float,
    reference: Reference,
    spread: float,
    params: ScoreParams = ScoreParams(),
) -> float:
    return score_of_load(stress_load_sd(hr_bpm, rmssd_ms, reference, spread, params), params)
