"""A progress bar for reading long files (``analyze``, ``import``), by bytes read.

Shown on a terminal only, and only for files of at least :data:`MIN_BYTES`; rich is imported
only then. Updates are throttled so a million-line file pays for a few hundred redraws, not a
million.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

MIN_BYTES = 256 * 1024
"""About 40 minutes of recorded notifications, or 35,000 lines of RR text."""
STEPS = 200


@contextmanager
def byte_progress(
    total_bytes: int, label: str, stream: TextIO, *, enabled: bool | None = None
) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(bytes_done)``; the bar goes away when the block ends."""
    with progress_bar(total_bytes, label, stream, enabled=enabled) as bar:
        yield bar.advance


class Bar:
    """A running bar (or none): ``advance(bytes_done)``, and ``print(text, out)`` for a line
    that must not tear the bar (written above it when both share the terminal)."""

    def __init__(self, advance: Callable[[int], None], console: object | None) -> None:
        self.advance = advance
        self._console = console

    def print(self, text: str, out: TextIO) -> None:
        if self._console is not None and out.isatty():
            self._console.print(text, markup=False, highlight=False, soft_wrap=True)  # type: ignore[attr-defined]
        else:
            out.write(text + "\n")
            out.flush()


@contextmanager
def progress_bar(
    total_bytes: int, label: str, stream: TextIO, *, enabled: bool | None = None
) -> Iterator[Bar]:
    """A :class:`Bar` over ``total_bytes``; shown on a terminal for at least MIN_BYTES."""
    if enabled is None:
        enabled = total_bytes >= MIN_BYTES and stream.isatty()
    if not enabled or total_bytes <= 0:
        yield Bar(lambda done: None, None)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    )
    task = bar.add_task(label, total=total_bytes)
    step = max(1, total_bytes // STEPS)
    shown = 0

    def advance(done: int) -> None:
        nonlocal shown
        if done - shown >= step:
            shown = done
            bar.update(task, completed=done)

    bar.start()
    try:
        yield Bar(advance, bar.console)
    finally:
        bar.update(task, completed=total_bytes)
        bar.stop()
