"""Fixtures for the prompt and notifier tests.

The D-Bus notifier tests talk to a real notification server on a real private session bus:
``PrivateDBus(BusType.SESSION)`` runs a dbus-daemon per test and points
``DBUS_SESSION_BUS_ADDRESS`` at it (restored afterwards); the server is python-dbusmock's
``notification_daemon`` template in its own process. Each scenario runs under ``asyncio.run``.

When python-dbusmock, dbus-python or dbus-daemon is missing those tests skip with the reason,
except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_test_support import (
    ACTIONS_TEMPLATE,
    NotificationServer,
    close_shared_dbus_python_bus,
    dbusmock_missing,
    require_or_skip,
    spawn_server,
)


@pytest.fixture
def session_bus() -> Iterator[Any]:
    """A private D-Bus session bus for one test; yields the PrivateDBus (``.address``)."""
    missing = dbusmock_missing()
    require_or_skip(missing is None, missing or "")
    from dbusmock.testcase import BusType, PrivateDBus

    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    bus = PrivateDBus(BusType.SESSION)
    bus.start()  # sets DBUS_SESSION_BUS_ADDRESS
    try:
        yield bus
    finally:
        close_shared_dbus_python_bus()
        bus.stop()
        if saved is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved


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
