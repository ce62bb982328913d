"""The person's own long-term calm state. Pure.

Heart rate and RMSSD differ several-fold between people, so kindbreak scores stress against the
person's own calm values, never population thresholds (WHOOP uses a 14-day personal baseline,
Elite HRV a week). A :class:`Baseline` keeps a bounded set of recent calm samples (one per
calm window: time, heart rate, RMSSD, and the recent calm heart rate it was scored against) and
summarises them robustly: the median, and the median absolute deviation (MAD) as the spread, so
an artifact-laden or excited window cannot drag it.

The heart-rate spread (:attr:`Baseline.hr_sd_bpm`) is the spread of the calm windows around the
reference each was scored against (:mod:`kindbreak.signal.reference`): how far this person's
last-minute heart rate wanders while calm, without the slow drift of the day or the difference
between days, which the reference follows. Samples without a reference (the first session's
calibration, or logs written before the reference existed) count around their median.

It is plain data, rebuilt from the calm windows the log keeps (the last 14 days:
:mod:`kindbreak.live.baseline`), so nothing but the samples needs storing.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: How far back the calm windows of a baseline reach (14 days, as WHOOP's).
HORIZON_S = 14 * 86400.0
#: 1.4826 x MAD estimates the standard deviation of normally distributed data.
MAD_TO_SD = 1.4826


@dataclass(frozen=True, slots=True)
class CalmSample:
    """One calm window: when it ended (s; wall or session time, the caller's choice), its
    recent heart rate (bpm), its RMSSD (ms) and the recent calm heart rate it was scored
    against (bpm; NaN when unknown)."""

    t_s: float
    hr_bpm: float
    rmssd_ms: float
    ref_hr_bpm: float = math.nan

    @property
    def usable(self) -> bool:
        return math.isfinite(self.hr_bpm) and math.isfinite(self.rmssd_ms) and self.rmssd_ms > 0


def _mad(values: Sequence[float], centre: float) -> float:
    return statistics.median(abs(v - centre) for v in values) if values else math.nan


@dataclass(frozen=True, slots=True)
class Baseline:
    hr_bpm: float
    rmssd_ms: float
    n_windows: int
    learned_until_s: float = 0.0
    #: Robust spreads (MAD x 1.4826) of heart rate (bpm) and of ln RMSSD.
    hr_sd_bpm: float = math.nan
    ln_rmssd_sd: float = math.nan
    samples: tuple[CalmSample, ...] = field(default=(), repr=False)

    @property
    def ln_rmssd(self) -> float:
        return math.log(self.rmssd_ms)

    @classmethod
    def from_samples(
        cls, samples: Iterable[CalmSample], *, learned_until_s: float | None = None
    ) -> Baseline | None:
        """Median and MAD of the usable samples; ``None`` if there are none."""
        kept = tuple(s for s in samples if s.usable)
        if not kept:
            return None
        hr = [s.hr_bpm for s in kept]
        ln_rm = [math.log(s.rmssd_ms) for s in kept]
        hr_med = statistics.median(hr)
        ln_med = statistics.median(ln_rm)
        deviations = [
            s.hr_bpm - (s.ref_hr_bpm if math.isfinite(s.ref_hr_bpm) else hr_med) for s in kept
        ]
        return cls(
            hr_bpm=hr_med,
            rmssd_ms=math.exp(ln_med),
            n_windows=len(kept),
            learned_until_s=max(s.t_s for s in kept)
            if learned_until_s is None
            else learned_until_s,
            hr_sd_bpm=MAD_TO_SD * _mad(deviations, statistics.median(deviations)),
            ln_rmssd_sd=MAD_TO_SD * _mad(ln_rm, ln_med),
            samples=kept,
        )
