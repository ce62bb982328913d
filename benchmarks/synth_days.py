"""Seeded synthetic working days for the detection benchmark: beats, contact gaps, and what
happened when (stress episodes, a meal, short bursts), so prompts can be scored against truth.

Seated desk work: calm HR 60-75 bpm drifting slowly (an Ornstein-Uhlenbeck process, SD 1.5 bpm,
~30 min correlation), respiratory (0.25 Hz) and Mayer-wave (0.1 Hz) oscillations, beat noise;
artifacts (0.3 % ectopic beats, 0.2 % missed, 0.2 % extra); contact gaps of 10 s to 5 min about
twice an hour. On top of that, as asked:

* ``drift_bpm``: a slow swing of the calm heart rate, +-``drift_bpm`` over ``drift_period_s``
  (a sine: +-5 bpm over 4 h climbs at most 0.13 bpm per minute);
* ``meal``: a one-hour step of +6 bpm with RMSSD 15 % lower (digestion). The rise builds up over
  ``meal_ramp_s`` (15 min by default): after a meal, heart rate and cardiac output climb to a
  peak 15-30 min later and mesenteric blood flow stays up for one to two hours ("The integrated
  response of the cardiovascular system to food": 800 kcal, HR 65 -> 77 bpm at 15-30 min;
  Sidery et al. 1994, Gut 35:186). The benchmark also prints faster build-ups;
* ``bursts_per_h``: 60-s bursts of +10 bpm (standing up, talking), 5-s edges, one in each
  1/``bursts_per_h`` slot and at least 3 min apart;
* ``episodes``: stress episodes of 5-15 min, HR +6 to +12 bpm (``episode_bpm``) over ~45 s,
  RMSSD 20-40 % lower, back over 60 s;
* ``wander_bpm``: a person whose heart rate wanders more while calm (moving, talking): an extra
  Ornstein-Uhlenbeck swing of that SD with a 2-min correlation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

GRID_S = 1.0


@dataclass
class Day:
    """A seeded synthetic recording and its truth (times in s)."""

    t_s: np.ndarray
    rr_ms: np.ndarray
    gap: np.ndarray
    episodes: list[tuple[float, float]]
    gaps: list[tuple[float, float]]
    hours: float
    meal: tuple[float, float] | None = None
    bursts: list[tuple[float, float]] = field(default_factory=list)


def _ramp(t: np.ndarray, start: float, end: float, rise_s: float, fall_s: float) -> np.ndarray:
    """0 outside, 1 inside [start, end], raised-cosine edges of ``rise_s`` / ``fall_s``."""
    up = np.clip((t - start) / rise_s, 0.0, 1.0) if rise_s > 0 else (t >= start).astype(float)
    down = np.clip(1.0 - (t - end) / fall_s, 0.0, 1.0) if fall_s > 0 else (t <= end).astype(float)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))


def synth_day(
    seed: int,
    hours: float,
    *,
    episodes: int = 0,
    calm_start_s: float = 900.0,
    drift_bpm: float = 0.0,
    drift_period_s: float = 4 * 3600.0,
    meal_at_s: float | None = None,
    meal_ramp_s: float = 900.0,
    meal_bpm: float = 6.0,
    bursts_per_h: float = 0.0,
    episode_bpm: tuple[float, float] = (6.0, 12.0),
    wander_bpm: float = 0.0,
) -> Day:
    rng = np.random.default_rng(seed)
    total_s = hours * 3600.0
    grid = np.arange(0.0, total_s + 600.0, GRID_S)
    hr0 = rng.uniform(60.0, 75.0)
    # Slow drift: an Ornstein-Uhlenbeck process sampled every 10 s.
    n_drift = int(total_s / 10.0) + 62
    drift = np.zeros(n_drift)
    a = math.exp(-10.0 / 1800.0)
    for i in range(1, n_drift):
        drift[i] = a * drift[i - 1] + math.sqrt(1 - a * a) * 1.5 * rng.standard_normal()
    hr = hr0 + np.interp(grid, np.arange(n_drift) * 10.0, drift)
    if wander_bpm:
        w = np.zeros(n_drift)
        b = math.exp(-10.0 / 120.0)
        for i in range(1, n_drift):
            w[i] = b * w[i - 1] + math.sqrt(1 - b * b) * wander_bpm * rng.standard_normal()
        hr += np.interp(grid, np.arange(n_drift) * 10.0, w)
    amp = np.ones_like(grid)
    if drift_bpm:
        phase = rng.uniform(0.0, 2 * math.pi)
        hr += drift_bpm * np.sin(2 * math.pi * grid / drift_period_s + phase)
    meal: tuple[float, float] | None = None
    if meal_at_s is not None:
        meal = (meal_at_s, meal_at_s + 3600.0)
        m = _ramp(grid, meal[0], meal[1], meal_ramp_s, meal_ramp_s)
        hr += meal_bpm * m
        amp *= 1.0 - 0.15 * m
    bursts: list[tuple[float, float]] = []
    if bursts_per_h:
        # One burst in each 1/bursts_per_h slot, at a random place that keeps bursts apart
        # by at least 3 min (a burst is a separate event, not a longer rise).
        slot_s = 3600.0 / bursts_per_h
        for k in range(int(total_s / slot_s)):
            b0 = k * slot_s + rng.uniform(90.0, slot_s - 150.0)
            bursts.append((b0, b0 + 60.0))
            hr += 10.0 * _ramp(grid, b0 + 5.0, b0 + 55.0, 5.0, 5.0)
    eps: list[tuple[float, float]] = []
    if episodes:
        slot = (total_s - calm_start_s) / episodes
        for k in range(episodes):
            dur = rng.uniform(300.0, 900.0)
            start = calm_start_s + k * slot + rng.uniform(0.0, max(slot - dur - 600.0, 1.0))
            dhr, damp = rng.uniform(*episode_bpm), rng.uniform(0.6, 0.8)
            r = np.clip((grid - start) / 45.0, 0.0, 1.0) * np.clip(
                1.0 - (grid - (start + dur)) / 60.0, 0.0, 1.0
            )
            hr += dhr * r
            amp *= 1.0 - (1.0 - damp) * r
            eps.append((start, start + dur))
    gaps: list[tuple[float, float]] = []
    for _ in range(int(rng.poisson(2.0 * hours))):
        g0 = rng.uniform(0.0, total_s)
        gaps.append((g0, g0 + rng.uniform(10.0, 300.0)))
    in_gap = np.zeros(grid.size, dtype=bool)
    for g0, g1 in gaps:
        in_gap |= (grid >= g0) & (grid < g1)
    t = 0.0
    ts: list[float] = []
    rrs: list[float] = []
    gapf: list[bool] = []
    phase_r = phase_m = 0.0
    pending_gap = False
    while t < total_s:
        k = int(t / GRID_S)
        base_rr = 60000.0 / hr[k]
        g = amp[k]
        rr = base_rr + g * (28.0 * math.sin(phase_r) + 18.0 * math.sin(phase_m))
        rr += g * 9.0 * rng.standard_normal()
        phase_r += 2 * math.pi * 0.25 * rr / 1000.0
        phase_m += 2 * math.pi * 0.1 * rr / 1000.0
        t += rr / 1000.0
        if in_gap[int(t / GRID_S)]:
            pending_gap = True
            continue
        u = rng.random()
        if u < 0.003 and rrs:  # ectopic: early beat, compensatory pause
            early = 0.7 * rr
            ts.append(t - rr / 1000.0 + early / 1000.0)
            rrs.append(early)
            gapf.append(pending_gap)
            ts.append(t)
            rrs.append(rr - early + rr)
            t += rr / 1000.0
            gapf.append(False)
        elif u < 0.005:  # missed beat: this interval and the next merge
            t += rr / 1000.0
            ts.append(t)
            rrs.append(2 * rr)
            gapf.append(pending_gap)
        elif u < 0.007:  # extra beat: a spurious detection splits the interval
            ts.append(t - 0.6 * rr / 1000.0)
            rrs.append(0.4 * rr)
            gapf.append(pending_gap)
            ts.append(t)
            rrs.append(0.6 * rr)
            gapf.append(False)
        else:
            ts.append(t)
            rrs.append(rr)
            gapf.append(pending_gap)
        pending_gap = False
    return Day(
        np.array(ts), np.array(rrs), np.array(gapf), eps, gaps, hours, meal=meal, bursts=bursts
    )
