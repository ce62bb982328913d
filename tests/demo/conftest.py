"""Fixtures of the demo tests: a private home for every test (config, data, state) and the
process umask put back (``kindbreak.cli.main`` sets 077 for the whole process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    for var, sub in [
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("KINDBREAK_CONFIG_DIR", "config/kindbreak"),
    ]:
        monkeypatch.setenv(var, str(home / sub))
    old = os.umask(0o022)
    try:
        yield home
    finally:
        os.umask(old)
