"""One monitor per log, across real processes: a second `kindbreak monitor` on the same log is
refused in one line naming the first (its pid, since when) and exits 1 having written nothing;
the lock a killed monitor leaves behind is taken over."""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.errors import local_time
from kindbreak.store.lock import LOCK_NAME, monitor_holder
from support.data import FIXTURES

SHORT = FIXTURES / "short.jsonl"


def replay(data: Path) -> int:
    """`kindbreak monitor --replay` of 7 minutes, as fast as possible, in this process."""
    return main(
        [
            *("monitor", "--replay", str(SHORT), "--speed", "0"),
            *("--data-dir", str(data), "--notifier", "terminal", "--quiet"),
        ]
    )


@pytest.fixture
def running_monitor(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A real `kindbreak monitor --simulate` in its own process, streaming on tmp_path/data."""
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "kindbreak", "monitor", "--simulate"),
            *("--data-dir", str(tmp_path / "data"), "--notifier", "terminal", "--quiet"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # the lock is taken before the strap connects
        if "connected" in line:
            break
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def sessions(data: Path) -> list[tuple[str, bool]]:
    with sqlite3.connect(data / "kindbreak.sqlite3") as db:
        rows = db.execute("SELECT source, ended_wall IS NOT NULL FROM sessions ORDER BY id")
        return [(source, bool(ended)) for source, ended in rows]


def test_a_second_monitor_on_the_same_log_names_the_first_and_exits_1(
    running_monitor: subprocess.Popen[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    db = data / "kindbreak.sqlite3"
    holder = monitor_holder(db)
    assert holder is not None
    assert (holder.pid, holder.source) == (running_monitor.pid, "simulator")
    assert holder.device == "kindbreak simulator"  # what it monitors
    assert abs(holder.since_wall - time.time()) < 60

    assert replay(data) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"kindbreak: a monitor is already running on this log, {db} "
        f"(pid {running_monitor.pid}, since {local_time(holder.since_wall)})",
        f"  hint: Stop that one first (Ctrl-C where it runs, or `kill {running_monitor.pid}`), "
        "or give this one another --data-dir.",
    ]
    assert sessions(data) == [("simulator", False)]  # the refused one wrote nothing

    running_monitor.send_signal(signal.SIGTERM)  # the first one stops cleanly...
    running_monitor.communicate(timeout=30)
    assert running_monitor.returncode == 0
    assert monitor_holder(db) is None  # ...and lets go of the log
    assert replay(data) == 0
    assert sessions(data) == [("simulator", True), ("replay", True)]


def test_the_lock_of_a_killed_monitor_is_taken_over(
    running_monitor: subprocess.Popen[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    running_monitor.kill()  # SIGKILL: no clean-up at all
    running_monitor.wait(timeout=30)
    lock = data / LOCK_NAME
    assert json.loads(lock.read_text())["pid"] == running_monitor.pid  # its file stays...
    assert monitor_holder(data / "kindbreak.sqlite3") is None  # ...but not its lock

    with caplog.at_level(logging.INFO, logger="kindbreak"):
        assert replay(data) == 0
    assert f"took over the monitor lock of {data} from process {running_monitor.pid}" in caplog.text
    assert sessions(data) == [("simulator", False), ("replay", True)]
    assert lock.read_text() == ""  # let go when it ended
