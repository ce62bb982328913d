"""Fixtures every test folder may use (helpers are modules of ``tests/support/``):

- every test gets a private home (XDG folders, the config dir) and the umask restored;
- ``paths`` and ``store``: a data, config and state dir in the test's tmp dir, and a log there;
- a private D-Bus session bus and a real desktop notification server on it
  (``support/notification_server.py``, on dbus-fast's service API);
- a private D-Bus system bus with a BlueZ-shaped adapter on it (``support/bluez_peer.py``) that
  the BLE tests drive the real, unpatched bleak backend against.

The bus is a dbus-daemon of the test's own (``DBUS_SESSION_BUS_ADDRESS`` points at it while the
test runs); the server lives on an event loop in a thread of its own, so the code under test
talks to it over D-Bus exactly as to dunst or GNOME Shell. Where dbus-daemon is missing these
tests skip and name the package to install, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kindbreak.paths import Paths
from kindbreak.store.db import Store
from support.bluez_peer import BlueZ, BlueZPeer
from support.dbus import PeerLoop, PrivateBus, private_bus
from support.notification_server import NotificationServer
from support.scenario import run as run_scenario

T = TypeVar("T")


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


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(data_dir=tmp_path / "data", config_dir=tmp_path / "config", state_dir=tmp_path)


@pytest.fixture
def store(paths: Paths) -> Iterator[Store]:
    s = Store(paths.db)
    yield s
    s.close()


# -- the desktop notification server on a private session bus ------------------------------------


@pytest.fixture
def session_bus() -> Iterator[PrivateBus]:
    """A private D-Bus session bus for one test."""
    with private_bus("session", "the D-Bus notification tests") as bus:
        yield bus


@pytest.fixture
def peer_loop() -> Iterator[PeerLoop]:
    """An event loop in a thread of its own for D-Bus peers."""
    loop = PeerLoop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture
def notification_server(
    session_bus: PrivateBus, peer_loop: PeerLoop
) -> Iterator[NotificationServer]:
    """A desktop notification server on the test's session bus (the test presses buttons)."""
    server = NotificationServer(peer_loop, session_bus.address)
    try:
        yield server
    finally:
        server.stop()


# -- BlueZ on a private system bus ---------------------------------------------------------------
#
# Fixtures for the BLE tests: a private D-Bus system bus with a BlueZ-shaped peer on it.
#
# The tests drive the real, unpatched bleak BlueZ backend. Each test module gets a dbus-daemon
# of its own (a system-type bus; ``DBUS_SYSTEM_BUS_ADDRESS`` points at it, and dbus-fast reads
# that variable on every connect) and one peer (``tests/support/bluez_peer.py``) on a loop of
# its own, which every test resets to an idle, powered adapter with no devices. Each test runs its
# scenario under ``asyncio.run``: a fresh event loop gives a fresh bleak BlueZManager (bleak
# keeps one per loop), so no cached BlueZ state leaks between tests.
#
# When dbus-daemon is missing the tests skip and name the package to install, except under
# ``CI=true``, where they fail.


@pytest.fixture(scope="module")
def system_bus() -> Iterator[PrivateBus]:
    """A private system bus for one test module.

    Module scope keeps DBUS_SYSTEM_BUS_ADDRESS pointed at it only while BLE tests run.
    """
    with private_bus("system", "bleak's BlueZ backend tests") as bus:
        yield bus


@pytest.fixture(scope="module")
def _bluez_radio(system_bus: PrivateBus) -> Iterator[BlueZPeer]:
    """One peer per module, on a loop of its own."""
    loop = PeerLoop()
    radio = loop.run(BlueZ.start(system_bus.address))
    try:
        yield BlueZPeer(loop, radio)
    finally:
        loop.call(radio.stop)
        loop.close()


@pytest.fixture
def bluez(_bluez_radio: BlueZPeer) -> BlueZPeer:
    """The BlueZ-shaped peer, reset for this test: adapter hci0 powered and idle, no devices."""
    _bluez_radio.reset()
    return _bluez_radio


@pytest.fixture
def run() -> Callable[[Coroutine[Any, Any, T]], T]:
    """Runs one scenario on a fresh event loop (so bleak builds a fresh BlueZ manager)."""
    return run_scenario
