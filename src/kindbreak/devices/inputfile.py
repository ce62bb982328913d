"""Reading a file the user gave us, within bounds, whatever it holds.

Every reader of recordings, RR text, CSV and FIT files comes through here, so the same limits
hold everywhere and an error always names the file (and the line):

- only a plain file is read: a folder, ``/dev/zero``, a pipe or a socket is refused at once;
- text is read line by line, never whole: memory stays bounded whatever the file's size, and a
  line longer than :data:`MAX_LINE_BYTES` is refused (a CSV field of megabytes, a file with no
  line breaks);
- times are physical: a recording spans at most :data:`MAX_RECORDING_S`, its start lies between
  :data:`MIN_START_WALL` and :data:`MAX_START_WALL` (so ``1e300`` or a jump of 1e9 s is an
  input error with its line, not hours of CPU or a 30 GiB allocation);
- ``progress`` callbacks get the bytes read so far, for a progress bar on long files.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from kindbreak.errors import InputFileError

MAX_LINE_BYTES = 64 * 1024
"""No line of a recording, RR text or CSV is longer (a recording line is under 200 bytes)."""
MAX_RECORDING_S = 14 * 24 * 3600.0
"""The longest recording kindbreak reads: 14 days (a Holter recording lasts up to 7)."""
MAX_TIME_S = 1e10
"""No time value in a file is larger (seconds: 317 years; Unix time is 1.8e9 in 2027)."""
MIN_START_WALL = datetime(1980, 1, 1, tzinfo=UTC).timestamp()
MAX_START_WALL = datetime(2100, 1, 1, tzinfo=UTC).timestamp()
SNIFF_BYTES = 4096

Progress = Callable[[int], None]
"""Called with the number of bytes read so far."""


def open_input(path: Path, *, what: str = "file") -> tuple[BinaryIO, int]:
    """``(binary file, size in bytes)`` of a plain file; anything else is an InputFileError."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        raise InputFileError(path, "no such file") from exc
    except IsADirectoryError as exc:
        raise InputFileError(path, f"is a directory, not a {what}") from exc
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror})") from exc
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputFileError(path, f"is a directory, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            kind = (
                "a device"
                if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a pipe"
                if stat.S_ISFIFO(st.st_mode)
                else "a socket"
                if stat.S_ISSOCK(st.st_mode)
                else "not a plain file"
            )
            raise InputFileError(
                path,
                f"is {kind}, not a {what}",
                hint="Give a file saved on disk (a recording, RR text or CSV, or a FIT file).",
            )
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb"), st.st_size


def head_bytes(path: Path) -> bytes:
    """The first :data:`SNIFF_BYTES` of a plain file (to tell FIT, recording and text apart)."""
    fh, _ = open_input(path)
    with fh:
        return fh.read(SNIFF_BYTES)


def iter_lines(
    path: Path,
    fh: BinaryIO,
    *,
    progress: Progress | None = None,
    first_line: int = 1,
) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each line, decoded as UTF-8 (a BOM on line 1 is dropped).

    Errors name the line: binary data (a NUL byte), not UTF-8, longer than
    :data:`MAX_LINE_BYTES`. Line endings are kept, as the csv module wants them.
    """
    lineno = first_line - 1
    done = 0
    while True:
        raw = fh.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        lineno += 1
        done += len(raw)
        if len(raw) > MAX_LINE_BYTES:
            raise InputFileError(
                path,
                f"the line is longer than {MAX_LINE_BYTES // 1024} KiB; no recording, RR or CSV "
                "line is that long",
                line=lineno,
            )
        if b"\0" in raw:
            raise InputFileError(path, "is a binary file, not text", line=lineno)
        try:
            text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise InputFileError(path, "is not UTF-8 text", line=lineno) from exc
        if progress is not None:
            progress(done)
        yield lineno, text


def check_span(path: Path, line: int | None, t_s: float, t0_s: float, what: str = "time") -> None:
    """A time ``t_s`` of a recording that started at ``t0_s``: at most 14 days later."""
    if t_s - t0_s > MAX_RECORDING_S:
        raise InputFileError(
            path,
            f"{what} {t_s:g} s is {(t_s - t0_s) / 86400.0:.3g} days after the start; kindbreak "
            f"reads recordings of at most {MAX_RECORDING_S / 86400.0:g} days",
            line=line,
            hint="Check the file's times (a clock jump?), or split a longer recording.",
        )


def check_start_wall(path: Path, line: int | None, wall_s: float, what: str) -> float:
    """A wall-clock start (Unix seconds) between 1980 and 2100."""
    if not MIN_START_WALL <= wall_s < MAX_START_WALL:
        raise InputFileError(
            path,
            f"{what} is not a plausible time for a recording (before 1980 or after 2099)",
            line=line,
            hint="Fix the start time in the file, or give it with --start.",
        )
    return wall_s


def datetime_wall(path: Path, line: int | None, when: datetime, what: str) -> float:
    """A datetime from a file as Unix seconds, within :func:`check_start_wall`'s range."""
    try:
        wall = when.timestamp()
    except (OverflowError, ValueError, OSError) as exc:
        raise InputFileError(
            path, f"{what} {when.isoformat()} is not a plausible time for a recording", line=line
        ) from exc
    return check_start_wall(path, line, wall, f"{what} {when.isoformat()}")
