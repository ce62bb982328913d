"""Fixtures for the BLE tests: a private D-Bus system bus with a BlueZ-shaped peer on it.

The tests drive the real, unpatched bleak BlueZ backend. Each test module gets a dbus-daemon
of its own (a system-type bus; ``DBUS_SYSTEM_BUS_ADDRESS`` points at it, and dbus-fast reads
that variable on every connect) and one peer (``tests/bluez_peer.py``) on a loop of its own,
which every test resets to an idle, powered adapter with no devices. Each test runs its
scenario under ``asyncio.run``: a fresh event loop gives a fresh bleak BlueZManager (bleak
keeps one per loop), so no cached BlueZ state leaks between tests.

When dbus-daemon is missing the tests skip and name the package to install, except under
``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from bluez_peer import BlueZ
from dbus_support import PeerLoop, PrivateBus, private_bus

T = TypeVar("T")

SCENARIO_TIMEOUT_S = 10.0  # a safety net only; scenarios take a fraction of a second


@pytest.fixture(scope="module")
def system_bus() -> Iterator[PrivateBus]:
    """A private system bus for one test module.

    Module scope keeps DBUS_SYSTEM_BUS_ADDRESS pointed at it only while BLE tests run.
    """
    with private_bus("system", "bleak's BlueZ backend tests") as bus:
        yield bus


class BlueZPeer:
    """The test's handle on the peer: each call runs on the peer's loop and returns its answer."""

    def __init__(self, loop: PeerLoop, radio: BlueZ) -> None:
        self._loop = loop
        self._radio = radio

    def add_device(self, address: str, name: str, kind: str = "strap", **options: int) -> str:
        return self._loop.call(lambda: self._radio.add_device(address, name, kind, **options))

    def notify(self, address: str, payload: bytes) -> bool:
        return self._loop.call(self._radio.notify, address, payload)

    def drop_link(self, address: str) -> None:
        self._loop.call(self._radio.drop_link, address)

    def set_silent(self, address: str, silent: bool) -> None:
        self._loop.call(self._radio.set_silent, address, silent)

    def set_in_range(self, address: str, in_range: bool) -> None:
        self._loop.call(self._radio.set_in_range, address, in_range)

    def set_powered(self, powered: bool) -> None:
        self._loop.call(self._radio.set_powered, powered)

    def reset(self) -> None:
        self._loop.call(self._radio.reset)

    def stats(self, address: str) -> dict[str, int | bool]:
        """connects, adverts (counts); connected, notifying (flags)."""
        return self._loop.call(self._radio.stats, address)


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


def _run(coro: Coroutine[Any, Any, T]) -> T:
    async def guarded() -> T:
        return await asyncio.wait_for(coro, SCENARIO_TIMEOUT_S)

    return asyncio.run(guarded())


@pytest.fixture
def run() -> Callable[[Coroutine[Any, Any, T]], T]:
    """Runs one scenario on a fresh event loop (so bleak builds a fresh BlueZ manager)."""
    return _run
