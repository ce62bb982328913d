"""``kindbreak report``: stress against the breaks taken, per day, in the terminal or as one
self-contained HTML page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kindbreak.commands.context import Context


def run(ctx: Context, *, since: date | None, days: int | None, html: Path | None) -> int:
    from kindbreak.clock import local_zone
    from kindbreak.report.model import build_report
    from kindbreak.store.db import Store

    tz = local_zone(ctx.settings.prompts.timezone)
    if ctx.paths.db.exists() or ctx.paths.db.is_symlink():
        with Store(ctx.paths.db, readonly=True) as store:
            report = build_report(store, tz, since=since, days=days)
    else:  # no log yet: say so, without creating one
        report = build_report(None, tz, since=since, days=days)
    if html is not None:
        from kindbreak.report.html import write_html

        write_html(report, html)
        ctx.output.note(f"wrote {html} (readable by you alone)")
        return 0
    from kindbreak.report.terminal import render

    render(report, ctx.output.out)
    return 0
