"""``kindbreak status``: whether a monitor runs on the log (the monitor lock), what it saw last
(its status file), today's prompts and breaks (the log), in words or as JSON; a monitor that
was killed is reported as such."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from kindbreak.cli import main
from kindbreak.clock import VirtualClock
from kindbreak.commands import status
from kindbreak.commands.context import Context
from kindbreak.commands.output import Output
from kindbreak.config import PromptSettings, Settings
from kindbreak.live.status_file import MonitorState, NextPrompt, read_state, status_path
from kindbreak.paths import Paths
from kindbreak.store.db import Store
from kindbreak.store.lock import MonitorLock
from support.waiting import wait_until

ZONE = "Europe/Berlin"
NOON = 1_773_054_000.0  # Mon 2026-03-09 12:00 in Berlin (11:00 UTC)


def ask(data: Path, *, as_json: bool = False, now: float = NOON) -> tuple[int, str]:
    out = io.StringIO()
    ctx = Context(
        Paths(data, data / "config", data / "state"),
        Output(out, io.StringIO()),
        given_settings=Settings(prompts=PromptSettings(timezone=ZONE)),
    )
    rc = status.run(ctx, as_json=as_json, clock=VirtualClock(wall_start_s=now))
    return rc, out.getvalue()


def test_no_monitor_has_run_yet(tmp_path: Path) -> None:
    rc, text = ask(tmp_path / "data")
    assert rc == status.NOT_RUNNING
    assert text.splitlines()[0] == "kindbreak monitor: not running (none has run on this log yet)."
    assert "kindbreak service install" in text
    assert not (tmp_path / "data").exists()  # asking creates nothing
    rc, text = ask(tmp_path / "data", as_json=True)
    got = json.loads(text)
    assert got["monitor"] == {"running": False, "state": "never"}
    assert got["today"] == {
        "date": "2026-03-09",
        "prompts": 0,
        "done": 0,
        "skipped": 0,
        "snoozed": 0,
    }


def running_state(pid: int, **changes: Any) -> MonitorState:
    base = MonitorState(
        pid=pid,
        started_wall=NOON - 3 * 3600,
        source="ble",
        updated_wall=NOON - 10.0,
        written_wall=NOON - 10.0,
        device_name="Polar H10 7E3A1B2C",
        device_address="A0:9E:1A:7E:3A:1B",
        battery_pct=76,
        link="connected",
        link_since_wall=NOON - 3000.0,
        hr_bpm=68,
        hr_wall=NOON - 12.0,
        rmssd_ms=45.2,
        score=32.0,
        band="low",
        window_quality="good",
        window_wall=NOON - 25.0,
        next_prompt=NextPrompt(False, NOON + 1500.0, "cooldown", "next prompt after 12:25"),
        notifier="desktop",
    )
    return dataclasses.replace(base, **changes)


def put(data: Path, state: MonitorState) -> None:
    data.mkdir(parents=True, exist_ok=True)
    status_path(data / "kindbreak.sqlite3").write_text(state.to_json())


def test_a_running_monitor_in_words_and_as_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with MonitorLock(data / "kindbreak.sqlite3", now_wall=NOON - 3 * 3600, source="ble"):
        put(data, running_state(os.getpid()))
        rc, text = ask(data)
        rc_json, raw = ask(data, as_json=True)
    assert rc == rc_json == 0
    assert text.splitlines() == [
        f"kindbreak monitor: running on Polar H10 7E3A1B2C since 09:00 (3 h), pid {os.getpid()}",
        "  strap      Polar H10 7E3A1B2C (A0:9E:1A:7E:3A:1B): connected, battery 76 %",
        "  heart      68 bpm (12 s ago)",
        "  stress     32 (low), RMSSD 45 ms (25 s ago)",
        "  today      no prompts yet",
        "  next       not before 12:25 (resting between prompts)",
    ]
    got = json.loads(raw)
    assert got["monitor"]["running"] is True and got["monitor"]["pid"] == os.getpid()
    assert got["monitor"]["notifier"] == "desktop"
    assert got["device"]["link"] == "connected" and got["device"]["battery_pct"] == 76
    assert got["heart_rate"] == {"bpm": 68, "wall": NOON - 12.0, "age_s": 12.0}
    assert got["stress"]["band"] == "low" and got["stress"]["age_s"] == 25.0
    assert got["next_prompt"] == {
        "allowed": False,
        "wall": NOON + 1500.0,
        "reason": "cooldown",
        "text": "next prompt after 12:25",
    }


def test_the_terminal_fallback_and_contact_loss_are_said(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with MonitorLock(data / "kindbreak.sqlite3", now_wall=NOON - 600, source="ble"):
        put(
            data,
            running_state(
                os.getpid(),
                link="contact lost",
                link_since_wall=NOON - 130.0,
                notifier="terminal",
                notifier_problem="no notification server on the session bus",
            ),
        )
        _, text = ask(data)
    assert "connected" not in text.splitlines()[1]
    assert "contact lost (2 min)" in text
    assert "prompts    shown in the terminal (no notification server on the session bus)" in text


def test_todays_prompts_and_breaks_come_from_the_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store(data / "kindbreak.sqlite3") as store:
        sid = store.start_session(started_wall=NOON - 4 * 3600, source="ble")
        rows = []
        for k, outcome in enumerate(["done", "skipped", "done", None]):
            wall = NOON - 3 * 3600 + k * 2700
            rows.append(
                store.add_prompt(
                    session_id=sid, wall=wall, t_s=None, prompt_id=f"p{k}", kind="breath",
                    title="A slow breath", trigger="stress", notifier="desktop", score=80.0,
                    shown=True,
                )
            )  # fmt: skip
            if outcome is not None:
                store.add_practice(wall=wall + 60, outcome=outcome, prompt_row_id=rows[-1])
        store.add_practice(wall=NOON - 86_400, outcome="done", kind="touch")  # yesterday
    rc, text = ask(data)
    assert rc == status.NOT_RUNNING
    assert "  today      4 prompts; 2 breaks taken, 1 let pass" in text
    got = json.loads(ask(data, as_json=True)[1])
    assert got["today"] == {
        "date": "2026-03-09",
        "prompts": 4,
        "done": 2,
        "skipped": 1,
        "snoozed": 0,
    }


# -- a real monitor process: running, killed, stopped ----------------------------------------------


def start_monitor(data: Path, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "kindbreak", "monitor", "--simulate"),
            *("--data-dir", str(data), "--notifier", "terminal", "--quiet"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")},
    )


def connected(data: Path, pid: int) -> bool:
    state = read_state(data / "kindbreak.sqlite3")
    return state is not None and state.pid == pid and state.hr_bpm is not None


def cli_status(data: Path, capsys: Any, *json_flag: str) -> tuple[int, str]:
    rc = main(["status", "--data-dir", str(data), *json_flag])
    return rc, capsys.readouterr().out


def test_a_monitor_running_then_killed_then_stopped(tmp_path: Path, capsys: Any) -> None:
    data = tmp_path / "data"
    proc = start_monitor(data, tmp_path)
    try:
        wait_until(lambda: connected(data, proc.pid), "the monitor's first beats", proc=proc)
        rc, text = cli_status(data, capsys)
        assert rc == 0, text
        assert text.startswith("kindbreak monitor: running on kindbreak simulator since ")
        assert f"pid {proc.pid}" in text.splitlines()[0]
        assert "  strap      kindbreak simulator (simulated): connected" in text
        rc, raw = cli_status(data, capsys, "--json")
        got = json.loads(raw)
        assert got["monitor"]["pid"] == proc.pid and got["monitor"]["source"] == "simulator"
        assert got["heart_rate"]["bpm"] > 30
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    rc, text = cli_status(data, capsys)
    assert rc == status.NOT_RUNNING
    assert f"(pid {proc.pid}) ended without closing" in text and "killed or crashed" in text
    lines = text.splitlines()
    assert lines[1] == "  What it saw last:"
    assert lines[3].startswith("  heart      ") and " bpm (at " in lines[3]  # no "ago"
    assert json.loads(cli_status(data, capsys, "--json")[1])["monitor"]["state"] == "gone"

    again = start_monitor(data, tmp_path)
    wait_until(lambda: connected(data, again.pid), "the second monitor's first beats", proc=again)
    again.send_signal(signal.SIGTERM)
    _, err = again.communicate(timeout=30)
    assert again.returncode == 0, err
    rc, text = cli_status(data, capsys)
    assert rc == status.NOT_RUNNING
    assert text.startswith("kindbreak monitor: not running; the last one stopped at ")
    assert json.loads(cli_status(data, capsys, "--json")[1])["monitor"]["state"] == "stopped"
