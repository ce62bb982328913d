"""The calm baseline carries over from session to session through the log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kindbreak.cli import main
from support.data import FIXTURES

SHORT = FIXTURES / "short.jsonl"


def _replay(data_dir: Path) -> int:
    return main(
        [
            "monitor",
            "--replay",
            str(SHORT),
            "--speed",
            "0",
            "--data-dir",
            str(data_dir),
            "--notifier",
            "terminal",
            "--quiet",
        ]
    )


def test_second_session_starts_from_the_baseline_the_first_one_left(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert _replay(data) == 0
    assert _replay(data) == 0
    with sqlite3.connect(data / "kindbreak.sqlite3") as db:
        scores = db.execute(
            "SELECT session_id, score FROM windows WHERE end_s = (SELECT min(end_s) FROM windows"
            " WHERE score IS NOT NULL) ORDER BY session_id"
        ).fetchall()
        calm = db.execute(
            "SELECT count(*), avg(recent_hr_bpm) FROM windows"
            " WHERE session_id = 1 AND quality = 'good' AND score <= 50"
        ).fetchone()
        snapshots = db.execute(
            "SELECT session_id, hr_bpm, n_windows FROM baselines ORDER BY id"
        ).fetchall()
    # Snapshots: learned from session 1's first good window, then one after each session
    # from the calm windows of the log; session 2 learned nothing anew, it was given one.
    assert [row[0] for row in snapshots] == [1, 1, 2]
    n_calm, _ = calm
    assert snapshots[1][2] == n_calm
    assert snapshots[2][2] == 2 * n_calm
    # Session 1 scored its first window against that window itself; session 2 scored the
    # same beats against the median of session 1's calm windows: a different number.
    (s1, score1), (s2, score2) = scores
    assert (s1, s2) == (1, 2)
    assert score1 != score2
