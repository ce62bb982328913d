"""Waiting for a child process to reach a state, with a deadline (a safety net: the states
tests wait for come in well under a second)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

POLL_S = 0.02


def wait_until(
    condition: Callable[[], bool],
    what: str,
    *,
    timeout_s: float = 20.0,
    proc: subprocess.Popen[str] | None = None,
) -> None:
    """Return once ``condition()`` holds; fail naming ``what`` after ``timeout_s``, or at once
    when ``proc`` ended first."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the process ended before {what}:\n{out}{err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:g} s")
        time.sleep(POLL_S)
