"""``kindbreak import PATH...``: past recordings into the log, through the one pipeline
(FIT HRV messages, RR text and CSV, kindbreak recordings); importing a file twice adds nothing.

A PATH may be a folder (a Garmin export, months of FIT files): every file in it and in its
subfolders with a suffix kindbreak reads is imported, in name order. One progress bar covers
all the files; when there are several, a file that cannot be read gets one line naming it and
the problem, the others are imported all the same, and the exit status is 2. A single file that
cannot be read is the command's error (with its hint), as for every command.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kindbreak.commands.context import Context

SUFFIXES = frozenset({".fit", ".jsonl", ".txt", ".csv", ".tsv", ".rr", ".hrv"})
"""File suffixes (any case) imported from a folder; a file named on the command line is tried
whatever its suffix."""


def expand(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The files to import (folders expanded, each file once, in the order given) and the
    folders that hold none."""
    files: list[Path] = []
    empty: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.is_file()
            )
            if not found:
                empty.append(path)
        else:
            found = [path]
        for p in found:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                files.append(p)
    return files, empty


def run(
    ctx: Context,
    *,
    files: list[Path],
    start: datetime | None,
    progress: bool | None = None,
) -> int:
    """``start``: when the recordings began, for files that do not say (no zone: local time)."""
    from kindbreak.clock import local_zone
    from kindbreak.errors import InputFileError
    from kindbreak.offline.analysis import pipeline_settings
    from kindbreak.offline.importer import describe, import_file
    from kindbreak.progress import progress_bar
    from kindbreak.store.db import Store

    todo, empty = expand(files)
    failed = 0
    for folder in empty:
        ctx.output.note(f"{folder}: no FIT, RR text/CSV or recording files in this folder")
        failed += 1
    sizes = []
    for path in todo:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)  # the import names the problem
    settings = pipeline_settings(ctx.settings)
    zone = local_zone(ctx.settings.prompts.timezone)
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    start_wall = start.timestamp() if start is not None else None
    label = f"importing {len(todo)} files" if len(todo) > 1 else "importing"
    imported = duplicates = 0
    with (
        Store(ctx.paths.db) as store,
        progress_bar(2 * sum(sizes), label, ctx.output.err, enabled=progress) as bar,
    ):
        offset = 0
        for path, size in zip(todo, sizes, strict=True):
            base = offset

            def advance(done: int, base: int = base) -> None:
                bar.advance(base + done)

            try:
                result = import_file(store, path, settings, start_wall=start_wall, advance=advance)
            except InputFileError as exc:
                if len(todo) == 1 and not empty:
                    raise  # one file: its error, with the hint, is the command's
                failed += 1
                bar.print(f"kindbreak: {exc}", ctx.output.err)
            else:
                imported += not result.duplicate
                duplicates += result.duplicate
                bar.print(describe(result, zone), ctx.output.out)
            offset += 2 * size
            bar.advance(offset)
    if len(todo) + len(empty) > 1:
        parts = [f"{imported} imported", f"{duplicates} already in your log"]
        if failed:
            parts.append(f"{failed} could not be read")
        ctx.output.note(f"{len(todo)} files: " + ", ".join(parts) + ".")
    return 2 if failed else 0
