"""The NeuroKit2 reference of the marker tests, computed in a child interpreter while the suite
runs; the tests that compare with it run last."""

from __future__ import annotations

import json
import subprocess

import pytest

from support.neurokit import start_neurokit_child

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
    """NeuroKit2's markers of :func:`support.neurokit.neurokit_series`, by series name."""
    proc = request.config.stash.get(NEUROKIT_CHILD, None)
    if proc is None:  # the hook did not run (e.g. a plugin reordered collection)
        proc = start_neurokit_child()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return json.loads(out)
