"""The report's numbers, checked against straight SQL and numpy on the store's tables."""

from __future__ import annotations

import io
import sqlite3
from collections import Counter
from datetime import UTC, date

import numpy as np
import pytest

from kindbreak.report.effects import AFTER_S, BEFORE_S, MIN_N, describe
from kindbreak.report.model import build_report, choose_period, sparkline
from kindbreak.report.terminal import render
from kindbreak.signal.score import Band
from kindbreak.store.db import Store
from support.report_store import DAY1, DAY2, PLAN, Built

STEP_S = 30.0


def _band(score: float) -> Band:
    return (
        Band.REST
        if score <= 25
        else Band.LOW
        if score <= 50
        else Band.MEDIUM
        if score <= 75
        else Band.HIGH
    )


@pytest.fixture(scope="module")
def report(built: Built):  # type: ignore[no-untyped-def]
    with Store(built.db) as store:
        return build_report(store, UTC)


def _sql(built: Built, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(built.db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_days_and_band_times_match_the_windows_table(built: Built, report) -> None:  # type: ignore[no-untyped-def]
    rows = _sql(
        built,
        "SELECT date(s.started_wall + w.end_s, 'unixepoch'), w.score, w.quality"
        " FROM windows w JOIN sessions s ON s.id = w.session_id",
    )
    expected: dict[str, Counter[str]] = {}
    for day, score, quality in rows:
        c = expected.setdefault(str(day), Counter())
        if score is None:
            c["unscored"] += 1
        else:
            c[_band(float(score)).value] += 1  # type: ignore[arg-type]
        c["all"] += 1
        assert quality in ("good", "poor")
    assert (
        [d.day.isoformat() for d in report.days]
        == sorted(expected)
        == [
            "2026-03-02",
            "2026-03-03",
        ]
    )
    for d in report.days:
        c = expected[d.day.isoformat()]
        for b in Band:
            assert d.band_s[b] == pytest.approx(STEP_S * c[b.value])
        assert d.calibrating_s + d.poor_s == pytest.approx(STEP_S * c["unscored"])
        assert len(d.windows) == c["all"]
        # the synthetic days are calm and stressed in turn: both ends of the scale show
        assert d.band_s[Band.REST] > 0 and d.band_s[Band.HIGH] > 0


def test_prompt_and_practice_counts_match(built: Built, report) -> None:  # type: ignore[no-untyped-def]
    for d in report.days:
        n_prompts = _sql(
            built,
            "SELECT count(*) FROM prompts WHERE date(wall, 'unixepoch') = ?",
            (d.day.isoformat(),),
        )[0][0]
        outcomes = dict(
            _sql(  # type: ignore[arg-type]
                built,
                "SELECT outcome, count(*) FROM practices WHERE date(wall, 'unixepoch') = ?"
                " GROUP BY outcome",
                (d.day.isoformat(),),
            )
        )
        assert d.prompts == n_prompts == 4
        assert d.done == outcomes.get("done", 0)
        assert d.skipped == outcomes.get("skipped", 0)
        assert d.snoozed == outcomes.get("snoozed", 0)
    # and against the plan the test wrote
    plan = [o for day in PLAN.values() for _, _, o in day]
    assert sum(d.done for d in report.days) == plan.count("done") == 4
    assert sum(d.skipped for d in report.days) == plan.count("skipped") == 1
    assert sum(d.snoozed for d in report.days) == plan.count("snoozed") == 1
    assert sum(d.unanswered for d in report.days) == plan.count(None) == 2


def _independent_effect(built: Built) -> tuple[list[float], list[float], list[float], list[float]]:
    """Score drop and RMSSD rise for breaks and ignored prompts, straight from the tables."""
    wins = np.array(
        _sql(
            built,
            "SELECT s.started_wall + w.end_s, w.score, coalesce(w.rmssd_ms, 'nan')"
            " FROM windows w JOIN sessions s ON s.id = w.session_id WHERE w.score IS NOT NULL",
        ),
        dtype=float,
    )
    end, score, rmssd = wins[:, 0], wins[:, 1], wins[:, 2]
    prompts = _sql(
        built,
        "SELECT p.wall, (SELECT count(*) FROM practices q WHERE q.prompt_row_id = p.id"
        " AND q.outcome = 'done') FROM prompts p",
    )
    out: tuple[list[float], list[float], list[float], list[float]] = ([], [], [], [])
    for wall, n_done in prompts:
        a = float(wall)  # type: ignore[arg-type]
        before = (end >= a - BEFORE_S) & (end <= a)
        after = (end > a) & (end <= a + AFTER_S)
        if not before.any() or not after.any():
            continue
        drop = score[before].mean() - score[after].mean()
        rise = np.nanmean(rmssd[after]) - np.nanmean(rmssd[before])
        k = 0 if n_done else 1
        out[k].append(float(drop))
        out[k + 2].append(float(rise))
    return out


def test_before_after_effect_matches_an_independent_computation(built: Built, report) -> None:  # type: ignore[no-untyped-def]
    drop_b, drop_i, rise_b, rise_i = _independent_effect(built)
    h = report.help
    assert (h.n_breaks, h.n_ignored) == (len(drop_b), len(drop_i)) == (4, 4)
    assert h.score.mean_drop == pytest.approx(np.mean(drop_b) - np.mean(drop_i), abs=1e-9)
    assert h.score.treated_mean == pytest.approx(np.mean(drop_b), abs=1e-9)
    assert h.score.control_mean == pytest.approx(np.mean(drop_i), abs=1e-9)
    assert h.rmssd.mean_drop == pytest.approx(np.mean(rise_b) - np.mean(rise_i), abs=1e-9)
    # the interval brackets the estimate, is seeded (same twice) and is honest about its width
    assert h.score.ci_low <= h.score.mean_drop <= h.score.ci_high
    with Store(built.db) as store:
        again = build_report(store, UTC).help
    assert (again.score.ci_low, again.score.ci_high) == (h.score.ci_low, h.score.ci_high)
    assert h.score.enough and h.score.n >= MIN_N
    text = " ".join(describe(h))
    assert f"{abs(h.score.mean_drop):.1f} points" in text
    assert f"{h.score.ci_low:+.1f} to {h.score.ci_high:+.1f}" in text


def cell(seconds: float) -> str:
    """A table cell as documented (``kindbreak.durations``): minutes, or seconds under one."""
    return f"{round(seconds)}s" if 0 < round(seconds) < 60 else f"{round(seconds / 60)}m"


def test_terminal_report_shows_the_numbers(report) -> None:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    render(report, buf, width=160, color=False)
    out = buf.getvalue()
    assert "kindbreak report 2026-02-25 to 2026-03-03" in out
    assert "Did the breaks help?" in out
    assert "What calms you" in out
    for d in report.days:
        label = f"{d.day.strftime('%a')} {d.day.day} {d.day.strftime('%b')}"
        row = next(ln for ln in out.splitlines() if ln.strip().startswith(label) and "m " in ln)
        cells = row.split()[3:]
        minutes = [cell(d.band_s[b]) for b in Band]
        unscored = cell(d.calibrating_s + d.poor_s)
        assert cells == [*minutes, unscored, *map(str, (d.prompts, d.done, d.skipped, d.snoozed))]
        spark, _, _ = sparkline(d, 36)
        assert any(spark.strip() in ln for ln in out.splitlines() if label in ln)


def test_sparkline_levels(report) -> None:  # type: ignore[no-untyped-def]
    line, t0, t1 = sparkline(report.days[0])
    assert len(line) <= 36 and t1 > t0
    # calm start, stressed middle (minute 10-20), calm again
    assert line[2] in "▁▂▃" and "█" in line


def test_period_selection() -> None:
    span = (DAY1.timestamp(), DAY2.timestamp())
    assert choose_period(span, UTC, None, None) == (date(2026, 2, 25), date(2026, 3, 3))
    assert choose_period(span, UTC, None, 1) == (date(2026, 3, 3), date(2026, 3, 3))
    assert choose_period(span, UTC, date(2026, 3, 2), 1) == (date(2026, 3, 2), date(2026, 3, 2))
    assert choose_period(span, UTC, date(2026, 3, 1), None) == (date(2026, 3, 1), date(2026, 3, 3))
    assert choose_period(None, UTC, None, 7) is None


def test_since_and_days_narrow_the_report(built: Built) -> None:
    with Store(built.db) as store:
        one = build_report(store, UTC, since=date(2026, 3, 2), days=1)
        none = build_report(store, UTC, since=date(2026, 4, 1), days=3)
    assert [d.day for d in one.days] == [date(2026, 3, 2)]
    assert one.help.n_breaks == 2 and one.help.n_ignored == 2
    assert not one.help.enough  # 2 of each: too little to say
    assert "Too little data to say yet" in describe(one.help)[0]
    assert none.empty and not none.log_empty
    buf = io.StringIO()
    render(none, buf, color=False)
    assert "Nothing was recorded between 2026-04-01 and 2026-04-03" in buf.getvalue()
