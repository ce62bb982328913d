"""Window-level synthetic days for the stress-stage tests: what the pipeline hands the
:class:`~kindbreak.signal.stress.StressTracker` every 30 s (the last minute's heart rate, the
last 30 s, RMSSD), computed from a heart-rate curve plus seeded noise. Milliseconds per day, so
hours of "real day" run in a unit test."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kindbreak.signal.baseline import Baseline
from kindbreak.signal.detector import DetectorEvent, EventKind
from kindbreak.signal.stress import StressReading, StressTracker

STEP_S = 30.0
HrCurve = Callable[[np.ndarray], np.ndarray]


@dataclass
class Day:
    events: list[DetectorEvent]
    readings: list[StressReading | None]

    def times(self, kind: EventKind) -> list[float]:
        return [e.t_s for e in self.events if e.kind is kind]

    @property
    def max_score(self) -> float:
        return max(r.score for r in self.readings if r is not None)


def calm(hr0: float = 65.0) -> HrCurve:
    return lambda t: np.full_like(t, hr0)


def plus(*curves: HrCurve) -> HrCurve:
    return lambda t: sum((c(t) for c in curves), start=np.zeros_like(t))


def ramp(start_s: float, rise_s: float, end_s: float, fall_s: float, bpm: float) -> HrCurve:
    """``bpm`` reached over ``rise_s`` from ``start_s``, held until ``end_s``, gone over
    ``fall_s`` (linear edges)."""

    def f(t: np.ndarray) -> np.ndarray:
        up = np.clip((t - start_s) / rise_s, 0.0, 1.0)
        down = np.clip(1.0 - (t - end_s) / fall_s, 0.0, 1.0)
        return bpm * np.minimum(up, down)

    return f


def sine(amplitude_bpm: float, period_s: float, phase: float = 0.0) -> HrCurve:
    return lambda t: amplitude_bpm * np.sin(2 * math.pi * t / period_s + phase)


def run_day(
    hr: HrCurve,
    hours: float,
    baseline: Baseline,
    *,
    seed: int = 0,
    noise_bpm: float = 0.4,
    rmssd: Callable[[float], float] = lambda t: 40.0,
    gaps: tuple[tuple[float, float], ...] = (),
    tracker: StressTracker | None = None,
) -> Day:
    """Windows every 30 s from 300 s on: the last minute's and the last 30 s's mean heart rate
    of ``hr``, plus seeded noise of ``noise_bpm`` on each; windows ending in a gap are poor."""
    rng = np.random.default_rng(seed)
    tracker = tracker or StressTracker()
    events: list[DetectorEvent] = []
    readings: list[StressReading | None] = []
    for end in np.arange(300.0, hours * 3600.0 + 1e-9, STEP_S):
        grid = end - np.arange(0.0, 60.0, 1.0)
        curve = hr(grid)
        recent = float(curve.mean()) + noise_bpm * rng.standard_normal()
        latest = float(curve[:30].mean()) + noise_bpm * rng.standard_normal()
        good = not any(g0 <= end < g1 for g0, g1 in gaps)
        reading, event = tracker.update(
            float(end),
            recent if good else math.nan,
            rmssd(float(end)),
            latest_hr_bpm=latest if good else math.nan,
            good=good,
            baseline=baseline,
        )
        readings.append(reading)
        if event is not None:
            events.append(event)
    return Day(events, readings)
