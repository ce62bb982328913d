"""A desktop notification server on dbus-fast's service API, as dunst or GNOME Shell answer.

``org.freedesktop.Notifications`` at ``/org/freedesktop/Notifications`` (Desktop Notifications
Specification 1.2): Notify (ids from 1), CloseNotification, GetCapabilities (with "actions"),
GetServerInformation, and the signals ActionInvoked and NotificationClosed, which clients such
as desktop-notifier subscribe to. It records every Notify call; the test presses buttons and
closes notifications (:meth:`Notifications.invoke_action`, :meth:`Notifications.close`) or
lets the server press one button on every notification that offers it (``press``), the way a
person would, after the client has taken the notification's id.

:class:`NotificationServer` is the tests' handle from their own thread: the server lives on a
:class:`~support.dbus.PeerLoop`, on a bus connection of its own.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method, signal

from support.dbus import PeerLoop

BUS_NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
CAPABILITIES = ["actions", "body", "body-markup", "icon-static", "persistence"]
CLOSED_EXPIRED, CLOSED_DISMISSED, CLOSED_BY_CALL = 1, 2, 3


@dataclass(frozen=True)
class NotifyCall:
    """The arguments of one Notify call, in the specification's order."""

    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: list[str]
    hints: dict[str, Any]
    expire_timeout_ms: int

    @property
    def buttons(self) -> dict[str, str]:
        """Action key -> label."""
        return dict(zip(self.actions[::2], self.actions[1::2], strict=True))


# dbus-fast reads D-Bus signatures from annotations (a method without a reply has no return
# annotation; ``-> None`` would be read as a signature).


class Notifications(ServiceInterface):
    """The server's interface. ``press``: a button key to press on every notification that
    offers it (None: the test presses them)."""

    def __init__(self, bus: MessageBus, *, press: str | None = None) -> None:
        super().__init__(BUS_NAME)
        self._bus = bus
        self.press = press
        self.calls: list[NotifyCall] = []
        self.arrived = threading.Event()  # set on every Notify: tests wait on it
        self.caller = ""  # the unique bus name of the last Notify's sender
        self._next_id = 1
        self._presses: set[asyncio.Task[None]] = set()

    @method()
    def Notify(
        self,
        app_name: "s",
        replaces_id: "u",
        app_icon: "s",
        summary: "s",
        body: "s",
        actions: "as",
        hints: "a{sv}",
        expire_timeout: "i",
    ) -> "u":
        call = NotifyCall(
            app_name, replaces_id, app_icon, summary, body, list(actions), hints, expire_timeout
        )
        self.calls.append(call)
        nid = replaces_id or self._next_id
        if not replaces_id:
            self._next_id += 1
        if self.press is not None and self.press in call.buttons:
            self._press_when_ready(nid, self.press)
        self.arrived.set()
        return nid

    @method()
    def CloseNotification(self, nid: "u"):
        self.NotificationClosed(nid, CLOSED_BY_CALL)

    @method()
    def GetCapabilities(self) -> "as":
        return CAPABILITIES

    @method()
    def GetServerInformation(self) -> "ssss":
        return ["kindbreak-test", "kindbreak", "1.0", "1.2"]

    @signal()
    def ActionInvoked(self, nid: int, action_key: str) -> "us":
        return [nid, action_key]

    @signal()
    def NotificationClosed(self, nid: int, reason: int) -> "uu":
        return [nid, reason]

    def _press_when_ready(self, nid: int, key: str) -> None:
        """Press ``key`` once the client has the notification's id, as a person would.

        The client learns the id from Notify's reply; a signal sent right behind it can arrive
        before the client has stored the id, and would be dropped. So the press waits for a
        round trip to the client (Peer.Ping, which every D-Bus connection answers): the client
        answers it after it has taken the reply, and handles the press after that.
        """
        client = self.caller

        async def press() -> None:
            await self._bus.call(
                Message(
                    destination=client,
                    path="/",
                    interface="org.freedesktop.DBus.Peer",
                    member="Ping",
                )
            )
            self.ActionInvoked(nid, key)

        task = asyncio.get_running_loop().create_task(press())
        self._presses.add(task)  # a reference until it is done
        task.add_done_callback(self._presses.discard)


class _Server:
    """A bus connection that owns org.freedesktop.Notifications."""

    def __init__(self, bus: MessageBus, interface: Notifications) -> None:
        self.bus = bus
        self.interface = interface

    @classmethod
    async def start(cls, bus_address: str, press: str | None) -> _Server:
        bus = await MessageBus(bus_address=bus_address).connect()
        interface = Notifications(bus, press=press)
        server = cls(bus, interface)
        bus.add_message_handler(server._note_caller)
        bus.export(PATH, interface)
        await bus.request_name(BUS_NAME)
        return server

    def _note_caller(self, msg: Message) -> None:
        # Message handlers run before method dispatch: who is calling Notify, for the press.
        if msg.message_type == MessageType.METHOD_CALL and msg.member == "Notify":
            self.interface.caller = msg.sender or ""


class NotificationServer:
    """The tests' handle on a running server (from the test's thread)."""

    def __init__(self, loop: PeerLoop, bus_address: str, *, press: str | None = None) -> None:
        self._loop = loop
        self._server = loop.run(_Server.start(bus_address, press))

    @property
    def interface(self) -> Notifications:
        return self._server.interface

    def notify_calls(self) -> list[NotifyCall]:
        """Every Notify call the server received, oldest first."""
        return self._loop.call(lambda: list(self._server.interface.calls))

    def wait_for_notify(self, timeout_s: float = 10.0) -> bool:
        """Wait until a Notify arrives (True), or ``timeout_s`` passes (False)."""
        return self._server.interface.arrived.wait(timeout_s)

    def invoke_action(self, nid: int, key: str) -> None:
        """The person presses the button ``key`` of notification ``nid``."""
        self._loop.call(self._server.interface.ActionInvoked, nid, key)

    def close(self, nid: int, reason: int) -> None:
        """Notification ``nid`` closes (1 expired, 2 dismissed by the person, 3 by a call)."""
        self._loop.call(self._server.interface.NotificationClosed, nid, reason)

    def stop(self) -> None:
        """The server goes away (it crashed, or the desktop session ended)."""
        if self._server.bus.connected:
            self._loop.call(self._server.bus.disconnect)
