"""`kindbreak monitor --device NAME --duration S` end to end against the BlueZ-shaped peer.

The real CLI runs (in a thread, its own event loop, real bleak over the private system bus)
while the test plays the strap: it pushes a frame every 50 ms until the command ends. Then the
log must hold the session, its device, and every beat that was sent while it was connected.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from kindbreak.cli import main
from kindbreak.config import load_settings
from kindbreak.stream import encode_measurement

STRAP = "A0:9E:1A:12:34:56"
STRAP_NAME = "Polar H10 A1B2C3D4"
RR_TICKS = [800, 820, 790, 810]  # ms = ticks * 1000 / 1024


def test_monitor_device_by_name_writes_beats_to_the_log(bluez, tmp_path: Path, monkeypatch) -> None:
    bluez.add_device(STRAP, STRAP_NAME, battery=76, body_location=1)
    data_dir = tmp_path / "data"
    config_dir = tmp_path / "config"
    monkeypatch.setenv("KINDBREAK_CONFIG_DIR", str(config_dir))
    result: dict[str, int] = {}

    def run_cli() -> None:
        result["rc"] = main(
            [
                "monitor",
                "--device",
                STRAP_NAME,
                "--duration",
                "2",
                "--data-dir",
                str(data_dir),
                "--notifier",
                "terminal",
                "--quiet",
            ]
        )

    cli = threading.Thread(target=run_cli)
    cli.start()
    sent_rr: list[float] = []
    deadline = time.monotonic() + 20.0
    i = 0
    while cli.is_alive() and time.monotonic() < deadline:
        ticks = RR_TICKS[i % len(RR_TICKS)]
        payload = encode_measurement(74, rr_ms=[ticks * 1000 / 1024], sensor_contact=True)
        if bluez.notify(STRAP, payload):  # True once the app has subscribed
            sent_rr.append(ticks * 1000 / 1024)
        i += 1
        time.sleep(0.05)
    cli.join(timeout=10.0)
    assert not cli.is_alive(), "monitor --duration 2 did not stop"
    assert result["rc"] == 0

    with sqlite3.connect(data_dir / "kindbreak.sqlite3") as db:
        sessions = db.execute("SELECT source, device_name, device_address FROM sessions").fetchall()
        beats = [r[0] for r in db.execute("SELECT rr_ms FROM beats ORDER BY t_s")]
    assert sessions == [("ble", STRAP_NAME, STRAP)]
    # Every beat stored was one the strap sent, in order, none twice; the monitor stops at 2 s,
    # so frames sent after that are not in the log, but at least a second's worth is.
    assert len(beats) >= 15
    assert beats == sent_rr[: len(beats)]
    # The choice is remembered for next time.
    assert load_settings(config_dir / "config.toml").device.name == STRAP_NAME


def test_monitor_with_the_adapter_off_says_so_in_one_line(
    bluez, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The error raised inside the session's TaskGroup reaches the user as kindbreak's own
    message and hint, with exit status 1, not as an exception group traceback."""
    bluez.add_device(STRAP, STRAP_NAME)
    bluez.set_powered(False)
    monkeypatch.setenv("KINDBREAK_CONFIG_DIR", str(tmp_path / "config"))
    rc = main(
        [
            "monitor",
            "--device",
            STRAP,
            "--data-dir",
            str(tmp_path / "data"),
            "--notifier",
            "terminal",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1
    assert "Traceback" not in err and "ExceptionGroup" not in err
    assert "kindbreak: " in err and "hint: " in err
    assert "power" in err.lower() or "off" in err.lower()
