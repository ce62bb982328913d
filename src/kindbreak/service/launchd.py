"""kindbreak as a launchd agent (macOS).

``~/Library/LaunchAgents/org.kindbreak.monitor.plist`` runs the monitor of
:mod:`kindbreak.service.spec` in the person's GUI session (``LimitLoadToSessionType=Aqua``:
notifications need it) from login (``RunAtLoad``), starts it again when it exits with a failure
(``KeepAlive.SuccessfulExit=false``, at most every 30 s: ``ThrottleInterval``), writes its
output to ``service.log`` beside kindbreak's log file, and makes files the person's alone
(``Umask`` 0077). It is loaded with ``launchctl bootstrap gui/UID`` and removed with
``launchctl bootout``.
"""

from __future__ import annotations

import os
import plistlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kindbreak.errors import ServiceError
from kindbreak.service.spec import ServiceSpec
from kindbreak.service.tool import ToolResult, check, have, run_tool

LABEL = "org.kindbreak.monitor"
THROTTLE_S = 30
UMASK = 0o077

Runner = Callable[[Sequence[str]], ToolResult]


def agent_dir(home: Path | None = None) -> Path:
    return (home if home is not None else Path.home()) / "Library" / "LaunchAgents"


def service_log(spec: ServiceSpec) -> Path:
    return spec.paths.state_dir / "service.log"


def render_plist(spec: ServiceSpec) -> bytes:
    """The agent's property list (XML), see the module docstring."""
    log = str(service_log(spec))
    agent: dict[str, Any] = {
        "Label": LABEL,
        "ProgramArguments": list(spec.argv),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": THROTTLE_S,
        "LimitLoadToSessionType": "Aqua",
        "ProcessType": "Interactive",
        "WorkingDirectory": str(Path.home()),
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
        "Umask": UMASK,
        "StandardOutPath": log,
        "StandardErrorPath": log,
    }
    return plistlib.dumps(agent, fmt=plistlib.FMT_XML, sort_keys=True)


@dataclass(frozen=True, slots=True)
class AgentStatus:
    path: Path
    installed: bool
    loaded: bool
    state: str
    pid: int | None
    last_exit: str
    program: list[str] | None


class LaunchAgent:
    """The person's launchd GUI domain, through ``launchctl``."""

    def __init__(self, directory: Path | None = None, runner: Runner = run_tool) -> None:
        self.directory = directory if directory is not None else agent_dir()
        self._run = runner
        self.domain = f"gui/{os.getuid()}"

    @property
    def plist_path(self) -> Path:
        return self.directory / f"{LABEL}.plist"

    @property
    def target(self) -> str:
        return f"{self.domain}/{LABEL}"

    def unavailable(self) -> str | None:
        if not have("launchctl"):
            return "`launchctl` is not on PATH"
        return None

    def install(self, spec: ServiceSpec) -> None:
        from kindbreak.paths import ensure_private_dir
        from kindbreak.safefile import atomic_writer

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServiceError(f"{self.directory}: cannot be made ({exc.strerror})") from exc
        ensure_private_dir(spec.paths.state_dir)
        data = render_plist(spec).decode("utf-8")
        with atomic_writer(self.plist_path, error=_file_error) as fh:
            fh.write(data)
        self._run(["launchctl", "bootout", self.target])  # an older one, if loaded
        check(
            self._run(["launchctl", "bootstrap", self.domain, str(self.plist_path)]),
            "loading the kindbreak agent",
        )
        check(self._run(["launchctl", "enable", self.target]), "enabling the kindbreak agent")

    def uninstall(self) -> bool:
        if not self.plist_path.exists() and not self.plist_path.is_symlink():
            return False
        self._run(["launchctl", "bootout", self.target])  # not loaded is fine too
        try:
            self.plist_path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ServiceError(f"{self.plist_path}: cannot be removed ({exc.strerror})") from exc
        return True

    def status(self) -> AgentStatus:
        path = self.plist_path
        try:
            with path.open("rb") as fh:
                agent = plistlib.load(fh)
        except FileNotFoundError:
            return AgentStatus(path, False, False, "", None, "", None)
        except (OSError, plistlib.InvalidFileException, ValueError) as exc:
            raise ServiceError(f"{path}: cannot be read ({exc})") from exc
        program = agent.get("ProgramArguments") if isinstance(agent, dict) else None
        answer = self._run(["launchctl", "print", self.target])
        fields = _print_fields(answer.stdout) if answer.ok else {}
        pid = fields.get("pid", "")
        return AgentStatus(
            path,
            True,
            answer.ok,
            fields.get("state", ""),
            int(pid) if pid.isdigit() else None,
            fields.get("last exit code", ""),
            [str(a) for a in program] if isinstance(program, list) else None,
        )


_FIELD = re.compile(r"^\s*([a-z][a-z ]*?)\s*=\s*(.*?)\s*$")


def _print_fields(text: str) -> dict[str, str]:
    """The top-level ``key = value`` lines of ``launchctl print`` (first occurrence wins)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        m = _FIELD.match(line)
        if m and m.group(1) not in fields:
            fields[m.group(1)] = m.group(2)
    return fields


def _file_error(path: Path, problem: str, exc: OSError | None = None) -> ServiceError:
    return ServiceError(f"{path}: {problem}")
