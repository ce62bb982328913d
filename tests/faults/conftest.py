"""Shared fixtures of the fault suite: a private home for every test and the process umask."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Keep the CLI away from the real user's files, and restore the umask
    (``kindbreak.cli.main`` sets 077 for the whole process)."""
    home = tmp_path_factory.mktemp("home")
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
