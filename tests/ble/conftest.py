"""Fixtures for the BLE tests: a private D-Bus system bus with a BlueZ-shaped peer on it.

The tests drive the real, unpatched bleak BlueZ backend. Each test module gets a dbus-daemon
(``PrivateDBus(BusType.SYSTEM)``, which points ``DBUS_SYSTEM_BUS_ADDRESS`` at it; dbus-fast
reads that variable on every connect) and one peer process (``bluez_strap.py``), which every
test resets to an idle, powered adapter with no devices. Each test runs its scenario under
``asyncio.run``: a fresh event loop gives a fresh bleak BlueZManager (bleak keeps one per
loop), so no cached BlueZ state leaks between tests.

When python-dbusmock, dbus-python or dbus-daemon is missing the tests skip with the reason,
except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from dbus_support import private_bus

T = TypeVar("T")

TEMPLATE = Path(__file__).with_name("bluez_strap.py")
MOCK_IFACE = "org.kindbreak.BlueZMock"
SCENARIO_TIMEOUT_S = 10.0  # a safety net only; scenarios take a fraction of a second


@pytest.fixture(scope="module")
def system_bus() -> Iterator[str]:
    """A private system bus for one test module; yields its address.

    Module scope keeps DBUS_SYSTEM_BUS_ADDRESS pointed at it only while BLE tests run.
    """
    with private_bus("system", "bleak's BlueZ backend tests") as bus:
        yield bus.address


class BlueZPeer:
    """The test's handle on the mock: calls its org.kindbreak.BlueZMock methods (blocking, fast)."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def _call(self, method: str, *args: Any) -> Any:
        return getattr(self._obj, method)(*args, dbus_interface=MOCK_IFACE)

    def add_device(self, address: str, name: str, kind: str = "strap", **options: int) -> str:
        import dbus

        opts = dbus.Dictionary({k: dbus.Int32(v) for k, v in options.items()}, signature="sv")
        return str(self._call("AddDevice", address, name, kind, opts))

    def notify(self, address: str, payload: bytes) -> bool:
        import dbus

        return bool(self._call("Notify", address, dbus.ByteArray(payload)))

    def drop_link(self, address: str) -> None:
        self._call("DropLink", address)

    def set_silent(self, address: str, silent: bool) -> None:
        self._call("SetSilent", address, silent)

    def set_in_range(self, address: str, in_range: bool) -> None:
        self._call("SetInRange", address, in_range)

    def set_powered(self, powered: bool) -> None:
        self._call("SetPowered", powered)

    def reset(self) -> None:
        self._call("ResetPeers")

    def stats(self, address: str) -> dict[str, int | bool]:
        """connects, adverts (counts); connected, notifying (flags)."""
        raw = self._call("Stats", address)
        return {
            str(k): bool(v) if k in ("connected", "notifying") else int(v) for k, v in raw.items()
        }


@pytest.fixture(scope="module")
def _bluez_process(system_bus: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One peer process per module (spawning one per test costs seconds on a busy box)."""
    from dbusmock.testcase import BusType, SpawnedMock

    log_path = tmp_path_factory.mktemp("bluez") / "bluez-mock.log"
    with log_path.open("wb") as log:
        mock = SpawnedMock.spawn_with_template(
            str(TEMPLATE), {}, BusType.SYSTEM, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield mock
        finally:
            mock.terminate()


@pytest.fixture
def bluez(_bluez_process: Any) -> BlueZPeer:
    """The BlueZ-shaped peer, reset for this test: adapter hci0 powered and idle, no devices."""
    peer = BlueZPeer(_bluez_process.obj)
    peer.reset()
    return peer


def _run(coro: Coroutine[Any, Any, T]) -> T:
    async def guarded() -> T:
        return await asyncio.wait_for(coro, SCENARIO_TIMEOUT_S)

    return asyncio.run(guarded())


@pytest.fixture
def run() -> Callable[[Coroutine[Any, Any, T]], T]:
    """Runs one scenario on a fresh event loop (so bleak builds a fresh BlueZ manager)."""
    return _run
