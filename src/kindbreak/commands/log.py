"""``kindbreak log done|skipped``: answer the last prompt, or log a practice taken on one's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kindbreak.commands.context import Context

if TYPE_CHECKING:
    from kindbreak.clock import Clock


def run(
    ctx: Context, *, outcome: str, note: str, kind: str | None, clock: Clock | None = None
) -> int:
    from kindbreak.clock import SystemClock
    from kindbreak.paths import ensure_private_dir
    from kindbreak.practice import log_practice
    from kindbreak.store.db import Store

    clock = clock if clock is not None else SystemClock()
    ensure_private_dir(ctx.paths.data_dir)
    with Store(ctx.paths.db) as store:
        logged = log_practice(store, outcome=outcome, now_wall=clock.wall(), note=note, kind=kind)
    ctx.output.print(logged.confirmation())
    return 0
