"""Fixtures of the service tests: a private home (XDG folders, HOME) for every test, and
stand-ins for ``systemctl`` and ``launchctl`` put on PATH: small scripts that record their
arguments and answer as the real tools do, so the code under test runs the tool the way it
would on a person's machine (only the process at the other end is replaced)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.service import FakeTool, fake_tool


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME with the XDG folders where a person's are (the unit files go under it); the
    umask is put back by the top-level ``isolated_home``."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in [
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
    ]:
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("KINDBREAK_CONFIG_DIR", raising=False)
    return home


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


@pytest.fixture
def systemctl(fake_bin: Path) -> FakeTool:
    tool = fake_tool(fake_bin, "systemctl")
    tool.answer("--user is-active graphical-session.target", stdout="active\n")
    return tool


@pytest.fixture
def launchctl(fake_bin: Path) -> FakeTool:
    return fake_tool(fake_bin, "launchctl")
