"""Opening the log and writing to it while other kindbreak processes use it too.

The log is shared: a monitor writes beats every second while ``kindbreak log``, ``pause``,
``report``, ``export`` and ``import`` run beside it. What makes that safe:

- every connection waits for a lock (SQLite's busy timeout, :data:`BUSY_TIMEOUT_S`) instead of
  failing at once;
- every write is one short ``BEGIN IMMEDIATE`` transaction (:func:`transaction`): the write lock
  is taken first, so a writer never has to upgrade a read snapshot that another writer made
  stale (the cause of "database is locked" with WAL), and it is held for milliseconds;
- read-only commands open the log read-only (``mode=ro``), so they also work on a read-only
  disk or folder and never create a log that was not there;
- the file is opened only as a plain file: a symbolic link is refused, a log (or its WAL and
  shared-memory files) that others may read is tightened to 0600.

Errors say what is actually wrong: locked, and by which process; read-only, and why; the disk
full; the file damaged (:func:`translate`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from kindbreak.errors import (
    DamagedStore,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreReadOnly,
)
from kindbreak.safefile import NOFOLLOW, PRIVATE_FILE_MODE, tighten_file

BUSY_TIMEOUT_S = 5.0
"""How long a statement waits for another process's lock before giving up."""
BEGIN_ATTEMPTS = 3
"""``BEGIN IMMEDIATE`` is tried this often (each waiting the busy timeout) before an error."""
SIDE_FILES = ("-wal", "-shm", "-journal")

# SQLite primary result codes (the low byte of an extended code).
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
WAL_WRITE_LOCK_OFFSET = 120
"""Byte of the ``-shm`` file a WAL writer locks (SQLite's WAL_WRITE_LOCK)."""
NEARLY_FULL_BYTES = 1 << 20


def side_file(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


# -- what went wrong ------------------------------------------------------------------------------


def error_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_busy(exc: sqlite3.Error) -> bool:
    if error_code(exc) in (SQLITE_BUSY, SQLITE_LOCKED):
        return True
    return "database is locked" in str(exc)


def readonly_reason(path: Path) -> str:
    """Why ``path`` (the log) cannot be written, as far as the system says."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "the disk it is on is mounted read-only"
    except OSError:
        pass
    try:
        if path.exists() and not os.access(path, os.W_OK):
            return "the file is read-only"
        if not os.access(folder, os.W_OK):
            return f"its folder {folder} is read-only"
    except OSError:
        pass
    return "it is read-only"


def _nearly_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < NEARLY_FULL_BYTES


def _proc_locks() -> str:
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def writer_pids(path: Path, *, locks_text: str | None = None) -> list[int]:
    """Processes holding the log's write lock (Linux, from ``/proc/locks``; else empty).

    In WAL mode the writer holds a POSIX lock on byte 120 of the ``-shm`` file; in the rollback
    journal modes it holds a write lock on the log file itself. Reading ``/proc/locks`` opens
    nothing of the log's, so it cannot disturb SQLite's own locks in this process.
    """
    wanted: dict[tuple[int, int, int], bool] = {}
    for p, is_shm in ((side_file(path, "-shm"), True), (path, False)):
        try:
            st = os.stat(p)
        except OSError:
            continue
        wanted[(os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)] = is_shm
    text = _proc_locks() if locks_text is None else locks_text
    pids: list[int] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8 or "->" in parts or parts[1] not in ("POSIX", "OFDLCK"):
            continue
        if parts[3] != "WRITE":
            continue
        try:
            pid = int(parts[4])
            major_s, minor_s, ino_s = parts[5].split(":")
            key = (int(major_s, 16), int(minor_s, 16), int(ino_s))
            start = int(parts[6])
            end = int(parts[7]) if parts[7] != "EOF" else 1 << 62
        except ValueError:
            continue
        if key not in wanted or pid in (0, os.getpid()) or pid in pids:
            continue
        if wanted[key] and not start <= WAL_WRITE_LOCK_OFFSET <= end:
            continue
        pids.append(pid)
    return pids


def describe_process(pid: int) -> str:
    """``kindbreak monitor (process 1234)``, ``sqlite3 (process 99)`` or ``process 5``."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return f"process {pid}"
    for i, arg in enumerate(argv):
        is_kb = Path(arg).name == "kindbreak" or (
            arg == "kindbreak" and i > 0 and argv[i - 1] == "-m"
        )
        if is_kb:
            command = next((a for a in argv[i + 1 :] if not a.startswith("-")), "")
            return f"kindbreak {command} (process {pid})".replace("  ", " ")
    name = Path(argv[0]).name if argv else ""
    return f"{name} (process {pid})" if name else f"process {pid}"


def lock_holder_text(path: Path) -> str:
    pids = writer_pids(path)
    if not pids:
        return "another process"
    return ", ".join(describe_process(p) for p in pids)


def translate(exc: sqlite3.Error, path: Path, doing: str) -> StoreError:
    """The StoreError that says what ``exc`` means for the log at ``path``.

    ``doing`` completes "could not ...", e.g. "write to the log".
    """
    code = error_code(exc)
    where = f"{path}: could not {doing}"
    if is_busy(exc):
        return StoreBusy(
            f"{where}: the log is locked by {lock_holder_text(path)} "
            f"(waited {BUSY_TIMEOUT_S * BEGIN_ATTEMPTS:g} s)"
        )
    if code in (SQLITE_READONLY, SQLITE_PERM):
        return StoreReadOnly(f"{where}: {readonly_reason(path)}")
    if code == SQLITE_FULL:
        return StoreFull(f"{where}: the disk is full")
    if code == SQLITE_IOERR:
        if _nearly_full(path.parent):
            return StoreFull(f"{where}: the disk is full")
        return StoreFull(
            f"{where}: the disk refused the write ({exc}; it may be full, over a size limit "
            "or failing)",
            hint="Check the disk's free space and health; everything saved before is intact.",
        )
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return DamagedStore(f"{where}: the file is not a kindbreak log or is damaged ({exc})")
    if code == SQLITE_CANTOPEN:
        if not os.access(path.parent, os.W_OK):
            return StoreReadOnly(f"{where}: {readonly_reason(path)}")
        return StoreError(f"{where}: SQLite cannot open the file ({exc})")
    return StoreError(f"{where} ({exc})")


def translate_os(exc: OSError, path: Path, doing: str) -> StoreError:
    where = f"{path}: could not {doing}"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreReadOnly(f"{where}: {readonly_reason(path)}")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StoreFull(f"{where}: the disk is full ({exc.strerror})")
    return StoreError(f"{where} ({exc.strerror or exc})")


# -- opening --------------------------------------------------------------------------------------


def _refuse_link(path: Path) -> os.stat_result | None:
    """lstat ``path``: None if missing; an error for a link or anything but a plain file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise translate_os(exc, path, "open the log") from exc
    if stat.S_ISLNK(st.st_mode):
        raise StoreError(
            f"{path}: is a symbolic link; kindbreak does not read or write its log through a link",
            hint="Move the link aside (the log must be a plain file in the data folder), "
            "or point --data-dir at the folder that holds the real log.",
        )
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(
            f"{path}: is not a plain file, so it cannot be the kindbreak log",
            hint="Move it aside; kindbreak starts a new log.",
        )
    return st


def check_files(path: Path) -> bool:
    """Refuse links at the log and its side files; True if the log exists."""
    exists = _refuse_link(path) is not None
    for suffix in SIDE_FILES:
        _refuse_link(side_file(path, suffix))
    return exists


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{quote(str(path.absolute()))}?{query}"


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (``mode=ro``): works on a read-only disk, creates nothing.

    SQLite needs the ``-shm`` file to read a WAL log; when it is missing and cannot be made
    (a read-only folder, a full disk) and there is no WAL content either, the file is read as
    immutable: nothing can change it while nobody can write there.
    """
    if not check_files(path):
        raise StoreError(f"{path}: there is no kindbreak log here yet")
    try:
        return _try_readonly(path, mode="ro")
    except sqlite3.Error as exc:
        wal = side_file(path, "-wal")
        no_wal = not wal.exists() or wal.stat().st_size == 0
        if error_code(exc) in (SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_IOERR) and no_wal:
            try:
                return _try_readonly(path, mode="ro", immutable="1")
            except sqlite3.Error as again:
                raise translate(again, path, "read the log") from again
        raise translate(exc, path, "read the log") from exc


def _try_readonly(path: Path, **params: str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        _uri(path, **params), uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
    )
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def connect_readwrite(path: Path) -> sqlite3.Connection:
    """A connection that may write; the file is created 0600 (never through a link), and a
    log or side file of ours that others may read is tightened to 0600."""
    if check_files(path):
        for p in (path, *(side_file(path, s) for s in SIDE_FILES)):
            tighten_file(p)
    else:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, PRIVATE_FILE_MODE)
            os.close(fd)
        except FileExistsError:  # another process made it just now
            check_files(path)
        except OSError as exc:
            raise translate_os(exc, path, "create the log") from exc
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, path, "open the log") from exc
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc, path, "open the log") from exc
    return conn


# -- writing --------------------------------------------------------------------------------------


def begin_immediate(conn: sqlite3.Connection, path: Path, doing: str) -> None:
    """Take the write lock, waiting up to :data:`BEGIN_ATTEMPTS` busy timeouts for it."""
    for attempt in range(1, BEGIN_ATTEMPTS + 1):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or attempt == BEGIN_ATTEMPTS:
                raise translate(exc, path, doing) from exc
            time.sleep(0.01 * attempt)
        except sqlite3.Error as exc:
            raise translate(exc, path, doing) from exc


@contextmanager
def transaction(
    conn: sqlite3.Connection, path: Path, doing: str = "write to the log"
) -> Iterator[sqlite3.Connection]:
    """One short write transaction: ``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any
    error or interruption (Ctrl-C included), so nothing is left half-written."""
    begin_immediate(conn, path, doing)
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise translate(exc, path, doing) from exc
        raise
