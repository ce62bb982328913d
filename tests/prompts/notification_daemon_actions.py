"""python-dbusmock template: the stock ``notification_daemon`` plus actions, as real servers have.

The stock template answers Notify, GetCapabilities, GetServerInformation and CloseNotification,
but its introspection data lists no signals. Real servers (dunst, GNOME Shell, KDE) declare
``ActionInvoked`` and ``NotificationClosed`` there, and clients such as desktop-notifier
subscribe to a signal only when the server declares it. This template loads the stock one,
advertises the "actions" capability and declares the two signals (they are emitted by the test
with the mock's ``EmitSignal``).

Loaded in the mock's own process by path: ``SpawnedMock.spawn_with_template(path, ...)``.
"""

from __future__ import annotations

from typing import Any

import dbus
import dbus.service
from dbusmock.templates import notification_daemon

BUS_NAME = notification_daemon.BUS_NAME
MAIN_OBJ = notification_daemon.MAIN_OBJ
MAIN_IFACE = notification_daemon.MAIN_IFACE
SYSTEM_BUS = False

CAPABILITIES = "actions body body-markup icon-static persistence"


@dbus.service.signal(MAIN_IFACE, signature="us")
def ActionInvoked(self: Any, id: int, action_key: str) -> None:
    """Declared for introspection; emitted with EmitSignal."""


@dbus.service.signal(MAIN_IFACE, signature="uu")
def NotificationClosed(self: Any, id: int, reason: int) -> None:
    """Declared for introspection; emitted with EmitSignal (and by CloseNotification)."""


def load(mock: Any, parameters: dict[str, Any]) -> None:
    notification_daemon.load(mock, {"capabilities": CAPABILITIES, **parameters})
    # dbusmock's Introspect() merges the entries of mock.methods into the interface table, and
    # dbus-python's introspection writes every entry marked as a signal as a <signal>.
    for signal in (ActionInvoked, NotificationClosed):
        mock.methods[MAIN_IFACE][signal.__name__] = (signal._dbus_signature, "", "", signal)
