"""``kindbreak baseline``: the person's calm baseline and when it was learned (from the log)."""

from __future__ import annotations

from kindbreak.commands.context import Context


def run(ctx: Context, *, as_json: bool) -> int:
    from dataclasses import asdict
    from datetime import datetime

    from kindbreak.clock import local_zone
    from kindbreak.store.db import Store

    out = ctx.output
    if not ctx.paths.db.exists():
        out.print(
            "No baseline yet: kindbreak learns your calm heart rate and HRV during the first "
            "minutes of your first monitoring session."
        )
        return 0
    with Store(ctx.paths.db, readonly=True) as store:
        rows = store.baselines(limit=14)
    if as_json:
        out.json([asdict(r) for r in rows])
        return 0
    if not rows:
        out.print("No baseline learned yet: it is learned during your first session.")
        return 0
    latest = rows[0]
    zone = local_zone(ctx.settings.prompts.timezone)
    when = datetime.fromtimestamp(latest.wall, zone).strftime("%Y-%m-%d %H:%M")
    out.print(
        f"Your calm baseline: heart rate {latest.hr_bpm:.0f} bpm, RMSSD {latest.rmssd_ms:.0f} ms"
    )
    out.print(f"  learned {when} from {latest.n_windows} calm windows")
    if len(rows) > 1:
        out.print("  earlier:")
        for r in rows[1:]:
            day = datetime.fromtimestamp(r.wall, zone).strftime("%Y-%m-%d %H:%M")
            out.print(f"    {day}  {r.hr_bpm:.0f} bpm, RMSSD {r.rmssd_ms:.0f} ms")
    return 0
