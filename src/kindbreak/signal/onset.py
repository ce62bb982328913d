"""Is a high score a stress response starting? Rate of rise and persistence. Pure.

Several things lift heart rate at a desk. Two facts tell a stress response from the others:

* **it rises fast**: within a minute or two, where a meal builds up over a quarter of an hour
  and the day's drift over hours. :func:`rise_sd` is the rise of the last minute's heart rate
  over the lowest of the last ``rise_windows`` good windows (3 min at the 30-s step; across a
  contact gap, the last ones before it), in the person's spreads; an episode may start only if
  it reached ``min_rise_sd`` while the score was high.
* **it lasts**: standing up or a burst of talking lifts heart rate for about a minute and falls
  back. The prompt waits until the score has been high for the detector's ``min_on_s`` *and*
  the heart rate of the window's last 30 s is still ``still_up_sd`` spreads over the recent calm
  state (:func:`still_up`), so a rise that is already over does not prompt.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OnsetParams:
    """``None`` turns a check off (the benchmark measures what each one does)."""

    rise_windows: int = 6
    min_rise_sd: float | None = 2.25
    still_up_sd: float | None = 2.5


def rise_sd(hr_bpm: float, earlier_hr_bpm: Iterable[float], spread_bpm: float) -> float:
    """Rise of ``hr_bpm`` over the lowest earlier value, in spreads; NaN without history."""
    low = min((h for h in earlier_hr_bpm if math.isfinite(h)), default=math.nan)
    return (hr_bpm - low) / spread_bpm


def rising_fast(rise: float, params: OnsetParams) -> bool:
    """Whether the rise counts as fast (False when unknown: no windows before it)."""
    return params.min_rise_sd is None or rise >= params.min_rise_sd


def still_up(
    latest_hr_bpm: float, ref_hr_bpm: float, spread_bpm: float, params: OnsetParams
) -> bool:
    """Whether the last 30 s are still high over the recent calm state (False when unknown)."""
    if params.still_up_sd is None:
        return True
    return (
        math.isfinite(latest_hr_bpm)
        and (latest_hr_bpm - ref_hr_bpm) / spread_bpm >= params.still_up_sd
    )
