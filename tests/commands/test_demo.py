"""`kindbreak demo`: the recording it replays ships inside the package (kindbreak/data)."""

from __future__ import annotations

import sqlite3
from importlib.resources import files
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.commands.demo import bundled_recording
from kindbreak.errors import UsageError
from kindbreak.store.lock import MonitorLock

# fixtures/README.md: the workday holds 3503 real and 869 filled beats.
WORKDAY_BEATS = 4372


def test_demo_replays_the_recording_shipped_in_the_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["demo", "--data-dir", str(tmp_path), "--notifier", "terminal", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 0, err

    shipped = Path(str(files("kindbreak") / "data" / "workday.jsonl"))
    assert shipped.parent.parent == Path(str(files("kindbreak")))
    # The closing lines tell where the log and the recording are, to look at them next.
    assert f"log: {tmp_path / 'demo' / 'kindbreak.sqlite3'}" in err
    assert f"The recording itself: kindbreak analyze {shipped}" in err
    with sqlite3.connect(tmp_path / "demo" / "kindbreak.sqlite3") as db:
        (source,) = db.execute("SELECT source FROM sessions").fetchone()
        (beats,) = db.execute("SELECT count(*) FROM beats").fetchone()
        triggers = [r[0] for r in db.execute("SELECT trigger FROM prompts")]
    assert source == "demo"
    assert beats == WORKDAY_BEATS
    assert triggers == ["stress"]  # the first stress stretch; the later two fall in the cooldown


def test_a_missing_bundled_recording_is_one_line_with_a_hint() -> None:
    with pytest.raises(UsageError) as info:
        bundled_recording("no-such-day.jsonl")
    assert (
        str(info.value)
        == "the bundled recording no-such-day.jsonl is missing from this installation"
    )
    assert "--replay" in info.value.hint


def test_a_demo_does_not_clear_the_folder_of_a_demo_that_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_log = tmp_path / "demo" / "kindbreak.sqlite3"
    demo_log.parent.mkdir()
    demo_log.write_bytes(b"the running demo's log")
    with MonitorLock(demo_log, now_wall=1_772_442_000.0, source="demo"):
        rc = main(["demo", "--data-dir", str(tmp_path), "--notifier", "terminal", "--quiet"])
    assert rc == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"kindbreak: a monitor is already running on this log, {demo_log}")
    assert len(err) == 2 and err[1].startswith("  hint: ")
    assert demo_log.read_bytes() == b"the running demo's log"
