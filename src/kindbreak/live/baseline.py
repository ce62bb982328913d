"""The person's calm baseline across sessions and days, kept in the log.

Every session starts from the last 14 days of calm windows in the store (good quality, scored,
outside stress episodes), summarised by :class:`~kindbreak.signal.baseline.Baseline` (median
and MAD); only the very first session calibrates from its own first minutes. After each
session a snapshot goes to the ``baselines`` table, which ``kindbreak baseline`` shows
(:mod:`kindbreak.commands.baseline`).
"""

from __future__ import annotations

from kindbreak.signal.baseline import HORIZON_S, Baseline, CalmSample
from kindbreak.store.db import Store


def stored_baseline(store: Store, now_wall: float) -> Baseline | None:
    """The person's calm baseline from the last 14 days of the log (median and MAD of the calm
    windows' heart rate and RMSSD, the heart-rate spread taken around the recent calm state each
    window was scored against); ``None`` before the first session has been calibrated."""
    samples = [CalmSample(*row) for row in store.calm_samples(since_wall=now_wall - HORIZON_S)]
    return Baseline.from_samples(samples, learned_until_s=now_wall) if samples else None


def save_baseline_snapshot(store: Store, now_wall: float, session_id: int) -> None:
    """After a session, record the baseline as it now stands (``kindbreak baseline`` shows it)."""
    b = stored_baseline(store, now_wall)
    if b is not None:
        store.add_baseline(wall=now_wall, baseline=b, session_id=session_id)
