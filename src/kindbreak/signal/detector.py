"""Decides "stress is rising" from the stream of window scores, without flapping. Pure.

Hysteresis: an episode starts when the score has stayed at or above ``on_score`` for
``min_on_s`` seconds of good windows, and ends only when it has stayed below ``off_score``
(lower than ``on_score``) for ``min_off_s``. Poor-quality windows (contact loss, too many
artifacts) are neither evidence for nor against: they pause the timers and never start an
episode, so a loose strap cannot trigger a prompt. When good windows stop for longer than
``max_gap_s`` (contact lost, strap off) the run of high scores before the gap no longer counts:
the score has to stay high for ``min_on_s`` again after contact returns.

Single artifact beats cannot reach the detector: windows are scored after artifact correction,
the score uses a minute of heart rate and five minutes of RMSSD, and one window above
``on_score`` is never enough (``min_on_s`` spans at least two windows).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: Window ends are sums of float steps; durations within this of the minimum count as met.
_EPS_S = 1e-6


class EventKind(StrEnum):
    RISING = "rising"
    SETTLED = "settled"


@dataclass(frozen=True, slots=True)
class DetectorEvent:
    kind: EventKind
    t_s: float
    score: float
    episode_start_s: float
    peak_score: float


@dataclass(frozen=True, slots=True)
class DetectorParams:
    on_score: float = 60.0
    off_score: float = 45.0
    min_on_s: float = 30.0
    min_off_s: float = 60.0
    max_gap_s: float = 90.0


@dataclass(slots=True)
class Detector:
    params: DetectorParams = DetectorParams()
    stressed: bool = False
    _above_since: float | None = None
    _below_since: float | None = None
    _episode_start: float = 0.0
    _peak: float = 0.0
    _last_good_s: float | None = None

    def update(self, t_s: float, score: float | None) -> DetectorEvent | None:
        """Feed one window (its end time and score; ``None`` when quality is poor)."""
        p = self.params
        if score is None:
            return None
        if self._last_good_s is not None and t_s - self._last_good_s > p.max_gap_s:
            self._above_since = None
            self._below_since = None
        self._last_good_s = t_s
        if not self.stressed:
            if score >= p.on_score:
                if self._above_since is None:
                    self._above_since = t_s
                    self._peak = score
                self._peak = max(self._peak, score)
                if t_s - self._above_since >= p.min_on_s - _EPS_S:
                    self.stressed = True
                    self._episode_start = self._above_since
                    self._below_since = None
                    return DetectorEvent(
                        EventKind.RISING, t_s, score, self._episode_start, self._peak
                    )
            else:
                self._above_since = None
            return None
        self._peak = max(self._peak, score)
        if score < p.off_score:
            if self._below_since is None:
                self._below_since = t_s
            if t_s - self._below_since >= p.min_off_s - _EPS_S:
                self.stressed = False
                self._above_since = None
                return DetectorEvent(
                    EventKind.SETTLED, self._below_since, score, self._episode_start, self._peak
                )
        else:
            self._below_since = None
        return None
