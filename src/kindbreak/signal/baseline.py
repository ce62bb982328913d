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

It is plain data: :meth:`Baseline.to_dict` / :meth:`Baseline.from_dict` round-trip it for the
store, and :meth:`Baseline.merged` folds a new session's calm samples into an existing baseline,
keeping the last ``horizon_s`` (14 days) and at most ``max_samples`` of them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DAY_S = 86400.0
HORIZON_S = 14 * DAY_S
MAX_SAMPLES = 2000
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

    def merged(
        self,
        new: Iterable[CalmSample],
        *,
        now_s: float,
        horizon_s: float = HORIZON_S,
        max_samples: int = MAX_SAMPLES,
    ) -> Baseline:
        """This baseline with ``new`` calm samples folded in, keeping the samples of the last
        ``horizon_s`` before ``now_s`` (at most ``max_samples``, the newest). If nothing is
        left in the horizon the baseline is returned unchanged rather than lost."""
        pool = sorted((*self.samples, *(s for s in new if s.usable)), key=lambda s: s.t_s)
        recent = [s for s in pool if s.t_s > now_s - horizon_s][-max_samples:]
        updated = Baseline.from_samples(recent, learned_until_s=now_s)
        return updated if updated is not None else self

    def to_dict(self) -> dict[str, Any]:
        return {
            "hr_bpm": self.hr_bpm,
            "rmssd_ms": self.rmssd_ms,
            "n_windows": self.n_windows,
            "learned_until_s": self.learned_until_s,
            "hr_sd_bpm": self.hr_sd_bpm,
            "ln_rmssd_sd": self.ln_rmssd_sd,
            "samples": [[s.t_s, s.hr_bpm, s.rmssd_ms, s.ref_hr_bpm] for s in self.samples],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Baseline:
        samples = tuple(CalmSample(*(float(v) for v in row)) for row in data["samples"])
        if samples:
            rebuilt = cls.from_samples(samples, learned_until_s=float(data["learned_until_s"]))
            if rebuilt is not None:
                return rebuilt
        return cls(
            hr_bpm=float(data["hr_bpm"]),
            rmssd_ms=float(data["rmssd_ms"]),
            n_windows=int(data["n_windows"]),
            learned_until_s=float(data.get("learned_until_s", 0.0)),
            hr_sd_bpm=float(data.get("hr_sd_bpm", math.nan)),
            ln_rmssd_sd=float(data.get("ln_rmssd_sd", math.nan)),
        )


def learn_baseline(
    hr_bpm: Sequence[float],
    rmssd_ms: Sequence[float],
    *,
    learned_until_s: float = 0.0,
    t_s: Sequence[float] | None = None,
) -> Baseline | None:
    """Median heart rate and RMSSD of calm windows; ``None`` if there is nothing usable."""
    times = list(t_s) if t_s is not None else [learned_until_s] * len(hr_bpm)
    samples = [CalmSample(t, h, r) for t, h, r in zip(times, hr_bpm, rmssd_ms, strict=True)]
    return Baseline.from_samples(samples, learned_until_s=learned_until_s)
