"""Ctrl-C (SIGINT) and SIGTERM end monitoring cleanly: the session is closed in the log and
its summary shown; exit status 130 after Ctrl-C (as for every command), 0 after SIGTERM (a
service manager stopping the monitor)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_ends_the_session_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "kindbreak", "monitor", "--simulate"),
            *("--data-dir", str(data), "--notifier", "terminal", "--quiet"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # wait until the simulated strap is streaming
        seen.append(line)
        if "connected" in line:
            break
    proc.send_signal(sig)
    rest, _ = proc.communicate(timeout=30)
    out = "".join(seen) + rest
    assert proc.returncode == (130 if sig is signal.SIGINT else 0), out
    assert "Session summary" in out
    assert "Traceback" not in out
    with sqlite3.connect(data / "kindbreak.sqlite3") as db:
        sessions = db.execute("SELECT source, ended_wall IS NOT NULL FROM sessions").fetchall()
    assert sessions == [("simulator", 1)]
