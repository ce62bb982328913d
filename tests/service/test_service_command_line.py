"""The command line ``kindbreak service install`` writes, run as systemd would run it (its
environment, its working folder, its umask), against a real desktop notification server on a
private session bus and the BlueZ-shaped strap on a private system bus: it says hello on the
desktop, waits quietly while Bluetooth is off, connects when it comes on, logs beats, answers
``kindbreak status``, and ends cleanly on SIGTERM (what ``systemctl stop`` sends)."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from kindbreak.cli import main
from kindbreak.commands.output import Output
from kindbreak.live.status_file import read_state
from kindbreak.service.systemd import STOP_TIMEOUT_S, split_exec
from kindbreak.stream import encode_measurement
from support.service import STRAP_NAME, parse_unit, remember_strap
from support.waiting import wait_until

STRAP = "A0:9E:1A:7E:3A:1B"


def systemd_environment(
    home: Path, unit: dict[str, dict[str, list[str]]], **buses: str
) -> dict[str, str]:
    """What a systemd user manager gives the service: a small environment (HOME, PATH, the
    session bus the desktop exported) and the unit's own ``Environment=`` lines."""
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    env.update(buses)
    for line in unit["Service"].get("Environment", []):
        key, _, value = line.partition("=")
        env[key] = value
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def states_in_log(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT state, detail FROM states ORDER BY rowid").fetchall()


def beats_in_log(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM beats").fetchone()[0])


def test_the_units_command_line_runs_all_day_against_real_peers(
    home: Path,
    systemctl: Any,
    bluez: Any,
    system_bus: Any,
    session_bus: Any,
    notification_server: Any,
) -> None:
    bluez.add_device(STRAP, STRAP_NAME, battery=80, body_location=1)
    bluez.set_powered(False)  # Bluetooth is off at login
    remember_strap(home)
    out = io.StringIO()
    assert main(["service", "install"], Output(out, io.StringIO())) == 0, out.getvalue()
    unit_text = (home / ".config" / "systemd" / "user" / "kindbreak.service").read_text()
    unit = parse_unit(unit_text)
    argv = split_exec(unit["Service"]["ExecStart"][0])
    assert unit["Service"]["WorkingDirectory"] == ["%h"] and unit["Service"]["UMask"] == ["0077"]
    env = systemd_environment(
        home,
        unit,
        DBUS_SESSION_BUS_ADDRESS=session_bus.address,
        DBUS_SYSTEM_BUS_ADDRESS=system_bus.address,
    )
    db = home / ".local" / "share" / "kindbreak" / "kindbreak.sqlite3"

    proc = subprocess.Popen(
        argv,
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.umask(0o077),
    )
    try:
        # 1. It says hello on the desktop: the service's notifications reach the session.
        assert notification_server.wait_for_notify(30.0), "no notification from the service"
        (hello,) = notification_server.notify_calls()
        assert (hello.app_name, hello.summary) == ("kindbreak", "kindbreak is on")
        assert STRAP_NAME in hello.body
        assert "done" not in hello.buttons  # a greeting, not a prompt: no "Did it"
        # 2. Bluetooth is off: it waits, looking again with backoff (stored, not said).
        looks = lambda: [d for s, d in states_in_log(db) if d.startswith("attempt ")]  # noqa: E731
        wait_until(lambda: len(looks()) >= 2, "two looks for the strap", proc=proc)
        assert proc.poll() is None
        # 3. Bluetooth comes on: it connects by itself and the beats go to the log.
        bluez.set_powered(True)

        def connected() -> bool:
            state = read_state(db)
            return state is not None and state.link == "connected"

        wait_until(connected, "the strap connected", timeout_s=60.0, proc=proc)
        frame = encode_measurement(70, rr_ms=[857.421875], sensor_contact=True)
        wait_until(
            lambda: bluez.notify(STRAP, frame) and beats_in_log(db) > 0,
            "beats in the log",
            proc=proc,
        )
        # 4. Any terminal can ask how it is.
        answer = io.StringIO()
        assert main(["status", "--json"], Output(answer, io.StringIO())) == 0
        got = json.loads(answer.getvalue())
        assert got["monitor"]["pid"] == proc.pid and got["monitor"]["notifier"] == "desktop"
        assert got["device"]["name"] == STRAP_NAME and got["device"]["battery_pct"] == 80
    finally:
        # 5. `systemctl stop` sends SIGTERM and waits TimeoutStopSec before it kills.
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=STOP_TIMEOUT_S)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    said = [ln for ln in stderr.splitlines() if ln.startswith("kindbreak: connecting:")]
    assert len(said) == 2, stderr  # "looking for ..." and the first failed look, however many
    assert said[1].startswith("kindbreak: connecting: attempt 1 in ")
    assert len(looks()) >= 2
    assert "Session summary" in stderr
    state = read_state(db)
    assert state is not None and state.stopped_wall is not None
    assert not (home / ".local" / "state" / "kindbreak" / "service-hello").exists()  # said once
