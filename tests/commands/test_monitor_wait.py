"""``monitor --wait`` (what the service runs) waits for a monitor started by hand on the same
log to end, then takes over, instead of failing and being restarted until systemd gives up."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

from kindbreak.commands.context import Context
from kindbreak.commands.monitor import wait_for_the_log
from kindbreak.commands.output import Output
from kindbreak.paths import Paths
from kindbreak.store.lock import MonitorLock


def test_it_waits_while_another_monitor_holds_the_log_and_says_so_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    err = io.StringIO()
    ctx = Context(Paths(data, tmp_path / "config", tmp_path / "state"), Output(io.StringIO(), err))
    lock = MonitorLock(data / "kindbreak.sqlite3", now_wall=1_773_043_500.0, source="ble")
    lock.acquire()
    done = threading.Event()

    def service() -> None:
        wait_for_the_log(ctx, retry_s=0.01)
        done.set()

    waiting = threading.Thread(target=service)
    waiting.start()
    try:
        assert not done.wait(0.3)  # thirty looks later, still waiting
    finally:
        lock.release()
    waiting.join(10.0)
    assert done.is_set()
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"kindbreak: another monitor runs on this log (pid {os.getpid()}, since "
    )
    assert lines[0].endswith("); waiting until it ends")


def test_a_free_log_is_not_waited_for(tmp_path: Path) -> None:
    err = io.StringIO()
    ctx = Context(Paths(tmp_path, tmp_path, tmp_path), Output(io.StringIO(), err))
    wait_for_the_log(ctx, retry_s=3600.0)  # returns at once: no monitor holds it
    assert err.getvalue() == ""
