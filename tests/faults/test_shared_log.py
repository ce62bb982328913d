"""The log shared safely: commands wait for a writer instead of failing, read-only commands
read a read-only log, errors say what is wrong (locked by whom, read-only), links are refused
and loose modes tightened."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.errors import StoreBusy, StoreError
from kindbreak.store import connection
from kindbreak.store.db import Store
from support.faults import (
    T0,
    child_env,
    make_readonly,
    mode,
    one_line_error,
    readonly_preexec,
    restore_writable,
    run_kindbreak,
    small_log,
)

# -- a writer and `kindbreak log` at the same time ----------------------------------------------


def test_log_done_succeeds_every_time_while_a_monitor_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The monitor's pattern (beats every few ms, a commit per batch) against 25 `log` calls:
    before, a `log` that had read a snapshot the writer then made stale failed at once with
    "database is locked" (6 of 12 at 30x replay)."""
    data = tmp_path / "data"
    db = small_log(data, prompt_wall=time.time() - 60.0)  # a prompt a minute ago
    stop = threading.Event()
    written = []
    failures: list[BaseException] = []

    def monitor() -> None:
        try:
            with Store(db) as store:
                sid = store.start_session(started_wall=T0 + 100.0, source="replay")
                t = 0.0
                while not stop.is_set():
                    t += 0.8
                    store.add_beats(sid, [(t, 800.0, False)])
                    store.maybe_commit(t, every_s=0.0)  # a commit for every beat: worst case
                    written.append(t)
        except BaseException as exc:
            failures.append(exc)

    writer = threading.Thread(target=monitor)
    writer.start()
    try:
        codes = [main(["log", "done", "--data-dir", str(data)]) for _ in range(25)]
    finally:
        stop.set()
        writer.join(timeout=30)
    err = capsys.readouterr().err
    assert codes == [0] * 25, err
    assert not failures
    assert len(written) > 25  # the writer really ran beside the calls
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM practices").fetchone()[0] == 25
        assert conn.execute("SELECT count(*) FROM beats").fetchone()[0] == 40 + len(written)
        # Only the first answered the prompt; the rest are practices of their own.
        linked = conn.execute("SELECT count(*) FROM practices WHERE prompt_row_id IS NOT NULL")
        assert linked.fetchone()[0] == 1


def test_import_succeeds_while_a_monitor_writes(tmp_path: Path) -> None:
    from kindbreak.offline.importer import import_file

    data = tmp_path / "data"
    db = small_log(data)
    rr = tmp_path / "rr.txt"
    rr.write_text("".join(f"{770 + (i * 37) % 100}\n" for i in range(50_000)))
    stop = threading.Event()
    written = []

    def monitor() -> None:
        with Store(db) as store:
            sid = store.start_session(started_wall=T0 + 100.0, source="replay")
            t = 0.0
            while not stop.is_set():
                t += 0.8
                store.add_beats(sid, [(t, 800.0, False)])
                store.maybe_commit(t, every_s=0.0)
                written.append(t)

    writer = threading.Thread(target=monitor)
    writer.start()
    try:
        with Store(db) as store:
            result = import_file(store, rr)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert result.beats == 50_000
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM beats").fetchone()[0] == (
            40 + 50_000 + len(written)
        )


HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO practices(wall, outcome) VALUES (1.0, 'done')")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def test_a_lock_held_too_long_names_the_process_and_says_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    db = small_log(data)
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.05)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), "kindbreak", "monitor"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        rc = main(["log", "done", "--data-dir", str(data)])
        err = capsys.readouterr().err
        with pytest.raises(StoreBusy) as info:
            Store(db).add_practice(wall=T0, outcome="done")
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    assert rc == 1
    first, *rest = err.splitlines()
    assert first.startswith(f"kindbreak: {db}: could not write to the log: the log is locked by ")
    if sys.platform.startswith("linux"):  # /proc/locks names the holder
        assert f"kindbreak monitor (process {holder.pid})" in first
    assert rest == [f"  hint: {StoreBusy.hint}"]
    assert "full" not in err
    assert "locked by" in str(info.value)
    # The lock is gone with its holder: the same call now works.
    assert main(["log", "done", "--data-dir", str(data)]) == 0


def test_writer_pids_reads_the_wal_write_lock_from_proc_locks(tmp_path: Path) -> None:
    db = tmp_path / "kindbreak.sqlite3"
    Store(db).close()
    shm = db.with_name(db.name + "-shm")
    shm.write_bytes(b"\0" * 32768)
    st = os.stat(shm)
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    locks = "\n".join(
        [
            f"1: POSIX  ADVISORY  READ 4242 {dev} 128 128",  # every reader's shared byte
            f"2: POSIX  ADVISORY  WRITE 4343 {dev} 120 120",  # the writer
            f"3: POSIX  ADVISORY  WRITE 4444 {dev} 122 122",  # recovery, not a writer
            f"4: -> POSIX  ADVISORY  WRITE 4545 {dev} 120 120",  # a waiter
            "5: POSIX  ADVISORY  WRITE 4646 08:02:1 120 120",  # another file
        ]
    )
    assert connection.writer_pids(db, locks_text=locks) == [4343]


# -- read-only folders and disks ----------------------------------------------------------------


@pytest.fixture()
def readonly_log(tmp_path: Path):
    data = tmp_path / "data"
    db = small_log(data)
    (data / "pause.json").write_text('{"since_wall": 1.0, "until_wall": null}')
    files = [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm")), data / "pause.json", data]
    make_readonly(*[f for f in files if f.exists()])
    try:
        yield data, readonly_preexec(data)
    finally:
        restore_writable(*files)


def test_read_only_commands_work_on_a_read_only_log(readonly_log, tmp_path: Path) -> None:
    data, preexec = readonly_log
    before = sorted(os.listdir(data))
    rr = run_kindbreak(
        ["export", "--format", "rr", "--data-dir", str(data)], tmp_path, preexec=preexec
    )
    assert rr.returncode == 0, rr.stderr
    assert rr.stdout.splitlines()[:3] == ["800", "801", "802"]
    assert len(rr.stdout.splitlines()) == 40
    csv = run_kindbreak(["export", "--data-dir", str(data)], tmp_path, preexec=preexec)
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.startswith("session_id,source,")
    report = run_kindbreak(
        ["report", "--since", "2026-03-01", "--data-dir", str(data)], tmp_path, preexec=preexec
    )
    assert report.returncode == 0, report.stderr
    assert "Traceback" not in report.stderr
    base = run_kindbreak(["baseline", "--data-dir", str(data)], tmp_path, preexec=preexec)
    assert base.returncode == 0, base.stderr
    assert sorted(os.listdir(data)) == before  # nothing created


def test_writing_commands_say_read_only_not_damaged(readonly_log, tmp_path: Path) -> None:
    data, preexec = readonly_log
    log = run_kindbreak(["log", "done", "--data-dir", str(data)], tmp_path, preexec=preexec)
    first, hint = one_line_error(log, 1, "read-only")
    assert first.startswith(f"kindbreak: {data / 'kindbreak.sqlite3'}: could not ")
    assert "move it aside" not in hint and "full" not in hint
    assert hint.startswith("Make the data folder writable")
    pause = run_kindbreak(["pause", "30m", "--data-dir", str(data)], tmp_path, preexec=preexec)
    one_line_error(pause, 1, "pause.json")
    resume = run_kindbreak(["resume", "--data-dir", str(data)], tmp_path, preexec=preexec)
    first, _ = one_line_error(resume, 1, "pause.json: cannot be removed")
    assert (data / "pause.json").exists()


# -- links and modes ----------------------------------------------------------------------------


def test_a_symlinked_log_is_refused_and_its_target_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = small_log(tmp_path / "elsewhere")
    os.chmod(elsewhere, 0o644)
    before = elsewhere.read_bytes()
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "kindbreak.sqlite3").symlink_to(elsewhere)
    for argv in (["log", "done"], ["report"], ["export"]):
        assert main([*argv, "--data-dir", str(data)]) == 1
        first, *rest = capsys.readouterr().err.splitlines()
        assert first == (
            f"kindbreak: {data / 'kindbreak.sqlite3'}: is a symbolic link; kindbreak does not "
            "read or write its log through a link"
        )
        assert len(rest) == 1 and rest[0].startswith("  hint: Move the link aside")
    assert elsewhere.read_bytes() == before
    assert mode(elsewhere) == 0o644


def test_a_dangling_symlink_creates_nothing_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    target = tmp_path / "planted" / "kindbreak.sqlite3"
    target.parent.mkdir()
    (data / "kindbreak.sqlite3").symlink_to(target)
    assert main(["log", "done", "--data-dir", str(data)]) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert not target.exists()


def test_loose_modes_of_our_folder_and_log_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = small_log(data)
    os.chmod(data, 0o755)
    os.chmod(db, 0o644)
    assert main(["log", "done", "--data-dir", str(data)]) == 0
    assert mode(data) == 0o700
    assert mode(db) == 0o600
    for suffix in ("-wal", "-shm"):
        side = db.with_name(db.name + suffix)
        if side.exists():
            assert mode(side) == 0o600


def test_a_shared_folder_is_never_tightened(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # sticky and world-writable, like /tmp
    with Store(shared / "kindbreak.sqlite3") as store:
        store.start_session(started_wall=T0, source="ble")
    assert mode(shared) == 0o1777
    assert mode(shared / "kindbreak.sqlite3") == 0o600


def test_export_without_a_log_creates_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["export", "--data-dir", str(data)]) == 2
    first, hint = capsys.readouterr().err.splitlines()
    assert first == f"kindbreak: there is no kindbreak log in {data} yet, so nothing to export"
    assert hint.startswith("  hint: Record with `kindbreak monitor`")
    assert not data.exists()


def test_export_of_an_unknown_session_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    small_log(data)
    for fmt in ("csv", "rr"):
        assert main(["export", "--format", fmt, "--session", "999", "--data-dir", str(data)]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.splitlines() == [
            "kindbreak: there is no session 999 in the log",
            "  hint: Sessions with beats: 1",
        ]


def test_readonly_store_refuses_writes(tmp_path: Path) -> None:
    db = small_log(tmp_path / "data")
    with Store(db, readonly=True) as store, pytest.raises(StoreError, match="read-only"):
        store.add_beats(1, [(1.0, 800.0, False)])
