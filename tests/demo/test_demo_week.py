"""``kindbreak demo --week`` end to end, run once for the module: five recorded workdays into a
fresh demo log with simulated answers, then the week's report. The assertions are properties
(several prompts a day within the policy, most answers "Did it", the review has data), not
today's exact prompt counts, which a better detector may change."""

from __future__ import annotations

import io
import itertools
import os
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kindbreak.cli import main
from kindbreak.commands.demo import week_recordings
from kindbreak.commands.output import Output
from kindbreak.demo.week import WEEK_DAYS
from kindbreak.devices.recording import RecordingReader
from kindbreak.report.model import build_report
from kindbreak.signal.hrm import parse_measurement
from kindbreak.store.db import Store
from kindbreak.stream import Notification

ZONE = ZoneInfo("America/New_York")  # not the recordings' own zone: days move to local time
MONDAY = date(2026, 3, 9)
COOLDOWN_S = 45 * 60
DAILY_MAX = 6


@dataclass(frozen=True)
class Week:
    rc: int
    out: str
    err: str
    folder: Path
    seconds: float

    @property
    def db(self) -> Path:
        return self.folder / "kindbreak.sqlite3"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql).fetchall()


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Week:
    home = tmp_path_factory.mktemp("week-home")
    config = home / "config" / "kindbreak"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f'[prompts]\ntimezone = "{ZONE.key}"\n')
    out, err = io.StringIO(), io.StringIO()
    old = os.umask(0o022)
    with pytest.MonkeyPatch.context() as mp:
        for var, sub in [("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")]:
            mp.setenv(var, str(home / sub))
        mp.setenv("KINDBREAK_CONFIG_DIR", str(config))
        t0 = time.perf_counter()
        argv = ["demo", "--week", "--data-dir", str(home / "data"), "--notifier", "terminal"]
        rc = main([*argv, "--quiet"], Output(out, err))
        seconds = time.perf_counter() - t0
    os.umask(old)
    return Week(rc, out.getvalue(), err.getvalue(), home / "data" / "demo-week", seconds)


def test_it_runs_and_gives_the_path_of_the_report(week: Week) -> None:
    assert week.rc == 0, week.err
    html = week.folder / "report.html"
    assert week.out == f"The week's report: {html}\n"
    assert html.stat().st_mode & 0o777 == 0o600
    assert "one person of the Stress-Predict study (S19) all week" in week.err
    assert "simulated" in week.err
    assert not (week.folder / "status.json").exists()  # a demo is not a monitor to ask about
    print(f"demo --week took {week.seconds:.1f} s here")


def test_five_workdays_on_consecutive_weekdays_at_local_working_hours(week: Week) -> None:
    rows = week.rows("SELECT started_wall, ended_wall, source FROM sessions ORDER BY id")
    starts = [datetime.fromtimestamp(float(s), ZONE) for s, _, _ in rows]
    assert [s.date() for s in starts] == [MONDAY + timedelta(days=k) for k in range(5)]
    headers = [RecordingReader(p).header.start_wall for p in week_recordings()]
    assert [(s.hour, s.minute) for s in starts] == [(h.hour, h.minute) for h in headers if h]
    assert {src for _, _, src in rows} == {"demo"}
    assert all(end is not None for _, end, _ in rows)


def test_the_beats_are_the_recordings_real_beats(week: Week) -> None:
    counts = week.rows("SELECT session_id, count(*), sum(rr_ms) FROM beats GROUP BY session_id")
    for (_, n, total), path in zip(counts, week_recordings(), strict=True):
        rr = [
            v
            for item in RecordingReader(path)
            if isinstance(item, Notification)
            for v in parse_measurement(item.payload).rr_ms
        ]
        assert n == len(rr)
        assert total == pytest.approx(sum(rr))


def test_every_day_has_several_prompts_within_the_policy(week: Week) -> None:
    prompts = week.rows("SELECT wall, trigger, shown FROM prompts ORDER BY wall")
    by_day: dict[date, list[float]] = {}
    for wall, trigger, shown in prompts:
        assert (trigger, shown) == ("stress", 1)
        by_day.setdefault(datetime.fromtimestamp(float(wall), ZONE).date(), []).append(float(wall))
    assert sorted(by_day) == [MONDAY + timedelta(days=k) for k in range(5)]
    for day, walls in by_day.items():
        assert 2 <= len(walls) <= DAILY_MAX, day
    walls = [float(w) for w, _, _ in prompts]
    assert all(b - a >= COOLDOWN_S for a, b in itertools.pairwise(walls))


def test_answers_are_simulated_and_read_like_a_person(week: Week) -> None:
    answers = week.rows(
        "SELECT q.outcome, q.simulated, q.wall - p.wall, p.kind FROM practices q"
        " JOIN prompts p ON p.id = q.prompt_row_id"
    )
    n_prompts = len(week.rows("SELECT id FROM prompts"))
    assert len(week.rows("SELECT id FROM practices")) == len(answers)  # all answer a prompt
    assert {sim for _, sim, _, _ in answers} == {1}
    outcomes = Counter(o for o, _, _, _ in answers)
    assert outcomes["done"] > n_prompts / 2
    assert outcomes["skipped"] + outcomes["snoozed"] >= 1
    assert all(0 < float(lag) <= 150.0 for _, _, lag, _ in answers)
    assert len({kind for _, _, _, kind in answers}) >= 3  # across the prompt kinds
    for line in ("Did it", "Not now"):
        assert any(line in ln for ln in week.err.splitlines() if ln.startswith("    "))


def test_the_review_has_data_and_knows_what_was_simulated(week: Week) -> None:
    with Store(week.db, readonly=True) as store:
        report = build_report(store, ZONE, since=MONDAY, days=5)
    assert len(report.days) == 5
    assert report.replayed
    assert report.simulated_answers == len(week.rows("SELECT id FROM practices"))
    # "Did the breaks help?" has enough on both sides to compare...
    assert report.help.enough and report.help.simulated
    assert report.help.n_breaks >= 3 and report.help.n_ignored >= 3
    # ... and "What calms you" has per-kind effects.
    assert report.learned.effects
    assert sum(e.n for e in report.learned.effects.values()) == report.help.n_breaks


def test_the_page_says_which_answers_were_simulated_and_what_the_beats_are(week: Week) -> None:
    page = (week.folder / "report.html").read_text(encoding="utf-8")
    assert "came from a simulated person" in page
    assert "Stress-Predict study" in page
    assert "the beats were recorded before any of these prompts" in page
    assert "(simulated answer)" in page
    assert "after a simulated break" not in page  # in the plot (a PNG), not the text
    assert "What calms you" in page and "Did the breaks help?" in page
    assert "Too little data to say yet" not in page


def test_the_terminal_report_says_so_too(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["report", "--data-dir", str(week.folder), "--since", MONDAY.isoformat()])
    text = capsys.readouterr().out
    assert rc == 0
    assert "simulated person" in text
    assert "recorded before" in text
    assert WEEK_DAYS == ("mon", "tue", "wed", "thu", "fri")
