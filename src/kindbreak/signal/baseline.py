"""The person's own calm reference. Pure.

Heart rate and RMSSD differ several-fold between people, so kindbreak scores stress against the
person's own calm values, never population thresholds. A baseline is learned from calm windows
(the calibration stretch at the start of a first session) with medians, so an artifact-laden
or excited window cannot drag it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Baseline:
    hr_bpm: float
    rmssd_ms: float
    n_windows: int
    learned_until_s: float = 0.0

    @property
    def ln_rmssd(self) -> float:
        return math.log(self.rmssd_ms)


def learn_baseline(
    hr_bpm: Sequence[float], rmssd_ms: Sequence[float], *, learned_until_s: float = 0.0
) -> Baseline | None:
    """Median heart rate and RMSSD of calm windows; ``None`` if there is nothing usable."""
    pairs = [
        (h, r)
        for h, r in zip(hr_bpm, rmssd_ms, strict=True)
        if math.isfinite(h) and math.isfinite(r) and r > 0
    ]
    if not pairs:
        return None
    return Baseline(
        hr_bpm=statistics.median(p[0] for p in pairs),
        rmssd_ms=statistics.median(p[1] for p in pairs),
        n_windows=len(pairs),
        learned_until_s=learned_until_s,
    )
