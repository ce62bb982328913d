"""A full disk: the monitor stops cleanly (session closed when the disk allows, one line, no
logging tracebacks), committed data stays intact, outputs are whole or not written at all.

A full disk is simulated without root: a child's ``RLIMIT_FSIZE`` makes every file stop growing
at a limit (writes past it fail with EFBIG, as ENOSPC on a full disk), and SQLite's
``max_page_count`` makes the log itself full (SQLITE_FULL, exactly what a full disk gives).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from kindbreak.errors import StoreFull
from kindbreak.store.db import Store
from support.data import WORKDAY
from support.faults import T0, file_size_limit, one_line_error, run_kindbreak, small_log

LIMIT_BYTES = 400_000


def test_monitor_on_a_full_disk_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log_file = data / "state" / "kindbreak.log"
    log_file.parent.mkdir(parents=True)
    # The log file is on the same disk: its next lines do not fit either.
    log_file.write_text("x" * (LIMIT_BYTES - 20))
    proc = run_kindbreak(
        [
            *("monitor", "--replay", str(WORKDAY), "--speed", "0"),
            *("--data-dir", str(data), "--notifier", "terminal", "--quiet"),
        ],
        tmp_path,
        preexec=file_size_limit(LIMIT_BYTES),
    )
    first, hint = one_line_error(proc, 1, "could not save to the log", alone=False)
    assert first.startswith(f"kindbreak: {data / 'kindbreak.sqlite3'}: could not save")
    assert "disk" in first and "disk" in hint
    # The handler of the log file said once that it stopped; no "--- Logging error ---".
    assert proc.stderr.count(f"the log file {log_file}") == 1
    assert len(proc.stderr.splitlines()) <= 5, proc.stderr
    with closing(sqlite3.connect(data / "kindbreak.sqlite3")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sessions = conn.execute("SELECT ended_wall IS NOT NULL FROM sessions").fetchall()
        beats = conn.execute("SELECT count(*) FROM beats").fetchone()[0]
    assert sessions == [(1,)]  # closed, after making room in the WAL
    assert beats > 50


def test_a_full_log_says_full_and_keeps_what_was_saved(tmp_path: Path) -> None:
    db = small_log(tmp_path / "data")
    store = Store(db)
    pages = store.query("PRAGMA page_count")[0][0]
    store._conn.execute(f"PRAGMA max_page_count={pages + 1}")
    sid = store.start_session(started_wall=T0 + 100.0, source="ble")
    with pytest.raises(StoreFull) as info:
        for i in range(200):
            store.add_beats(sid, [(float(j), 800.0, False) for j in range(i * 100, i * 100 + 100)])
            store.commit()
    store.discard_pending()
    store.close()
    assert str(info.value) == f"{db}: could not save to the log: the disk is full"
    assert info.value.hint == (
        "Free some space on that disk; everything saved before this moment is intact."
    )
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = conn.execute("SELECT count(*) FROM beats WHERE session_id=?", (sid,)).fetchone()[0]
    assert n % 100 == 0 and 0 < n < 20_000  # whole batches, nothing half-written


def test_export_to_a_full_disk_leaves_the_old_file_whole(tmp_path: Path) -> None:
    data = tmp_path / "data"
    small_log(data, beats=3000)
    out = tmp_path / "rr.txt"
    out.write_text("the old export\n")
    proc = run_kindbreak(
        ["export", "--format", "rr", "--out", str(out), "--data-dir", str(data)],
        tmp_path,
        preexec=file_size_limit(4096),
    )
    first, _ = one_line_error(proc, 2, "the file would exceed the size limit")
    assert first.startswith(f"kindbreak: {out}: cannot be written")
    assert out.read_text() == "the old export\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_import_that_fills_the_disk_leaves_no_half_session(tmp_path: Path) -> None:
    data = tmp_path / "data"
    small_log(data)
    rr = tmp_path / "long.txt"
    rr.write_text("".join(f"{780 + (i * 37) % 90}\n" for i in range(30_000)))
    proc = run_kindbreak(
        ["import", str(rr), "--data-dir", str(data)], tmp_path, preexec=file_size_limit(600_000)
    )
    one_line_error(proc, 1, "could not")
    again = run_kindbreak(["import", str(rr), "--data-dir", str(data)], tmp_path)
    assert again.returncode == 0, again.stderr
    with closing(sqlite3.connect(data / "kindbreak.sqlite3")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT source, source_key FROM sessions ORDER BY id").fetchall()
        beats = conn.execute("SELECT count(*) FROM beats WHERE session_id != 1").fetchone()[0]
    assert [r[0] for r in rows] == ["ble", "import"]
    assert not rows[1][1].startswith("importing:")
    assert beats == 30_000
