"""Ctrl-C stops a command at once with exit status 130, and nothing is left half-written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from kindbreak.offline.importer import import_file
from kindbreak.store.db import Store
from support.faults import child_env, small_log


def long_rr(tmp_path: Path, beats: int) -> Path:
    path = tmp_path / "long.txt"
    path.write_text("".join(f"{760 + (i * 37) % 120}\n" for i in range(beats)))
    return path


def test_an_interrupted_import_removes_its_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = small_log(tmp_path / "data")
    rr = long_rr(tmp_path, 6000)  # 80 minutes: 150 windows
    seen = 0
    add_window = Store.add_window

    def interrupted(self: Store, session_id: int, row: dict[str, object]) -> None:
        nonlocal seen
        seen += 1
        if seen == 100:
            self.commit()  # some of it is already on disk when Ctrl-C comes
            raise KeyboardInterrupt
        add_window(self, session_id, row)

    monkeypatch.setattr(Store, "add_window", interrupted)
    with Store(db) as store, pytest.raises(KeyboardInterrupt):
        import_file(store, rr)
    monkeypatch.undo()
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1  # the old one
        assert conn.execute("SELECT count(*) FROM beats").fetchone()[0] == 40
        assert conn.execute("SELECT count(*) FROM windows").fetchone()[0] == 0
    with Store(db) as store:
        assert import_file(store, rr).beats == 6000  # and it imports cleanly afterwards


def _interrupt_when(proc: subprocess.Popen[str], ready: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():  # type: ignore[operator]
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never got going"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)


def test_ctrl_c_during_import_exits_130_with_the_log_untouched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = small_log(data)
    rr = long_rr(tmp_path, 60_000)  # 13 hours: 20,000-row batches are written as it runs

    def importing() -> bool:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return bool(conn.execute("SELECT count(*) FROM sessions").fetchone()[0] > 1)

    proc = subprocess.Popen(
        [sys.executable, "-m", "kindbreak", "import", str(rr), "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    _interrupt_when(proc, importing)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip() == "kindbreak: stopped"
    assert out == ""
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM beats").fetchone()[0] == 40


def _reading(proc: subprocess.Popen[str], path: Path) -> bool:
    """True once the child has ``path`` open (Linux: its /proc fd links)."""
    fds = Path(f"/proc/{proc.pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except OSError:  # a descriptor closed while we looked
        return False


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see open files")
def test_ctrl_c_during_analyze_exits_130_at_once(tmp_path: Path) -> None:
    rr = long_rr(tmp_path, 200_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kindbreak", "analyze", str(rr), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    # Interrupt once it reads the file (not during start-up, which is not analyze's to handle).
    _interrupt_when(proc, lambda: _reading(proc, rr))
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert err.strip() == "kindbreak: stopped"
    assert out == ""
