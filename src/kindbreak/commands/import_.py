"""``kindbreak import FILE...``: past recordings into the log, through the one pipeline
(FIT HRV messages, RR text and CSV, kindbreak recordings); importing a file twice adds nothing."""

from __future__ import annotations

from pathlib import Path

from kindbreak.commands.context import Context


def run(ctx: Context, *, files: list[Path], start_wall: float | None) -> int:
    from kindbreak.app import pipeline_settings
    from kindbreak.offline.importer import describe, import_file
    from kindbreak.store.db import Store

    settings = pipeline_settings(ctx.settings)
    with Store(ctx.paths.db) as store:
        for path in files:
            result = import_file(
                store, path, settings, start_wall=start_wall, stream=ctx.output.err
            )
            ctx.output.print(describe(result))
    return 0
