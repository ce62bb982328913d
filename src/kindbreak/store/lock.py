"""One monitor per log: ``monitor.lock`` beside the log, held while a monitor (or the demo)
writes a session into it.

The lock is the operating system's (``flock`` on Linux and macOS, ``msvcrt.locking`` on
Windows) on the open file, so it goes away with the process however the process ends: a monitor
killed with ``kill -9`` or a power cut leaves its file behind but not its lock, and the next
monitor takes it over (and says so in the log file). The file records who holds it: the
process id, since when, what it monitors. A second monitor reads that for its one-line refusal
(:class:`~kindbreak.errors.MonitorRunning`), and anyone may ask :func:`monitor_holder`.
Commands that only add a practice or read the log (``log``, ``pause``, ``report``) do not take
it: the log is shared safely with them (:mod:`kindbreak.store.connection`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from kindbreak.errors import MonitorRunning, local_time
from kindbreak.safefile import CLOEXEC, NOFOLLOW, PRIVATE_FILE_MODE, data_error, os_problem

LOCK_NAME = "monitor.lock"
_WINDOWS_LOCK_OFFSET = 1 << 20  # Windows locks bytes: lock one far past what the file says

log = logging.getLogger("kindbreak")


@dataclass(frozen=True, slots=True)
class MonitorHolder:
    """Who holds (or last held) the lock of a log."""

    pid: int
    since_wall: float
    source: str = ""
    device: str = ""

    def to_json(self) -> str:
        fields = {"pid": self.pid, "since_wall": self.since_wall}
        return json.dumps({**fields, "source": self.source, "device": self.device})

    @staticmethod
    def from_json(text: str) -> MonitorHolder | None:
        """The holder a lock file names, or None for an empty or unreadable one."""
        try:
            raw = json.loads(text)
            return MonitorHolder(
                pid=int(raw["pid"]),
                since_wall=float(raw["since_wall"]),
                source=str(raw.get("source", "")),
                device=str(raw.get("device", "")),
            )
        except (ValueError, TypeError, KeyError):
            return None


def lock_path(db: Path) -> Path:
    """The lock file of the log ``db`` (one log per data folder)."""
    return db.with_name(LOCK_NAME)


def _open(path: Path, flags: int) -> int:
    try:
        fd = os.open(path, flags | NOFOLLOW | CLOEXEC, PRIVATE_FILE_MODE)
    except OSError as exc:
        raise data_error(path, os_problem(exc), exc) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise data_error(path, "is not a plain file", None)
    return fd


def _try_lock(fd: int) -> bool:
    """Take the lock on ``fd`` without waiting; False when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 4096).decode("utf-8", "replace")


def monitor_holder(db: Path) -> MonitorHolder | None:
    """The monitor running on the log ``db`` now, or None when none is."""
    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW | CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise data_error(path, os_problem(exc), exc) from exc
    try:
        if _try_lock(fd):
            return None  # nobody holds it (closing the descriptor lets it go again)
        return MonitorHolder.from_json(_read(fd)) or MonitorHolder(0, 0.0)
    finally:
        os.close(fd)


class MonitorLock:
    """The log's lock: :meth:`acquire` takes it or raises
    :class:`~kindbreak.errors.MonitorRunning` naming the monitor that holds it; :meth:`release`
    lets it go. Also a context manager."""

    def __init__(self, db: Path, *, now_wall: float, source: str = "", device: str = "") -> None:
        self.db = db
        self.path = lock_path(db)
        self.holder = MonitorHolder(os.getpid(), now_wall, source, device)
        self._fd: int | None = None

    def acquire(self) -> MonitorLock:
        fd = _open(self.path, os.O_RDWR | os.O_CREAT)
        try:
            if not _try_lock(fd):
                other = MonitorHolder.from_json(_read(fd)) or MonitorHolder(0, 0.0)
                raise MonitorRunning(self.db, other.pid, other.since_wall)
            stale = MonitorHolder.from_json(_read(fd))
            if stale is not None:
                log.info(
                    "took over the monitor lock of %s from process %d (running since %s), "
                    "which ended without letting it go",
                    self.path.parent,
                    stale.pid,
                    local_time(stale.since_wall),
                )
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, self.holder.to_json().encode("utf-8"))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            # An empty file: nobody runs (a named holder without the lock is a stale one). On a
            # full or read-only disk this fails; the lock goes with the descriptor all the same.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        finally:
            os.close(fd)

    def __enter__(self) -> MonitorLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
