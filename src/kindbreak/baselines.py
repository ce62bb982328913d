"""The person's calm baseline across sessions and days, kept in the log.

Every session starts from the last 14 days of calm windows in the store (good quality, scored
rest or low), summarised by :class:`~kindbreak.signal.baseline.Baseline` (median and MAD); only
the very first session calibrates from its own first minutes. After each session a snapshot
goes to the ``baselines`` table, which ``kindbreak baseline`` shows.
"""

from __future__ import annotations

import sys

from kindbreak.paths import Paths
from kindbreak.signal.baseline import Baseline, CalmSample
from kindbreak.store.db import Store

BASELINE_HORIZON_S = 14 * 24 * 3600.0


def stored_baseline(store: Store, now_wall: float) -> Baseline | None:
    """The person's calm baseline from the last 14 days of the log (median and MAD of the calm
    windows' heart rate and RMSSD); ``None`` before the first session has been calibrated."""
    samples = [
        CalmSample(t, hr, rmssd)
        for t, hr, rmssd in store.calm_samples(since_wall=now_wall - BASELINE_HORIZON_S)
    ]
    return Baseline.from_samples(samples, learned_until_s=now_wall) if samples else None


def save_baseline_snapshot(store: Store, now_wall: float, session_id: int) -> None:
    """After a session, record the baseline as it now stands (``kindbreak baseline`` shows it)."""
    b = stored_baseline(store, now_wall)
    if b is not None:
        store.add_baseline(
            wall=now_wall,
            hr_bpm=b.hr_bpm,
            rmssd_ms=b.rmssd_ms,
            n_windows=b.n_windows,
            session_id=session_id,
        )


def show_baseline(paths: Paths, *, as_json: bool) -> int:
    """Show the person's calm baseline and when it was learned (from the store)."""
    import json
    from datetime import datetime

    if not paths.db.exists():
        sys.stdout.write(
            "No baseline yet: kindbreak learns your calm heart rate and HRV during the first "
            "minutes of your first monitoring session.\n"
        )
        return 0
    with Store(paths.db, readonly=True) as store:
        rows = store.query(
            "SELECT wall, hr_bpm, rmssd_ms, n_windows, session_id FROM baselines"
            " ORDER BY wall DESC LIMIT 14"
        )
    if as_json:
        sys.stdout.write(json.dumps([dict(r) for r in rows], indent=1) + "\n")
        return 0
    if not rows:
        sys.stdout.write("No baseline learned yet: it is learned during your first session.\n")
        return 0
    latest = rows[0]
    when = datetime.fromtimestamp(latest["wall"]).astimezone().strftime("%Y-%m-%d %H:%M")
    sys.stdout.write(
        f"Your calm baseline: heart rate {latest['hr_bpm']:.0f} bpm, "
        f"RMSSD {latest['rmssd_ms']:.0f} ms\n"
        f"  learned {when} from {latest['n_windows']} calm windows\n"
    )
    if len(rows) > 1:
        sys.stdout.write("  earlier:\n")
        for r in rows[1:]:
            day = datetime.fromtimestamp(r["wall"]).astimezone().strftime("%Y-%m-%d %H:%M")
            sys.stdout.write(f"    {day}  {r['hr_bpm']:.0f} bpm, RMSSD {r['rmssd_ms']:.0f} ms\n")
    return 0
