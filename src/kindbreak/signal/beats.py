"""Placing beats in time from notifications. Pure.

A 0x2A37 notification carries no timestamps: only its arrival time and the RR intervals of the
beats since the last one, oldest first. :class:`BeatPlacer` keeps a chain of beat times built
from the RR values themselves (beat-to-beat precision), and uses arrival times only to keep that
chain honest:

* **continuity**: each new interval starts where the previous beat ended;
* **duplicates**: a strap sometimes repeats an RR in the next notification. A beat cannot end
  after the notification that reports it arrives, so if chaining a notification's RR would
  put its last beat later than its arrival (plus ``ahead_tolerance_s`` for timestamp jitter),
  the overshoot is matched by cumulative time: the oldest value is a repeat when it accounts
  for the overshoot and is bit-identical to the last value already placed (a repeat is the
  same tick count sent again). An overshoot
  that no repeat explains is a late anchor or clock drift (RR sums drift from the host
  clock): the chain is shifted back to the arrival time, and no beat is lost. Right after an
  anchor (the first ``settle_notifications``) a repeat cannot be told from an anchor placed
  too late (a 1 Hz strap reports beats up to a second old), so the chain is only shifted
  there: a rare repeat at (re)connection costs one extra beat, a wrong call would cost a real
  one on every steady heartbeat;
* **gaps**: when the chain falls behind the arrival time by more than ``gap_tolerance_s``
  (beats were lost: link drop, contact loss, notifications without RR), the chain is re-anchored
  at the arrival time, walking back through the new RR, and the first new beat is marked
  ``gap_before``, so no window ever bridges the hole with a fake interval.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Beat:
    """One heartbeat: the time it ended (s, session clock) and the interval ending at it."""

    t_s: float
    rr_ms: float
    gap_before: bool = False


@dataclass(slots=True)
class BeatPlacer:
    """Turns each notification's (arrival, RR list) into placed, deduplicated beats."""

    ahead_tolerance_s: float = 0.3
    gap_tolerance_s: float = 3.0
    _last_beat_s: float | None = None
    _pending_gap: bool = True
    _last_rr_ms: float | None = None
    settle_notifications: int = 3
    repeat_match_ms: float = 0.01
    _since_anchor: int = 0
    duplicates_dropped: int = 0
    gaps: int = 0

    def mark_gap(self) -> None:
        """Called on contact loss or a link drop: the next beat starts a new chain."""
        self._pending_gap = True

    def place(self, arrival_s: float, rr_ms: tuple[float, ...]) -> list[Beat]:
        if not rr_ms:
            return []
        values = [float(v) for v in rr_ms if v > 0]
        if not values:
            return []
        last = self._last_beat_s
        gap = self._pending_gap or last is None
        if not gap and last is not None:
            # Drop repeats: while chaining would land beyond the arrival, the oldest value was
            # already counted in an earlier notification.
            chained_end = last + sum(values) / 1000.0
            while (
                values
                and self._since_anchor >= self.settle_notifications
                and chained_end > arrival_s + self.ahead_tolerance_s
                and self._last_rr_ms is not None
                and abs(values[0] - self._last_rr_ms) <= self.repeat_match_ms
                and chained_end - arrival_s >= 0.5 * values[0] / 1000.0
            ):
                chained_end -= values.pop(0) / 1000.0
                self.duplicates_dropped += 1
            if not values:
                return []
            if chained_end > arrival_s:
                # A beat cannot end after its notification arrived: the anchor was late or the
                # clocks drift. Pull the chain back to the arrival time (every time, so the
                # chain follows the earliest arrivals and a later overshoot stands out).
                last -= chained_end - arrival_s
            if arrival_s - chained_end > self.gap_tolerance_s:
                gap = True

        beats: list[Beat] = []
        if gap:
            self.gaps += 1 if last is not None else 0
            # Anchor the newest beat at arrival and walk back through the intervals.
            t = arrival_s
            times = []
            for v in reversed(values):
                times.append(t)
                t -= v / 1000.0
            times.reverse()
            if last is not None:
                # Never place a beat at or before one already placed.
                keep = [i for i, ts in enumerate(times) if ts > last + 0.05]
                values = [values[i] for i in keep]
                times = [times[i] for i in keep]
            for i, (ts, v) in enumerate(zip(times, values, strict=True)):
                beats.append(Beat(ts, v, gap_before=(i == 0)))
        else:
            assert last is not None
            t = last
            for v in values:
                t += v / 1000.0
                beats.append(Beat(t, v, gap_before=False))
        if beats:
            self._last_beat_s = beats[-1].t_s
            self._last_rr_ms = beats[-1].rr_ms
            self._since_anchor = 1 if gap else self._since_anchor + 1
            self._pending_gap = False
        return beats
