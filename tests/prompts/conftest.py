"""Fixtures for the prompt and notifier tests.

The D-Bus notifier tests talk to a real notification server on a real private session bus:
``PrivateDBus(BusType.SESSION)`` runs a dbus-daemon per test and points
``DBUS_SESSION_BUS_ADDRESS`` at it (restored afterwards); the server is python-dbusmock's
``notification_daemon`` template in its own process. Each scenario runs under ``asyncio.run``.

When python-dbusmock, dbus-python or dbus-daemon is missing those tests skip with the reason,
except under ``CI=true``, where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_test_support import (
    ACTIONS_TEMPLATE,
    NotificationServer,
    spawn_server,
)

from dbus_support import private_bus


@pytest.fixture
def session_bus() -> Iterator[Any]:
    """A private D-Bus session bus for one test; yields the PrivateDBus (``.address``)."""
    with private_bus("session", "the D-Bus notification tests") as bus:
        yield bus


@pytest.fixture
def notification_server(session_bus: Any, tmp_path: Path) -> Iterator[NotificationServer]:
    """python-dbusmock's stock ``notification_daemon`` template on the private session bus."""
    yield from spawn_server("notification_daemon", tmp_path)


@pytest.fixture
def action_server(session_bus: Any, tmp_path: Path) -> Iterator[NotificationServer]:
    """The stock template, plus what a real server (dunst, GNOME) also has: the "actions"
    capability and the ActionInvoked / NotificationClosed signals in its introspection data
    (see ``notification_daemon_actions.py``)."""
    yield from spawn_server(str(ACTIONS_TEMPLATE), tmp_path)


@pytest.fixture
def plyer_on_this_bus(session_bus: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let plyer's D-Bus backend reach this test's private bus.

    plyer calls ``dbus.SessionBus()`` on every notify; libdbus resolves the session bus address
    once per process and keeps it, so a second test's private bus would never be reached.
    Here ``dbus.SessionBus()`` opens a connection to the current bus instead; the rest of
    plyer's path (the Notify call over D-Bus) runs unchanged.
    """
    import dbus
    import dbus.bus

    opened: list[Any] = []

    def session_bus_here() -> Any:
        conn = dbus.bus.BusConnection(session_bus.address)
        opened.append(conn)
        return conn

    monkeypatch.setattr(dbus, "SessionBus", session_bus_here)
    yield
    for conn in opened:
        conn.close()
