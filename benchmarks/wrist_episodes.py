"""Episode-level scoring on Stress-Predict, as issue 9 defines it, and the simple heart-rate
rules kindbreak is measured against.

* A labelled stress **stretch** is a run of stress-labelled beats, gaps under 60 s merged, at
  least 120 s long. Stretches that start in the first 5 minutes are left out: no 5-min window
  has closed yet, so neither kindbreak nor a rule with a first-5-min reference can prompt there
  (one stretch, S02's first, whose first 5 minutes are the stress task itself). That leaves 50.
* A stretch is **prompted** when a prompt falls inside it or up to 60 s after it.
* A prompt is **false** when it is more than 60 s before and more than 180 s after every
  stretch.
* **Rest hours**: the time in which a prompt would be false (after the first 5 minutes, outside
  every stretch's [start - 60 s, end + 180 s]) while the device is delivering heart rate (at
  least 10 beats in the last 60 s, checked every 10 s).

Simple rules: the last 60 s of heart rate (60000 / mean RR of the raw beats, at least 10 beats)
every 10 s from the end of the first 5 minutes; a prompt when HR minus a reference has stayed
above a threshold for 30 s (four samples in a row), at most one prompt in 5 min. References:
the median heart rate of the first 5 minutes, or the 20th percentile of the 60-s heart rates of
the last 10 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

FIRST_S = 300.0
MERGE_S = 60.0
MIN_STRETCH_S = 120.0
PROMPTED_AFTER_S = 60.0
FALSE_BEFORE_S = 60.0
FALSE_AFTER_S = 180.0
RULE_STEP_S = 10.0
RULE_SPAN_S = 60.0
RULE_MIN_BEATS = 10
RULE_HOLD_S = 30.0
RULE_GAP_S = 300.0

Stretch = tuple[float, float]


def stretches(t_s: np.ndarray, label: np.ndarray) -> list[Stretch]:
    """Runs of stress-labelled beats (gaps under 60 s merged) at least 120 s long, starting
    after the first 5 minutes."""
    ts = t_s[label]
    if ts.size == 0:
        return []
    runs: list[Stretch] = []
    start = prev = float(ts[0])
    for x in ts[1:]:
        if x - prev >= MERGE_S:
            runs.append((start, prev))
            start = float(x)
        prev = float(x)
    runs.append((start, prev))
    return [(a, b) for a, b in runs if b - a >= MIN_STRETCH_S and a >= FIRST_S]


def is_false(t: float, stretches_: Sequence[Stretch]) -> bool:
    return all(t < a - FALSE_BEFORE_S or t > b + FALSE_AFTER_S for a, b in stretches_)


@dataclass
class Tally:
    prompted: int = 0
    stretches: int = 0
    false: int = 0
    prompts: int = 0

    def add(self, prompts: Sequence[float], stretches_: Sequence[Stretch]) -> Tally:
        self.stretches += len(stretches_)
        self.prompts += len(prompts)
        self.prompted += sum(
            any(a <= p <= b + PROMPTED_AFTER_S for p in prompts) for a, b in stretches_
        )
        self.false += sum(is_false(p, stretches_) for p in prompts)
        return self

    def dominates(self, other: Tally) -> bool:
        """As many stretches or more, with fewer false prompts."""
        return self.prompted >= other.prompted and self.false < other.false


def tally(prompts: Mapping[str, Sequence[float]], truth: Mapping[str, Sequence[Stretch]]) -> Tally:
    t = Tally()
    for name, st in truth.items():
        t.add(prompts.get(name, ()), st)
    return t


def hr_series(t_s: np.ndarray, rr_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(times, 60-s heart rate) every 10 s from 60 s on; NaN with fewer than 10 beats."""
    times = np.arange(RULE_SPAN_S, float(t_s[-1]) + 1e-9, RULE_STEP_S)
    lo = np.searchsorted(t_s, times - RULE_SPAN_S, side="right")
    hi = np.searchsorted(t_s, times, side="right")
    csum = np.concatenate([[0.0], np.cumsum(rr_ms)])
    n = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        hr = np.where(n >= RULE_MIN_BEATS, 60000.0 * n / (csum[hi] - csum[lo]), math.nan)
    return times, hr


def rest_hours(times: np.ndarray, hr: np.ndarray, stretches_: Sequence[Stretch]) -> float:
    ok = (
        np.isfinite(hr)
        & (times >= FIRST_S)
        & np.array([is_false(float(t), stretches_) for t in times])
    )
    return float(ok.sum()) * RULE_STEP_S / 3600.0


def rule_prompts(
    t_s: np.ndarray, rr_ms: np.ndarray, reference: str, threshold_bpm: float
) -> list[float]:
    """Prompts of a simple rule (``reference`` "first5" or "p20_10min")."""
    times, hr = hr_series(t_s, rr_ms)
    first5 = float(np.median(60000.0 / rr_ms[t_s <= FIRST_S]))
    prompts: list[float] = []
    above_since: float | None = None
    last = -math.inf
    for i, t in enumerate(times):
        if t < FIRST_S - 1e-9:
            continue
        if reference == "first5":
            ref = first5
        else:
            recent = hr[(times > t - 600.0) & (times <= t)]
            recent = recent[np.isfinite(recent)]
            ref = float(np.percentile(recent, 20)) if recent.size else math.nan
        h = float(hr[i])
        if math.isfinite(h) and math.isfinite(ref) and h - ref > threshold_bpm:
            if above_since is None:
                above_since = float(t)
            if t - above_since >= RULE_HOLD_S - 1e-9 and t - last >= RULE_GAP_S - 1e-9:
                prompts.append(float(t))
                last = float(t)
        else:
            above_since = None
    return prompts
