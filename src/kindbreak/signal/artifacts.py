"""RR cleaning: impossible intervals and artifact beats. Pure.

Two stages, both reporting what they did so a window can say how trustworthy it is:

1. :func:`is_physiological` — intervals outside 273-2000 ms (220 to 30 bpm) cannot be a
   heartbeat; they are dropped as they arrive and the next beat starts a new segment.
2. :func:`flag_artifacts` — within a window, an interval that differs from the median of its
   neighbours by more than ``threshold`` (default 20 %, as in Kubios' "medium" threshold
   filter) is an artifact (ectopic, missed or extra beat). Flagged beats are removed from the
   NN series and the removal is marked as a break, so no successive difference spans it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MIN_RR_MS = 273.0
MAX_RR_MS = 2000.0


def is_physiological(rr_ms: float) -> bool:
    return MIN_RR_MS <= rr_ms <= MAX_RR_MS


def flag_artifacts(
    rr_ms: npt.NDArray[np.float64], *, threshold: float = 0.2, half_width: int = 5
) -> npt.NDArray[np.bool_]:
    """Boolean mask of artifact intervals: |rr - local median| > threshold * local median.

    The local median covers ``half_width`` beats each side (the beat itself excluded would be
    cleaner but the median of 11 is robust to one outlier either way).
    """
    n = rr_ms.size
    if n < 3:
        return np.zeros(n, dtype=bool)
    width = 2 * half_width + 1
    padded = np.pad(rr_ms, half_width, mode="reflect" if n > half_width else "edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    med = np.median(windows, axis=1)
    flags: npt.NDArray[np.bool_] = np.abs(rr_ms - med) > threshold * med
    return flags
