"""The recent calm state each window is compared with: a reference that follows the day. Pure.

A person's calm heart rate is not one number. Posture, a meal, coffee and the afternoon dip move
it by several bpm over minutes to hours, while a stress response raises it within a minute or
two. So a window is scored against the person's *recent* calm state, not against one value
learned in the morning:

* **heart rate**: a robust low envelope, the ``quantile`` (20th percentile) of the last minute's
  heart rate of the good windows of the last ``lookback_s`` (15 min). A stress response of up to
  about 12 minutes (80 % of the lookback) sits above it and does not lift it; a slow drift, or a
  step that builds up over ten minutes or more, carries it along.
* **RMSSD**: the median ln RMSSD of the same windows (those with one: a window scored on heart
  rate alone has none; with none, the baseline's).
* **bounded by the long-term baseline** (14 days, :class:`~kindbreak.signal.baseline.Baseline`):
  the recent reference may move at most ``max_shift_bpm`` from the baseline's heart rate (and
  ``max_shift_ln_rmssd`` from its ln RMSSD): hours of sustained stress become the new "calm"
  only up to that bound.

Until ``min_windows`` good windows have been seen in the lookback (a session's first minutes,
or after contact was lost for longer than the lookback) the reference is the baseline itself.
See ``docs/stress-score.md`` for the choice and its sources.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from kindbreak.signal.baseline import Baseline


@dataclass(frozen=True, slots=True)
class ReferenceParams:
    #: how far back the recent calm state looks (s), and the low quantile taken of it
    lookback_s: float = 900.0
    quantile: float = 0.2
    #: good windows needed in the lookback before it replaces the baseline
    min_windows: int = 10
    #: the recent reference stays within these of the long-term baseline
    max_shift_bpm: float = 10.0
    max_shift_ln_rmssd: float = 0.7


@dataclass(frozen=True, slots=True)
class Reference:
    """The calm state a window was scored against."""

    hr_bpm: float
    rmssd_ms: float
    #: good windows of the lookback it was taken from (0: the baseline alone)
    n_windows: int


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile with linear interpolation between order statistics (numpy's default
    method), in plain Python: the lists here hold at most a few dozen values."""
    return _quantile_of_sorted(sorted(values), q)


def _quantile_of_sorted(xs: Sequence[float], q: float) -> float:
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _median_of_sorted(xs: Sequence[float]) -> float:
    """``statistics.median`` of values already sorted (the same arithmetic)."""
    n = len(xs)
    if n % 2:
        return xs[n // 2]
    return (xs[n // 2 - 1] + xs[n // 2]) / 2


def _clip(x: float, centre: float, half_width: float) -> float:
    return min(max(x, centre - half_width), centre + half_width)


class CalmReference:
    """Keeps the good windows of the lookback and summarises them (bounded state)."""

    def __init__(self, params: ReferenceParams | None = None) -> None:
        self.params = params or ReferenceParams()
        self._recent: deque[tuple[float, float, float]] = deque()
        self._latest_s = -math.inf  # the latest end kept (every other one is earlier)
        # The kept heart rates and finite ln RMSSDs, sorted (kept up to date one value at a
        # time rather than sorted again for every window).
        self._hr_sorted: list[float] = []
        self._ln_sorted: list[float] = []

    def add(self, t_s: float, hr_bpm: float, rmssd_ms: float) -> None:
        """Record a scored window (its end, last minute's heart rate, RMSSD; NaN RMSSD for a
        window scored on heart rate alone, which then counts for heart rate only)."""
        if not math.isfinite(hr_bpm):
            return
        ln_rmssd = math.log(rmssd_ms) if math.isfinite(rmssd_ms) and rmssd_ms > 0 else math.nan
        self._recent.append((t_s, hr_bpm, ln_rmssd))
        bisect.insort(self._hr_sorted, hr_bpm)
        if math.isfinite(ln_rmssd):
            bisect.insort(self._ln_sorted, ln_rmssd)
        self._latest_s = max(self._latest_s, t_s)
        self._forget(t_s)

    def _forget(self, t_s: float) -> None:
        horizon = t_s - self.params.lookback_s
        while self._recent and self._recent[0][0] <= horizon:
            _, hr_bpm, ln_rmssd = self._recent.popleft()
            del self._hr_sorted[bisect.bisect_left(self._hr_sorted, hr_bpm)]
            if math.isfinite(ln_rmssd):
                del self._ln_sorted[bisect.bisect_left(self._ln_sorted, ln_rmssd)]

    def _before(self, t_s: float) -> Sequence[tuple[float, float, float]]:
        """The windows kept that ended before ``t_s`` (all of them, as windows come in
        order)."""
        if self._latest_s < t_s:
            return self._recent
        return [r for r in self._recent if r[0] < t_s]

    def last_hr(self, n: int, before_s: float) -> list[float]:
        """Last-minute heart rates of the last ``n`` good windows that ended before
        ``before_s`` (within the lookback)."""
        recent = self._before(before_s)
        return [recent[i][1] for i in range(max(len(recent) - n, 0), len(recent))]

    def reference(self, t_s: float, baseline: Baseline) -> Reference:
        """The recent calm state at ``t_s`` (windows that ended before it), bounded by
        ``baseline``."""
        p = self.params
        self._forget(t_s)
        recent = self._before(t_s)
        if len(recent) < p.min_windows:
            return Reference(baseline.hr_bpm, baseline.rmssd_ms, 0)
        if recent is self._recent:  # all of them: their values are sorted already
            hr_sorted, ln_sorted = self._hr_sorted, self._ln_sorted
        else:
            hr_sorted = sorted(r[1] for r in recent)
            ln_sorted = sorted(r[2] for r in recent if math.isfinite(r[2]))
        hr = _quantile_of_sorted(hr_sorted, p.quantile)
        ln_rmssd = _median_of_sorted(ln_sorted) if ln_sorted else baseline.ln_rmssd
        return Reference(
            hr_bpm=_clip(hr, baseline.hr_bpm, p.max_shift_bpm),
            rmssd_ms=math.exp(_clip(ln_rmssd, baseline.ln_rmssd, p.max_shift_ln_rmssd)),
            n_windows=len(recent),
        )
