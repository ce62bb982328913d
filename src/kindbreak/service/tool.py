"""Running the system's service tool (``systemctl``, ``launchctl``) and reading its answer.

The tool is looked up on ``PATH`` like any command the person would type, so a test puts a
stand-in script there; nothing else about it is faked.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from kindbreak.errors import ServiceError

TOOL_TIMEOUT_S = 60.0
"""``systemctl --user enable --now`` waits for the start job; a minute is plenty."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def why(self) -> str:
        """The tool's own explanation (its last line of stderr, else stdout), for a message."""
        for text in (self.stderr, self.stdout):
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
            if lines:
                return lines[-1]
        return f"exit status {self.returncode}"


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def run_tool(argv: Sequence[str], *, timeout_s: float = TOOL_TIMEOUT_S) -> ToolResult:
    """Run ``argv`` (its first word looked up on PATH) and return what it said."""
    exe = shutil.which(argv[0])
    if exe is None:
        raise ServiceError(f"`{argv[0]}` is not installed or not on PATH")
    try:
        done = subprocess.run(
            [exe, *argv[1:]],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise ServiceError(f"`{' '.join(argv)}` did not answer within {timeout_s:g} s") from exc
    except OSError as exc:
        raise ServiceError(f"cannot run `{argv[0]}` ({exc.strerror or exc})") from exc
    return ToolResult(tuple(argv), done.returncode, done.stdout, done.stderr)


def check(result: ToolResult, doing: str) -> ToolResult:
    """``result`` if the tool succeeded, else a ServiceError saying what failed and why."""
    if not result.ok:
        raise ServiceError(f"{doing} failed: `{' '.join(result.argv)}` said: {result.why()}")
    return result
