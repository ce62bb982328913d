"""Writing files safely: never through a symbolic link, never over a file by accident, never
half-written, always readable by the user alone.

- :func:`atomic_writer` writes a whole file (report, export, pause file, settings): the text goes
  to a temporary file with an unpredictable name in the target's own folder, created with
  ``O_EXCL | O_NOFOLLOW`` and mode 0600, flushed to disk and renamed over the target. A symbolic
  link at the target is replaced, never written through; an interrupted write leaves the old
  file as it was.
- :func:`create_file` starts a file that grows while it is written (a recording): a new name is
  created with ``O_EXCL | O_NOFOLLOW``; with ``replace=True`` an empty file is swapped in for
  the old one atomically, at that moment and not before.
- :func:`open_append` opens a log file for appending without following a link.
- :func:`private_dir` makes kindbreak's folders (0700) and tightens one it owns that is looser.

Errors become a :class:`~kindbreak.errors.KindbreakError` naming the file, built by the
caller's ``error`` factory (an output the user asked for is a usage error; the data folder a
runtime one), with the problem in words: read-only disk, disk full, a symbolic link.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from kindbreak.errors import KindbreakError, OutputFileError

log = logging.getLogger("kindbreak")

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)

ErrorFactory = Callable[[Path, str, "OSError | None"], KindbreakError]
"""Builds the error for a file: (path, the problem in words, the OSError behind it if any)."""

_PROBLEMS = {
    errno.EROFS: "is on a read-only disk",
    errno.EACCES: "is not writable for you (permission denied)",
    errno.EPERM: "is not writable for you (operation not permitted)",
    errno.ENOSPC: "cannot be written: the disk is full",
    errno.EDQUOT: "cannot be written: your disk quota is used up",
    errno.EFBIG: "cannot be written: the file would exceed the size limit",
    errno.EISDIR: "is a directory, not a file",
    errno.ENOENT: "cannot be written: its folder does not exist",
    errno.ENOTDIR: "cannot be written: a part of its path is not a folder",
    errno.ELOOP: "is a symbolic link; kindbreak does not write through links",
    errno.EEXIST: "already exists",
}


def os_problem(exc: OSError) -> str:
    """What an OSError means for a file we write, in words (without the file's name)."""
    if exc.errno in _PROBLEMS:
        return _PROBLEMS[exc.errno]
    return f"cannot be written ({exc.strerror or exc})"


def output_error(path: Path, problem: str, exc: OSError | None = None) -> KindbreakError:
    """A file the user named (``--out``, ``--html``): a usage error (exit 2)."""
    return OutputFileError(path, problem)


def data_error(path: Path, problem: str, exc: OSError | None = None) -> KindbreakError:
    """A file of kindbreak's own (the data folder, the pause file): a runtime error (exit 1)
    that says read-only or full when it is."""
    from kindbreak.errors import StoreError, StoreFull, StoreReadOnly

    code = exc.errno if exc is not None else None
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreReadOnly(f"{path}: {problem}")
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StoreFull(f"{path}: {problem}")
    return StoreError(f"{path}: {problem}")


def _refuse_special(path: Path, error: ErrorFactory) -> None:
    """A target that exists must be a plain file or a symbolic link (which is replaced)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise error(path, os_problem(exc), exc) from exc
    if stat.S_ISDIR(st.st_mode):
        raise error(path, "is a directory, not a file", None)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        raise error(
            path,
            "is not a plain file (a device, pipe or socket); kindbreak does not write to it",
            None,
        )


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder; the rename is done anyway
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_writer(
    path: Path,
    *,
    error: ErrorFactory = output_error,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[TextIO]:
    """Write ``path`` whole or not at all (see the module docstring)."""
    path = Path(path)
    _refuse_special(path, error)
    folder = path.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise error(path, os_problem(exc), exc) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise error(path, os_problem(exc), exc) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(folder)


def atomic_write_text(path: Path, text: str, *, error: ErrorFactory = output_error) -> None:
    with atomic_writer(path, error=error) as fh:
        fh.write(text)


def create_file(path: Path, *, replace: bool = False, error: ErrorFactory = output_error) -> TextIO:
    """A new, empty file at ``path`` (0600), open for writing text.

    Without ``replace`` an existing file (or link) at ``path`` is an error, decided by the
    kernel at creation (``O_EXCL``), so nothing is ever truncated. With ``replace`` an empty
    file with an unpredictable temporary name is renamed over ``path``: the old file (or link)
    is gone only from this moment, and nothing is written through a link.
    """
    path = Path(path)
    _refuse_special(path, error)
    try:
        if replace:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            try:
                os.replace(tmp, path)
            except BaseException:
                os.close(fd)
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        else:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC
            fd = os.open(path, flags, PRIVATE_FILE_MODE)
    except FileExistsError as exc:
        raise error(path, "already exists", exc) from exc
    except OSError as exc:
        raise error(path, os_problem(exc), exc) from exc
    return os.fdopen(fd, "w", encoding="utf-8")


def open_append(path: Path, *, error: ErrorFactory = output_error) -> int:
    """A file descriptor appending to ``path`` (created 0600; a looser mode is tightened).

    A symbolic link at ``path`` is refused (``O_NOFOLLOW``), and so is anything but a plain
    file (``/dev/zero``, a pipe).
    """
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | NOFOLLOW | CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(path, flags, PRIVATE_FILE_MODE)
    except OSError as exc:
        raise error(path, os_problem(exc), exc) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(path, "is not a plain file", None)
        os.set_blocking(fd, True)
        tighten_fd(fd, st, path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _looser(mode: int, private: int) -> bool:
    return bool(stat.S_IMODE(mode) & ~private & 0o777)


def tighten_fd(fd: int, st: os.stat_result, path: Path) -> None:
    """Make an open file of ours 0600 if it is readable or writable by others."""
    if _looser(st.st_mode, PRIVATE_FILE_MODE) and st.st_uid == os.geteuid():
        with contextlib.suppress(OSError):
            os.fchmod(fd, PRIVATE_FILE_MODE)
            log.info(
                "tightened %s from %o to %o", path, stat.S_IMODE(st.st_mode), PRIVATE_FILE_MODE
            )


def tighten_file(path: Path) -> None:
    """Make ``path`` 0600 if it is ours, a plain file (not a link) and looser than that.

    By name, never by opening it: closing a descriptor of a file drops every POSIX lock this
    process holds on it, SQLite's included.
    """
    try:
        st = os.lstat(path)
    except OSError:
        return
    if (
        stat.S_ISREG(st.st_mode)
        and st.st_uid == os.geteuid()
        and _looser(st.st_mode, PRIVATE_FILE_MODE)
    ):
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_FILE_MODE)
            log.info(
                "tightened %s from %o to %o", path, stat.S_IMODE(st.st_mode), PRIVATE_FILE_MODE
            )


def _shared_folder(path: Path, st: os.stat_result) -> bool:
    """A folder others rely on: sticky (like /tmp), the root or the home folder."""
    if st.st_mode & stat.S_ISVTX:
        return True
    try:
        resolved = path.resolve()
        return resolved == Path(resolved.anchor) or resolved == Path.home().resolve()
    except (OSError, RuntimeError):
        return True


def private_dir(path: Path, *, error: ErrorFactory = output_error) -> Path:
    """Create ``path`` and its parents (0700); a folder of ours that others may read is
    tightened to 0700 (never a shared one such as /tmp or the home folder)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        st = os.stat(path)
    except FileExistsError as exc:  # mkdir says so when path is a file
        raise error(path, "is a file, not a folder", exc) from exc
    except NotADirectoryError as exc:
        raise error(
            path, "cannot be made: a part of its path is a file, not a folder", exc
        ) from exc
    except OSError as exc:
        raise error(path, os_problem(exc), exc) from exc
    if not stat.S_ISDIR(st.st_mode):
        raise error(path, "is not a folder", None)
    if (
        _looser(st.st_mode, PRIVATE_DIR_MODE)
        and st.st_uid == os.geteuid()
        and not _shared_folder(path, st)
    ):
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_DIR_MODE)
            log.info(
                "tightened the folder %s from %o to %o",
                path,
                stat.S_IMODE(st.st_mode),
                PRIVATE_DIR_MODE,
            )
    return path
