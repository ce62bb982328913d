"""Shared fixtures of the core tests: a private home for every test, the process umask, and
the NeuroKit2 reference computed in a child interpreter while the suite runs."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import start_neurokit_child


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Keep the CLI away from the real user's config, data and state, and restore the umask
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


# -- the NeuroKit2 reference, computed beside the suite --------------------------------------------

NEUROKIT_CHILD = pytest.StashKey[subprocess.Popen]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "neurokit_reference: compares with NeuroKit2 (computed in a child, runs last)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    last = [i for i in items if i.get_closest_marker("neurokit_reference")]
    if last:
        items[:] = [i for i in items if not i.get_closest_marker("neurokit_reference")] + last


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    if any(i.get_closest_marker("neurokit_reference") for i in session.items):
        session.config.stash[NEUROKIT_CHILD] = start_neurokit_child()


def pytest_sessionfinish(session: pytest.Session) -> None:
    proc = session.config.stash.get(NEUROKIT_CHILD, None)
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def neurokit_reference(request: pytest.FixtureRequest) -> dict[str, dict[str, float]]:
    """NeuroKit2's markers of :func:`support.neurokit_series`, by series name."""
    proc = request.config.stash.get(NEUROKIT_CHILD, None)
    if proc is None:  # the hook did not run (e.g. a plugin reordered collection)
        proc = start_neurokit_child()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return json.loads(out)
