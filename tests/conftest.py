"""Fixtures every test folder may use: a private D-Bus session bus and a real desktop
notification server on it (``tests/notification_server.py``, on dbus-fast's service API).

The bus is a dbus-daemon of the test's own (``DBUS_SESSION_BUS_ADDRESS`` points at it while the
test runs); the server lives on an event loop in a thread of its own, so the code under test
talks to it over D-Bus exactly as to dunst or GNOME Shell. Where dbus-daemon is missing these
tests skip and name the package to install, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dbus_support import PeerLoop, PrivateBus, private_bus
from notification_server import NotificationServer


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
