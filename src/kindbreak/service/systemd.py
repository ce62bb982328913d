"""kindbreak as a systemd user service (Linux).

The unit (``~/.config/systemd/user/kindbreak.service``, honouring ``XDG_CONFIG_HOME``) runs the
monitor of :mod:`kindbreak.service.spec`:

- **with the desktop session**: when the desktop starts ``graphical-session.target`` (GNOME,
  KDE Plasma, and most Wayland compositors do), the unit is ``WantedBy`` and ``PartOf`` it and
  ordered ``After`` it: it starts once the session has put ``DBUS_SESSION_BUS_ADDRESS``,
  ``DISPLAY`` and ``WAYLAND_DISPLAY`` into the user manager's environment (so notifications
  reach the desktop) and stops at logout. Where that target is not active (a bare window
  manager) the unit is ``WantedBy=default.target`` instead, and the monitor finds the session
  bus at its standard place (``$XDG_RUNTIME_DIR/bus``), looking for a notification server
  again before each prompt.
- **restarts on failure, within limits**: ``Restart=on-failure`` after 30 s, at most 5 starts
  in 15 minutes (then systemd gives up and ``kindbreak service status`` says so); a usage or
  settings error (exit status 2) is not retried, since a restart cannot mend it.
- **logs** go to the journal (``journalctl --user -u kindbreak``) and, as for any monitor, to
  kindbreak's own log file.
- files it makes are the person's alone (``UMask=0077``).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kindbreak.errors import ServiceError
from kindbreak.service.spec import ServiceSpec
from kindbreak.service.tool import ToolResult, check, have, run_tool

UNIT_NAME = "kindbreak.service"
GRAPHICAL_TARGET = "graphical-session.target"
DEFAULT_TARGET = "default.target"
RESTART_S = 30
START_LIMIT_INTERVAL_S = 900
START_LIMIT_BURST = 5
STOP_TIMEOUT_S = 30
NO_RESTART_EXIT_STATUS = 2
"""kindbreak's exit status for usage and settings errors: a restart cannot mend them."""

Runner = Callable[[Sequence[str]], ToolResult]

_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@")


def unit_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where systemd looks for the person's own units."""
    env = os.environ if env is None else env
    config = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(config) / "systemd" / "user"


def quote(arg: str) -> str:
    """One word of ``ExecStart=``: ``%`` and ``$`` escaped (specifiers and variables), quoted
    when it holds anything but plain path characters."""
    if any(ord(c) < 32 for c in arg):
        raise ServiceError(f"{arg!r} holds a control character; systemd cannot run it")
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if arg and set(arg) <= _PLAIN:
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_exec(value: str) -> list[str]:
    """The words of an ``ExecStart=`` written by :func:`quote` (the inverse)."""
    return [w.replace("%%", "%").replace("$$", "$") for w in shlex.split(value)]


def render_unit(spec: ServiceSpec, *, wanted_by: str, version: str) -> str:
    """The unit file's text (see the module docstring for each choice)."""
    graphical = wanted_by == GRAPHICAL_TARGET
    unit = [
        f"# Written by `kindbreak service install` (kindbreak {version}).",
        "# `kindbreak service uninstall` removes it; a new install writes it again.",
        "[Unit]",
        "Description=kindbreak: gentle breaks when your heartbeat says stress",
    ]
    if graphical:
        unit += [f"After={GRAPHICAL_TARGET}", f"PartOf={GRAPHICAL_TARGET}"]
    unit += [
        f"StartLimitIntervalSec={START_LIMIT_INTERVAL_S}",
        f"StartLimitBurst={START_LIMIT_BURST}",
        "",
        "[Service]",
        "Type=exec",
        "ExecStart=" + " ".join(quote(a) for a in spec.argv),
        "WorkingDirectory=%h",
        "Environment=PYTHONUNBUFFERED=1",
        "UMask=0077",
        "Restart=on-failure",
        f"RestartSec={RESTART_S}",
        f"RestartPreventExitStatus={NO_RESTART_EXIT_STATUS}",
        f"TimeoutStopSec={STOP_TIMEOUT_S}",
        "StandardOutput=journal",
        "StandardError=journal",
        "SyslogIdentifier=kindbreak",
        "",
        "[Install]",
        f"WantedBy={wanted_by}",
    ]
    return "\n".join(unit) + "\n"


def read_exec_start(text: str) -> list[str] | None:
    """The ``ExecStart=`` words of a unit's text (None if it has none)."""
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "ExecStart":
            return split_exec(value.strip())
    return None


@dataclass(frozen=True, slots=True)
class UnitStatus:
    path: Path
    installed: bool
    properties: dict[str, str]
    exec_start: list[str] | None

    def get(self, key: str) -> str:
        return self.properties.get(key, "")


STATUS_PROPERTIES = (
    "LoadState",
    "UnitFileState",
    "ActiveState",
    "SubState",
    "MainPID",
    "ExecMainStartTimestamp",
    "ActiveEnterTimestamp",
    "NRestarts",
    "Result",
    "ExecMainStatus",
)


class SystemdUser:
    """The person's systemd user manager, through ``systemctl --user``."""

    def __init__(self, directory: Path | None = None, runner: Runner = run_tool) -> None:
        self.directory = directory if directory is not None else unit_dir()
        self._run = runner

    @property
    def unit_path(self) -> Path:
        return self.directory / UNIT_NAME

    def _ctl(self, *args: str) -> ToolResult:
        return self._run(["systemctl", "--user", *args])

    def unavailable(self) -> str | None:
        """Why a user unit cannot be used here, or None when it can."""
        if not have("systemctl"):
            return "this system does not run systemd (no `systemctl`)"
        answer = self._ctl("show-environment")
        if not answer.ok:
            return f"the systemd user manager does not answer ({answer.why()})"
        return None

    def session_target(self) -> str:
        """graphical-session.target when the desktop runs it now, else default.target."""
        answer = self._ctl("is-active", GRAPHICAL_TARGET)
        return GRAPHICAL_TARGET if answer.stdout.strip() == "active" else DEFAULT_TARGET

    def install(self, text: str) -> None:
        """Write the unit (atomically, 0600), reload, enable it and (re)start it now."""
        from kindbreak.safefile import atomic_write_text

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServiceError(f"{self.directory}: cannot be made ({exc.strerror})") from exc
        atomic_write_text(self.unit_path, text, error=_file_error)
        check(self._ctl("daemon-reload"), "reloading the systemd user manager")
        check(self._ctl("enable", UNIT_NAME), "enabling kindbreak.service")
        check(self._ctl("restart", UNIT_NAME), "starting kindbreak.service")

    def uninstall(self) -> bool:
        """Stop, disable and remove the unit; False when there was none."""
        if not self.unit_path.exists() and not self.unit_path.is_symlink():
            return False
        self._ctl("disable", "--now", UNIT_NAME)  # a unit systemd never loaded is fine too
        try:
            self.unit_path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ServiceError(f"{self.unit_path}: cannot be removed ({exc.strerror})") from exc
        check(self._ctl("daemon-reload"), "reloading the systemd user manager")
        self._ctl("reset-failed", UNIT_NAME)
        return True

    def status(self) -> UnitStatus:
        path = self.unit_path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return UnitStatus(path, False, {}, None)
        except (OSError, UnicodeDecodeError) as exc:
            raise ServiceError(f"{path}: cannot be read ({exc})") from exc
        answer = self._ctl("show", UNIT_NAME, "--property=" + ",".join(STATUS_PROPERTIES))
        properties: dict[str, str] = {}
        if answer.ok:
            for line in answer.stdout.splitlines():
                key, sep, value = line.partition("=")
                if sep:
                    properties[key.strip()] = value.strip()
        return UnitStatus(path, True, properties, read_exec_start(text))


def _file_error(path: Path, problem: str, exc: OSError | None = None) -> ServiceError:
    return ServiceError(f"{path}: {problem}")
