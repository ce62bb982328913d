"""Helpers for the prompt and notifier tests (a module with a unique name, so test files can
import it whatever other conftest.py files the suite has)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ACTIONS_TEMPLATE = Path(__file__).with_name("notification_daemon_actions.py")
MOCK_IFACE = "org.freedesktop.DBus.Mock"
SCENARIO_TIMEOUT_S = 10.0  # a safety net only; scenarios take a fraction of a second


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one async scenario on a fresh event loop, with a safety-net timeout."""

    async def guarded() -> T:
        return await asyncio.wait_for(coro, SCENARIO_TIMEOUT_S)

    return asyncio.run(guarded())


@dataclass
class NotificationServer:
    """A dbusmock notification server: its process and the mock object to query."""

    mock: Any
    process: subprocess.Popen[bytes]
    log_path: Path

    def notify_calls(self) -> list[list[Any]]:
        """The argument lists of every Notify call the server received, oldest first."""
        return [
            list(args) for _, args in self.mock.GetMethodCalls("Notify", dbus_interface=MOCK_IFACE)
        ]

    def emit(self, signal: str, signature: str, args: list[Any]) -> None:
        self.mock.EmitSignal(
            "org.freedesktop.Notifications", signal, signature, args, dbus_interface=MOCK_IFACE
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=5)


def spawn_server(
    template: str, tmp_path: Path, parameters: dict[str, Any] | None = None
) -> Iterator[NotificationServer]:
    from dbusmock.testcase import BusType, SpawnedMock

    log_path = tmp_path / "notification-server.log"
    with log_path.open("wb") as log:
        server = SpawnedMock.spawn_with_template(
            template, parameters or {}, BusType.SESSION, stdout=log, stderr=subprocess.STDOUT
        )
    handle = NotificationServer(server.obj, server.process, log_path)
    try:
        yield handle
    finally:
        server.terminate()
