"""`kindbreak record --out FILE` never destroys a file: an existing one is refused without
--force, and even with it the old file is replaced only once the strap is connected; a link at
FILE is replaced, never written through. Against the BlueZ-shaped peer, as monitor's test."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.stream import encode_measurement

STRAP = "A0:9E:1A:12:34:57"
STRAP_NAME = "Polar H10 A1B2C3D5"
OLD = b'{"format": "kindbreak-recording", "version": 1}\n' + b'{"t": 1.0, "hex": "0048"}\n' * 5000


def _args(out: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["record", "--device", STRAP, "--out", str(out), "--data-dir", str(tmp_path), *extra]


def test_an_existing_recording_is_refused_without_force(
    bluez, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KINDBREAK_CONFIG_DIR", str(tmp_path / "config"))
    bluez.add_device(STRAP, STRAP_NAME)
    out = tmp_path / "walk.jsonl"
    out.write_bytes(OLD)
    assert main(_args(out, tmp_path)) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"kindbreak: {out}: already exists",
        "  hint: Choose another name, or add --force to replace it once the strap is connected.",
    ]
    assert out.read_bytes() == OLD


def test_force_keeps_the_old_file_when_no_strap_can_be_reached(
    bluez, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's case: a 125 KB recording was cut to 287 bytes when no strap answered."""
    monkeypatch.setenv("KINDBREAK_CONFIG_DIR", str(tmp_path / "config"))
    bluez.add_device(STRAP, STRAP_NAME)
    bluez.set_powered(False)
    out = tmp_path / "walk.jsonl"
    out.write_bytes(OLD)
    fresh = tmp_path / "new.jsonl"
    assert main(_args(out, tmp_path, "--force")) == 1
    assert main(_args(fresh, tmp_path)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert out.read_bytes() == OLD
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def _record_while_streaming(bluez, argv: list[str]) -> int:
    result: dict[str, int] = {}
    cli = threading.Thread(target=lambda: result.setdefault("rc", main(argv)))
    cli.start()
    deadline = time.monotonic() + 20.0
    while cli.is_alive() and time.monotonic() < deadline:
        bluez.notify(STRAP, encode_measurement(70, rr_ms=[850.0], sensor_contact=True))
        time.sleep(0.05)
    cli.join(timeout=10.0)
    assert not cli.is_alive(), "record --duration 1 did not stop"
    return result["rc"]


def test_force_replaces_the_file_once_connected_and_never_follows_a_link(
    bluez, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KINDBREAK_CONFIG_DIR", str(tmp_path / "config"))
    bluez.add_device(STRAP, STRAP_NAME)
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    os.chmod(victim, 0o644)
    out = tmp_path / "walk.jsonl"
    out.symlink_to(victim)
    rc = _record_while_streaming(bluez, _args(out, tmp_path, "--force", "--duration", "1"))
    assert rc == 0
    assert not out.is_symlink()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "kindbreak-recording"
    assert sum('"hex"' in ln for ln in lines) >= 5
    assert victim.read_text() == "not yours\n"
    assert stat.S_IMODE(os.stat(victim).st_mode) == 0o644
