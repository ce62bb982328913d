"""kindbreak's exception tree.

Every error the user can meet derives from :class:`KindbreakError` and carries a one-line
``hint`` the user can act on. Lower layers translate foreign exceptions at the boundary
(``raise DeviceNotFound(...) from exc``). The CLI maps :class:`UsageError` subclasses to exit
status 2 (bad input or usage) and everything else to 1 (runtime failure).

Poor signal quality is never an exception: it is data (a window's ``quality``).
"""

from __future__ import annotations

from pathlib import Path

EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), for every command; nothing is left half-written."""


class KindbreakError(Exception):
    """Root of every error kindbreak raises on purpose."""

    hint: str = ""
    exit_status: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class UsageError(KindbreakError):
    """Bad input or usage: the user can fix it by changing what they asked for."""

    exit_status = 2


# --- device errors -------------------------------------------------------------------------


class DeviceError(KindbreakError):
    """Something went wrong talking to a heart-rate device."""


class DeviceNotFound(DeviceError):
    hint = (
        "Wake the strap (wet the electrodes and put it on), keep it near, "
        "then run `kindbreak scan`."
    )

    def __init__(self, message: str, *, seen: tuple[str, ...] = (), hint: str | None = None):
        super().__init__(message, hint=hint)
        self.seen = seen


class AdapterUnavailable(DeviceError):
    hint = "Turn Bluetooth on (for example `bluetoothctl power on`) and try again."


class BluetoothPermissionDenied(DeviceError):
    hint = (
        "Allow Bluetooth for this terminal: on macOS in System Settings > Privacy & Security > "
        "Bluetooth; on Linux make sure your user may talk to BlueZ (group `bluetooth`)."
    )


class DeviceDisconnected(DeviceError):
    hint = "The strap went out of range or lost power; kindbreak reconnects on its own."


class NoDeviceChosen(UsageError):
    hint = "Run `kindbreak scan`, then `kindbreak monitor --device ADDRESS` once; it is remembered."


# --- data errors ---------------------------------------------------------------------------


class MalformedMeasurement(KindbreakError, ValueError):
    """A Heart Rate Measurement (0x2A37) payload that does not follow the spec.

    Raised by the pure parser; callers at the device edge count and skip such packets.
    """

    exit_status = 2
    hint = "The device sent a packet that is not a valid Heart Rate Measurement; it was skipped."


class InputFileError(UsageError):
    """A file the user gave us cannot be read as what it claims to be."""

    hint = (
        "Give a kindbreak recording (.jsonl), an RR text file (one interval in ms per line) "
        "or a CSV with an rr_ms column."
    )

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = f"{path}" if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {problem}", hint=hint)
        self.path = Path(path)
        self.line = line
        self.problem = problem


# --- configuration and storage -------------------------------------------------------------


class ConfigError(UsageError):
    hint = "Fix or remove that setting; every setting has a default."

    def __init__(
        self, path: Path | str | None, key: str | None, problem: str, *, hint: str | None = None
    ):
        where = str(path) if path is not None else "settings"
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {problem}", hint=hint)
        self.path = None if path is None else Path(path)
        self.key = key


class StoreError(KindbreakError):
    hint = "Check that the data directory is writable and not on a full disk."


class StoreBusy(StoreError):
    """Another process kept the log locked for longer than kindbreak waits."""

    hint = (
        "Another kindbreak is writing to the log; try again in a moment. "
        "If nothing else runs, the lock goes away with the process that held it."
    )


class StoreReadOnly(StoreError):
    """The log, its folder or its disk does not accept writes."""

    hint = (
        "Make the data folder writable (or use --data-dir for one that is); "
        "`kindbreak report` and `export` still read a read-only log."
    )


def local_time(wall: float) -> str:
    """``2026-03-02 10:00`` in the system's time zone (for messages)."""
    from datetime import datetime

    from kindbreak.clock import local_zone

    return datetime.fromtimestamp(wall, local_zone()).strftime("%Y-%m-%d %H:%M")


class MonitorRunning(KindbreakError):
    """A monitor already runs on this log: one monitor per log (``kindbreak.store.lock``)."""

    def __init__(self, db: Path, pid: int, since_wall: float) -> None:
        self.pid = pid
        self.since_wall = since_wall
        who = f"pid {pid}, since {local_time(since_wall)}" if pid else "its process is unknown"
        stop = f"Ctrl-C where it runs, or `kill {pid}`" if pid else "Ctrl-C where it runs"
        super().__init__(
            f"a monitor is already running on this log, {db} ({who})",
            hint=f"Stop that one first ({stop}), or give this one another --data-dir.",
        )


class StoreFull(StoreError):
    """The disk holding the log is full (or the write went over a size limit)."""

    hint = "Free some space on that disk; everything saved before this moment is intact."


class DamagedStore(StoreError):
    """The file is not an SQLite database, or is corrupt."""

    hint = "If the file is damaged, move it aside; kindbreak starts a new log."


class OutputFileError(UsageError):
    """A file the user asked kindbreak to write cannot be written there."""

    hint = "Choose a file in a folder you can write to."

    def __init__(self, path: Path | str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"{path}: {problem}", hint=hint)
        self.path = Path(path)
        self.problem = problem


# --- the background service --------------------------------------------------------------


class ServiceError(KindbreakError):
    """Installing, removing or asking about the background service failed."""

    hint = (
        "Without the service, run `kindbreak monitor --wait` in a terminal or from your "
        "desktop's autostart; it does the same."
    )


# --- notifications -------------------------------------------------------------------------


class NotifierError(KindbreakError):
    """A notification backend failed; the caller falls back to the terminal."""

    hint = "No desktop notification server answered; prompts will show in the terminal."


class PromptFileError(InputFileError):
    """The user's prompts file (TOML) cannot be read at all: not TOML, not UTF-8, unreadable.

    A single bad entry is not an error: it becomes a warning on the library and the rest loads.
    """

    hint = (
        "Fix the TOML in your prompts file (or move it aside); "
        "the built-in prompts work without it."
    )
