"""The SQLite log (kindbreak.store.db.Store): mode, schema version, durability under kill -9."""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest

from kindbreak.errors import StoreError
from kindbreak.signal.hrv import Markers
from kindbreak.signal.windows import Quality, WindowResult
from kindbreak.store.db import Store
from kindbreak.store.schema import MIGRATIONS, SCHEMA_VERSION
from support.data import REPO


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_store_is_wal_private_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "data" / "kindbreak.sqlite3"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        sid = store.start_session(started_wall=1_772_441_700.0, source="replay")
        store.add_beats(sid, [(1.0, 812.5, False), (1.8, 800.0, False)])
        store.commit()
        assert mode(path) == 0o600
        # WAL and shared-memory files exist while the log is open; same mode as the log.
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            assert side.exists()
            assert mode(side) == 0o600, f"{side.name} is {oct(mode(side))}"
    assert mode(path.parent) == 0o700
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert {"sessions", "beats", "windows", "events", "prompts", "practices", "baselines"} <= tables


def test_reopening_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "kindbreak.sqlite3"
    with Store(path) as store:
        sid = store.start_session(started_wall=100.0, source="ble", device_name="Polar H10")
        store.add_beats(sid, [(float(i), 800.0 + i, i == 0) for i in range(5)])
    for _ in range(2):
        with Store(path) as again:
            assert again.schema_version == SCHEMA_VERSION
            assert again.count("sessions") == 1
            assert again.count("beats", sid) == 5
            assert [s.device_name for s in again.sessions()] == ["Polar H10"]
            rows = again.query("SELECT t_s, rr_ms, gap_before FROM beats ORDER BY t_s")
            assert [tuple(r) for r in rows] == [
                (float(i), 800.0 + i, int(i == 0)) for i in range(5)
            ]
    assert mode(path) == 0o600


def test_existing_file_keeps_private_mode_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "kindbreak.sqlite3"
    Store(path).close()
    os.chmod(path, 0o600)
    with Store(path) as store:
        store.start_session(started_wall=1.0, source="demo")
    assert mode(path) == 0o600


def test_a_version_1_log_is_migrated_forward_keeping_its_practices(tmp_path: Path) -> None:
    """Schema 2 marks answers a simulated person gave (``demo --week``); every practice of an
    older log was the person's own, and an old log opened read-only is brought forward too."""
    from kindbreak.store import queries as q
    from kindbreak.store.schema import MIGRATIONS

    path = tmp_path / "kindbreak.sqlite3"
    with closing(sqlite3.connect(path)) as conn:
        for statement in MIGRATIONS[1]:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO practices(wall, outcome, kind, note) VALUES (100.0, 'done', 'breath', '')"
        )
        conn.execute("PRAGMA user_version=1")
        conn.commit()
    with Store(path, readonly=True) as store:
        assert store.schema_version == SCHEMA_VERSION >= 2
        assert [(r.outcome, r.simulated) for r in q.practices(store)] == [("done", False)]
    with Store(path) as store:
        store.add_practice(wall=200.0, outcome="skipped", kind="touch", simulated=True)
        assert [(r.outcome, r.simulated) for r in q.practices(store)] == [
            ("done", False),
            ("skipped", True),
        ]


def test_newer_schema_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "kindbreak.sqlite3"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        Store(path)
    assert str(path) in str(info.value)
    assert f"schema {SCHEMA_VERSION + 1}" in str(info.value)
    assert info.value.hint
    assert path.read_bytes() == before


def test_not_a_database_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "kindbreak.sqlite3"
    path.write_bytes(b"this is not an SQLite file at all, just some text\n" * 20)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert str(path) in str(info.value)
    assert "move it aside" in info.value.hint


def test_close_commits_pending_rows(tmp_path: Path) -> None:
    path = tmp_path / "kindbreak.sqlite3"
    store = Store(path)
    sid = store.start_session(started_wall=1.0, source="ble")
    store.add_beats(sid, [(1.0, 800.0, False)])
    store.add_state(sid, 1.5, "reconnecting", "link lost")
    store.close()
    with Store(path) as again:
        assert again.count("beats") == 1
        assert again.count("states") == 1


def test_maybe_commit_batches_per_second_of_session_time(tmp_path: Path) -> None:
    path = tmp_path / "kindbreak.sqlite3"
    writer = Store(path)
    sid = writer.start_session(started_wall=1.0, source="ble")

    def committed() -> int:
        with closing(sqlite3.connect(path)) as other:
            return int(other.execute("SELECT count(*) FROM beats").fetchone()[0])

    writer.add_beats(sid, [(0.5, 800.0, False)])
    writer.maybe_commit(0.5)  # first call commits
    assert committed() == 1
    writer.add_beats(sid, [(1.3, 800.0, False)])
    writer.maybe_commit(1.2)  # 0.7 s later: batched
    assert committed() == 1
    writer.maybe_commit(1.5)  # a full second after the last commit
    assert committed() == 2
    writer.close()


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kindbreak.store.db import Store

    store = Store(Path(sys.argv[1]))
    sid = store.start_session(started_wall=1_772_441_700.0, source="ble")
    t = 0.0
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, arg = line.split()
        if cmd == "beat":
            t += 0.25
            store.add_beats(sid, [(t, float(arg), False)])
            print("added", t, flush=True)
        elif cmd == "tick":
            store.maybe_commit(float(arg))
            print("ticked", arg, flush=True)
    """
)


def test_kill_9_loses_nothing_older_than_the_last_commit(tmp_path: Path) -> None:
    path = tmp_path / "kindbreak.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdin is not None and child.stdout is not None

    def say(line: str) -> str:
        child.stdin.write(line + "\n")
        child.stdin.flush()
        return child.stdout.readline().strip()

    try:
        assert child.stdout.readline().strip() == "ready"
        committed_rr: list[float] = []
        rr = 700.0
        # Five simulated seconds: four beats each, then the once-a-second maybe_commit.
        for second in range(1, 6):
            for _ in range(4):
                rr += 1.0
                assert say(f"beat {rr}").startswith("added")
                committed_rr.append(rr)
            assert say(f"tick {second}.0") == f"ticked {second}.0"
        # Two more beats and a tick within the same second: not committed yet.
        assert say("beat 900.0").startswith("added")
        assert say("beat 901.0").startswith("added")
        assert say("tick 5.5") == "ticked 5.5"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdin.close()
        child.stdout.close()

    with Store(path) as fresh:
        rows = fresh.query("SELECT rr_ms FROM beats ORDER BY t_s")
        assert [r["rr_ms"] for r in rows] == committed_rr
        assert fresh.count("sessions") == 1


def _window(end_s: float, hr: float, *, ref: float | None, stressed: bool) -> WindowResult:
    nan = math.nan
    return WindowResult(
        start_s=end_s - 300.0,
        end_s=end_s,
        n_beats=300,
        artifact_share=0.0,
        coverage=1.0,
        quality=Quality.GOOD,
        markers=Markers(300, 300.0, 800.0, hr, 50.0, 40.0, *([nan] * 8)),
        recent_hr_bpm=hr,
        score=20.0 if ref is not None else None,
        stressed=stressed,
        ref_hr_bpm=ref,
        ref_rmssd_ms=None if ref is None else 42.0,
        spread_bpm=None if ref is None else 1.9,
    )


def test_a_version_1_log_gains_the_reference_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "kindbreak.sqlite3"
    with closing(sqlite3.connect(path)) as conn:
        for statement in MIGRATIONS[1]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version=1")
        conn.execute("INSERT INTO sessions(id, started_wall, source) VALUES (1, 1000.0, 'ble')")
        conn.execute(
            "INSERT INTO windows(session_id, start_s, end_s, n_beats, quality, recent_hr_bpm,"
            " rmssd_ms, score, stressed) VALUES (1, 0, 300, 300, 'good', 64.0, 40.0, 20.0, 0)"
        )
        conn.commit()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        store.add_window(1, _window(330.0, 70.0, ref=65.5, stressed=False))
        store.add_window(1, _window(360.0, 80.0, ref=65.5, stressed=True))
        store.commit()
        rows = store.query("SELECT end_s, ref_hr_bpm, ref_rmssd_ms, spread_bpm FROM windows")
        assert [tuple(r) for r in rows] == [
            (300.0, None, None, None),  # logged before the reference existed
            (330.0, 65.5, 42.0, 1.9),
            (360.0, 65.5, 42.0, 1.9),
        ]
        # The calm windows for the 14-day baseline: outside episodes, with their reference
        # (NaN for the old row); the stressed window is left out.
        samples = store.calm_samples(since_wall=0.0)
    assert [s[:3] for s in samples] == [(1300.0, 64.0, 40.0), (1330.0, 70.0, 40.0)]
    assert math.isnan(samples[0][3]) and samples[1][3] == 65.5


def test_the_baseline_reads_the_calm_windows_of_the_last_14_days_at_most_2000(
    tmp_path: Path,
) -> None:
    """A session 20 days ago (calm at 70 bpm) has left the 14-day horizon; of this week's
    session only the newest 2000 calm windows count, and a stressed one never does."""
    from kindbreak.live.baseline import stored_baseline

    day_s = 86400.0
    now = 1_700_000_000.0
    with Store(tmp_path / "kindbreak.sqlite3") as store:
        old = store.start_session(started_wall=now - 20 * day_s, source="ble")
        for i in range(50):
            store.add_window(old, _window(300.0 + 30 * i, 70.0, ref=70.0, stressed=False))
        week = store.start_session(started_wall=now - 2 * day_s, source="ble")
        for i in range(2100):
            hr = 58.0 if i < 100 else 60.0 + (i % 3)  # the oldest 100 fall outside the 2000
            store.add_window(week, _window(300.0 + 30 * i, hr, ref=61.0, stressed=False))
        store.add_window(week, _window(300.0 + 30 * 2100, 95.0, ref=61.0, stressed=True))
        store.commit()
        samples = store.calm_samples(since_wall=now - 14 * day_s)
        baseline = stored_baseline(store, now)
    assert len(samples) == 2000
    assert samples[0][0] == now - 2 * day_s + 300.0 + 30 * 100  # oldest kept, oldest first
    assert {s[1] for s in samples} == {60.0, 61.0, 62.0}
    assert baseline is not None
    assert baseline.n_windows == 2000 and baseline.hr_bpm == 61.0
    assert baseline.learned_until_s == now
