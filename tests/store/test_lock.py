"""The monitor lock (kindbreak.store.lock): held while a monitor writes, named in the file,
let go however the process ends. Across processes: tests/commands/test_monitor_lock.py."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kindbreak.errors import MonitorRunning, StoreError, local_time
from kindbreak.store.lock import LOCK_NAME, MonitorHolder, MonitorLock, monitor_holder

T0 = 1_772_442_000.0  # 2026-03-02 08:00 UTC


def test_the_lock_names_its_holder_while_held_and_is_empty_after(tmp_path: Path) -> None:
    db = tmp_path / "kindbreak.sqlite3"
    assert monitor_holder(db) is None  # no file yet
    with MonitorLock(db, now_wall=T0, source="ble", device="Polar H10 7E3A1B2C"):
        lock = tmp_path / LOCK_NAME
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        assert MonitorHolder.from_json(lock.read_text()) == MonitorHolder(
            os.getpid(), T0, "ble", "Polar H10 7E3A1B2C"
        )
        # flock is per open file: even this process, opening it anew, sees it held.
        assert monitor_holder(db) == MonitorHolder(os.getpid(), T0, "ble", "Polar H10 7E3A1B2C")
    assert lock.read_text() == ""
    assert monitor_holder(db) is None


def test_a_second_lock_on_the_same_log_is_refused_with_pid_and_since(tmp_path: Path) -> None:
    db = tmp_path / "kindbreak.sqlite3"
    with MonitorLock(db, now_wall=T0, source="replay"), pytest.raises(MonitorRunning) as info:
        MonitorLock(db, now_wall=T0 + 60.0).acquire()
    err = info.value
    assert (err.pid, err.since_wall, err.exit_status) == (os.getpid(), T0, 1)
    assert str(err) == (
        f"a monitor is already running on this log, {db} "
        f"(pid {os.getpid()}, since {local_time(T0)})"
    )
    assert err.hint == (
        f"Stop that one first (Ctrl-C where it runs, or `kill {os.getpid()}`), "
        "or give this one another --data-dir."
    )
    # The refused one changed nothing: the holder is still the first.
    with MonitorLock(db, now_wall=T0 + 120.0):
        pass


def test_another_log_has_its_own_lock(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        MonitorLock(tmp_path / "a" / "kindbreak.sqlite3", now_wall=T0),
        MonitorLock(tmp_path / "b" / "kindbreak.sqlite3", now_wall=T0),
    ):
        assert monitor_holder(tmp_path / "a" / "kindbreak.sqlite3") is not None
        assert monitor_holder(tmp_path / "b" / "kindbreak.sqlite3") is not None


def test_a_link_at_the_lock_is_refused_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    (tmp_path / LOCK_NAME).symlink_to(target)
    with pytest.raises(StoreError) as info:
        MonitorLock(tmp_path / "kindbreak.sqlite3", now_wall=T0).acquire()
    assert str(info.value) == (
        f"{tmp_path / LOCK_NAME}: is a symbolic link; kindbreak does not write through links"
    )
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("text", ["", "not json", '{"pid": "x"}', '{"since_wall": 1}'])
def test_an_empty_or_garbled_lock_file_names_nobody(text: str) -> None:
    assert MonitorHolder.from_json(text) is None
