"""Decides "stress is rising" from the stream of window scores, without flapping. Pure.

Hysteresis: an episode starts when the score has stayed high for ``min_on_s`` seconds of good
windows (reaching ``on_score``, and not falling below ``off_score`` in between), and ends only
when it has stayed below ``off_score`` (lower than ``on_score``) for ``min_off_s``. The score
is read against the person's recent calm state, so an episode ends when heart rate is back to
that state, whatever its absolute value, and the detector is then ready for the next one. Two
more conditions, given by the caller
(:mod:`kindbreak.signal.onset`), keep what is not a stress response from starting an episode:
the run of high scores must include a fast rise (``rising_fast``), and at the moment it would
start the rise must still be there (``still_up``). Poor-quality windows (contact loss, too many
artifacts) are neither evidence for nor against: they pause the timers and never start an
episode, so a loose strap cannot trigger a prompt. When good windows stop for longer than
``max_gap_s`` (contact lost, strap off) the run of high scores before the gap no longer counts:
the score has to stay high for ``min_on_s`` again after contact returns; an episode under way
ends there (nothing says it goes on), and a new one needs a new rise.

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
    on_score: float = 75.0
    off_score: float = 67.0
    min_on_s: float = 60.0
    min_off_s: float = 30.0
    max_gap_s: float = 90.0
    #: an episode ends when good windows stop for longer than max_gap_s (False: it waits for
    #: the score, as before issue 9; the benchmark re-runs that design)
    end_after_gap: bool = True
    #: a window between off_score and on_score does not break a run of high scores (False:
    #: every window must reach on_score, as before issue 9)
    dips_keep_run: bool = True


@dataclass(slots=True)
class Detector:
    params: DetectorParams = DetectorParams()
    stressed: bool = False
    _above_since: float | None = None
    _below_since: float | None = None
    _episode_start: float = 0.0
    _peak: float = 0.0
    _last_good_s: float | None = None
    _last_score: float = 0.0
    _fast: bool = False

    def update(
        self,
        t_s: float,
        score: float | None,
        *,
        rising_fast: bool = True,
        still_up: bool = True,
    ) -> DetectorEvent | None:
        """Feed one window (its end time and score; ``None`` when quality is poor), with whether
        heart rate rose fast into it and is still up at its end (see the module docstring)."""
        p = self.params
        if self._last_good_s is not None and t_s - self._last_good_s > p.max_gap_s:
            self._above_since = None
            self._below_since = None
            if self.stressed and p.end_after_gap:
                # Contact lost for longer than max_gap_s: nothing says the episode goes on.
                # It ends where the gap became too long; a new one needs a new rise.
                self.stressed = False
                return DetectorEvent(
                    EventKind.SETTLED,
                    self._last_good_s + p.max_gap_s,
                    self._last_score,
                    self._episode_start,
                    self._peak,
                )
        if score is None:
            return None
        self._last_good_s = t_s
        self._last_score = score
        if not self.stressed:
            # A run starts at on_score; a dip that stays at or above off_score does not end it.
            floor = p.off_score if p.dips_keep_run else p.on_score
            if score >= p.on_score or (self._above_since is not None and score >= floor):
                if self._above_since is None:
                    self._above_since = t_s
                    self._peak = score
                    self._fast = False
                self._peak = max(self._peak, score)
                self._fast = self._fast or rising_fast
                held = t_s - self._above_since >= p.min_on_s - _EPS_S
                if held and score >= p.on_score and self._fast and still_up:
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
