"""kindbreak log, pause, resume and breathe, end to end through the CLI and the store."""

from __future__ import annotations

import asyncio
import stat
from io import StringIO
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.clock import SystemClock, VirtualClock
from kindbreak.commands import breathe
from kindbreak.commands.context import Context
from kindbreak.commands.output import Output
from kindbreak.commands.pause import parse_duration
from kindbreak.live.events import EpisodeRising
from kindbreak.paths import Paths
from kindbreak.prompts.pause import read_pause
from kindbreak.signal.detector import DetectorEvent, EventKind
from kindbreak.store.db import Store
from support.sinks import make_settings, make_sink, scored_window


def cli(paths: Paths, *args: str) -> int:
    return main([*args, "--data-dir", str(paths.data_dir), "--config-dir", str(paths.config_dir)])


def seed_prompt(store: Store, *, age_s: float, score: float = 72.0) -> int:
    """A prompt sent ``age_s`` ago with a scored window just before it."""
    now = SystemClock().wall()
    sid = store.start_session(started_wall=now - age_s - 600.0, source="ble")
    # the latest window closed just now
    store.add_window(sid, scored_window(0.0, 600.0 + age_s, score, stressed=True, hr_bpm=80.0))
    return store.add_prompt(
        session_id=sid,
        wall=now - age_s,
        t_s=600.0,
        prompt_id="hand-on-heart",
        kind="touch",
        title="Hand on heart",
        trigger="stress",
        notifier="terminal",
        score=score,
        shown=True,
    )


def practices(paths: Paths) -> list[dict[str, object]]:
    with Store(paths.db) as s:
        return [dict(r) for r in s.query("SELECT * FROM practices ORDER BY id")]


def test_log_done_answers_the_last_prompt_with_the_score(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(paths.db) as s:
        row = seed_prompt(s, age_s=600.0)
    assert cli(paths, "log", "done", "--note", "felt warmer") == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and 'for "Hand on heart"' in out
    (p,) = practices(paths)
    assert (p["outcome"], p["prompt_row_id"], p["kind"], p["score"], p["note"]) == (
        "done",
        row,
        "touch",
        72.0,
        "felt warmer",
    )
    # the prompt is answered now: a second log is a practice of its own
    assert cli(paths, "log", "skipped", "--kind", "breath") == 0
    assert practices(paths)[1]["prompt_row_id"] is None
    assert practices(paths)[1]["kind"] == "breath"


def test_log_does_not_link_a_prompt_older_than_two_hours(paths: Paths) -> None:
    with Store(paths.db) as s:
        seed_prompt(s, age_s=3 * 3600.0)
    assert cli(paths, "log", "done") == 0
    (p,) = practices(paths)
    assert p["prompt_row_id"] is None and p["kind"] is None


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("2h", 7200), ("1h30m", 5400), ("90s", 90), ("1H5M", 3900)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["3x", "", "30", "m", "0m", "5 minutes", "1.5h", "8d", "200h"])
def test_a_bad_duration_exits_2_with_a_clear_line(
    paths: Paths, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    assert cli(paths, "pause", bad) == 2
    err = capsys.readouterr().err
    assert err.startswith("kindbreak: ") and "hint:" in err
    assert read_pause(paths.data_dir) is None


def test_pause_then_resume(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(paths, "pause") == 0
    state = read_pause(paths.data_dir)
    assert state is not None and state.until_wall is None
    mode = stat.S_IMODE((paths.data_dir / "pause.json").stat().st_mode)
    assert mode == 0o600
    assert cli(paths, "resume") == 0
    assert read_pause(paths.data_dir) is None
    assert "back on" in capsys.readouterr().out


def test_pause_30m_holds_back_a_rising_event_for_30_virtual_minutes(
    paths: Paths, store: Store
) -> None:
    clock = VirtualClock(wall_start_s=SystemClock().wall())
    sink = make_sink(paths, store, clock, make_settings(cooldown_min=0.0))
    assert cli(paths, "pause", "30m") == 0

    def rising() -> EpisodeRising:
        return EpisodeRising(DetectorEvent(EventKind.RISING, clock.monotonic(), 80.0, 0.0, 80.0))

    async def scenario() -> None:
        await sink.handle(rising())
        clock.advance_to(29 * 60.0)
        await sink.handle(rising())
        clock.advance_to(31 * 60.0)
        await sink.handle(rising())

    asyncio.run(scenario())
    (row,) = store.query("SELECT t_s FROM prompts")
    assert row["t_s"] == 31 * 60.0


def test_breathe_on_a_virtual_clock_records_its_duration(paths: Paths) -> None:
    out = StringIO()
    clock = VirtualClock(wall_start_s=1_772_000_000.0)
    assert (
        breathe.run(
            Context(paths, Output(out=out), given_settings=make_settings()),
            minutes=2.0,
            rate_bpm=6.0,
            with_strap=False,
            clock=clock,
        )
        == 0
    )
    (p,) = practices(paths)
    assert (p["outcome"], p["kind"], p["duration_s"]) == ("done", "breath", 120.0)
    assert p["wall"] == 1_772_000_120.0
    lines = out.getvalue().splitlines()
    assert lines.count("breathe in ... 4 s") == 12
    assert lines.count("breathe out ... 6 s") == 12


def test_breathe_with_strap_but_none_remembered_does_not_block(paths: Paths) -> None:
    out = StringIO()
    clock = VirtualClock()
    breathe.run(
        Context(paths, Output(out=out), given_settings=make_settings()),
        minutes=1.0,
        rate_bpm=10.0,
        with_strap=True,
        clock=clock,
    )
    assert "no strap remembered" in out.getvalue()
    assert practices(paths)[0]["duration_s"] == 60.0


def test_breathe_rejects_a_silly_rate(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(paths, "breathe", "--rate", "60") == 2
    assert "outside 2 to 20" in capsys.readouterr().err


def test_config_validates_the_new_prompt_settings(tmp_path: Path) -> None:
    from kindbreak.config import parse_settings
    from kindbreak.errors import ConfigError

    s = parse_settings({"prompts": {"checkins": ["15:30", "11:00"], "summary_at": ""}})
    assert s.prompts.checkins == ("11:00", "15:30") and s.prompts.summary_at == ""
    for bad in (
        {"checkins": "11:00"},
        {"checkins": ["25:00"]},
        {"summary_at": "5pm"},
        {"snooze_min": 0},
    ):
        with pytest.raises(ConfigError):
            parse_settings({"prompts": bad})
