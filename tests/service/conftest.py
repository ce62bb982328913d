"""Fixtures of the service tests: a private home (XDG folders, HOME) for every test, and
stand-ins for ``systemctl`` and ``launchctl`` put on PATH: small scripts that record their
arguments and answer as the real tools do, so the code under test runs the tool the way it
would on a person's machine (only the process at the other end is replaced)."""

from __future__ import annotations

import os
import stat
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

STRAP_NAME = "Polar H10 7E3A1B2C"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
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
    old = os.umask(0o022)
    try:
        yield home
    finally:
        os.umask(old)


def remember_strap(home: Path, name: str = STRAP_NAME) -> None:
    folder = home / ".config" / "kindbreak"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(f'[device]\nname = "{name}"\n', encoding="utf-8")


@dataclass
class FakeTool:
    """A stand-in for a system tool on PATH; ``calls`` are its argument lists, in order."""

    name: str
    log: Path
    answers: Path

    @property
    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [line.split("\x1f") for line in self.log.read_text().splitlines()]

    def answer(self, args: str, *, stdout: str = "", rc: int = 0) -> None:
        """What the tool prints and returns for the argument line ``args`` (space-joined)."""
        key = args.replace(" ", "_").replace("/", "_").replace("=", "_").replace(",", "_")
        (self.answers / f"{key}.out").write_text(stdout)
        (self.answers / f"{key}.rc").write_text(str(rc))


def _fake_tool(bin_dir: Path, name: str) -> FakeTool:
    answers = bin_dir / f"{name}.answers"
    answers.mkdir()
    log = bin_dir / f"{name}.calls"
    script = bin_dir / name
    script.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            # Records its arguments (one line per call, fields split by 0x1f) and answers with
            # what the test put in {answers}/<args>.out and .rc (default: nothing, 0).
            printf '%s' "$1" >> '{log}'
            shift_done=0
            for a in "$@"; do
              if [ $shift_done = 1 ]; then printf '\\037%s' "$a" >> '{log}'; fi
              shift_done=1
            done
            printf '\\n' >> '{log}'
            key=$(printf '%s' "$*" | tr ' /=,' '____')
            if [ -f '{answers}'/"$key".out ]; then cat '{answers}'/"$key".out; fi
            if [ -f '{answers}'/"$key".rc ]; then exit "$(cat '{answers}'/"$key".rc)"; fi
            exit 0
            """
        )
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return FakeTool(name, log, answers)


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


@pytest.fixture
def systemctl(fake_bin: Path) -> FakeTool:
    tool = _fake_tool(fake_bin, "systemctl")
    tool.answer("--user is-active graphical-session.target", stdout="active\n")
    return tool


@pytest.fixture
def launchctl(fake_bin: Path) -> FakeTool:
    return _fake_tool(fake_bin, "launchctl")
