"""What every test against a real D-Bus peer needs: a private bus and a loop for the peer.

- :class:`PrivateBus` runs ``dbus-daemon`` with a config of its own (a session- or
  system-type bus on a socket in a temporary folder, everything allowed) and points
  ``DBUS_SESSION_BUS_ADDRESS`` or ``DBUS_SYSTEM_BUS_ADDRESS`` at it while it runs.
- :class:`PeerLoop` runs an asyncio event loop in a thread of its own, where the peers
  (``bluez_peer.py``, ``notification_server.py``, built on dbus-fast's service API) live on their
  own bus connection, apart from the code under test and its event loop. A test calls into a
  peer with :meth:`PeerLoop.call`, which waits for the answer.

Nothing here compiles anything: dbus-fast comes with bleak. The one system prerequisite is
``dbus-daemon``; where it is missing the tests skip and name the package to install, except
under ``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

T = TypeVar("T")
BusKind = Literal["session", "system"]

INSTALL_DBUS_DAEMON = (
    "dbus-daemon not found: install it (Debian, Ubuntu: apt install dbus-daemon; "
    "Fedora: dnf install dbus-daemon; Arch: pacman -S dbus)"
)
CALL_TIMEOUT_S = 10.0  # a safety net only: peer calls take well under a millisecond


def require_or_skip(ok: bool, reason: str) -> None:
    """Skip when a system prerequisite is missing; under CI=true, fail instead."""
    import pytest  # here: tools/mock_strap.py uses this module without pytest installed

    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: not skipping)", pytrace=False)
    pytest.skip(reason)


def dbus_missing(what: str) -> str | None:
    """Why the D-Bus tests of ``what`` cannot run here, or None when they can."""
    if not sys.platform.startswith("linux"):
        return f"{what} run on Linux only (D-Bus)"
    if shutil.which("dbus-daemon") is None:
        return f"{what}: {INSTALL_DBUS_DAEMON}"
    return None


_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>{kind}</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{servicedir}</servicedir>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""


class PrivateBus:
    """A ``dbus-daemon`` of its own for a test: a ``session`` or ``system`` type bus.

    ``servicedir`` is the folder of activatable services (``*.service`` files); after adding
    one, :meth:`reload` makes the daemon read it.
    """

    def __init__(self, kind: BusKind) -> None:
        self.kind = kind
        # A short folder of its own: a socket path must stay under 108 bytes.
        self._dir = Path(tempfile.mkdtemp(prefix="kb-dbus-"))
        self.servicedir = self._dir / "services"
        self.servicedir.mkdir()
        socket = self._dir / "bus"
        config = self._dir / "bus.conf"
        config.write_text(
            _CONFIG.format(kind=kind, socket=socket, servicedir=self.servicedir), encoding="utf-8"
        )
        self._daemon = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._daemon.stdout is not None
        self.address = self._daemon.stdout.readline().strip()  # printed once it listens
        if not self.address:
            self._daemon.wait(timeout=CALL_TIMEOUT_S)
            shutil.rmtree(self._dir, ignore_errors=True)
            raise RuntimeError(f"dbus-daemon did not start (exit {self._daemon.returncode})")

    @property
    def variable(self) -> str:
        return f"DBUS_{self.kind.upper()}_BUS_ADDRESS"

    def reload(self) -> None:
        """Make the daemon read its configuration and service folder again (and wait)."""
        from dbus_fast import Message, MessageType
        from dbus_fast.aio import MessageBus

        async def ask() -> None:
            bus = await MessageBus(bus_address=self.address).connect()
            try:
                reply = await bus.call(
                    Message(
                        destination="org.freedesktop.DBus",
                        path="/org/freedesktop/DBus",
                        interface="org.freedesktop.DBus",
                        member="ReloadConfig",
                    )
                )
                assert reply is not None and reply.message_type == MessageType.METHOD_RETURN
            finally:
                bus.disconnect()

        asyncio.run(ask())

    def stop(self) -> None:
        if self._daemon.poll() is None:
            self._daemon.terminate()
            self._daemon.wait(timeout=CALL_TIMEOUT_S)
        if self._daemon.stdout is not None:
            self._daemon.stdout.close()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextmanager
def private_bus(kind: BusKind, what: str) -> Iterator[PrivateBus]:
    """A private bus whose address is in the environment while it runs (then put back).

    Skips (fails under CI=true) when dbus-daemon is not there; ``what`` names the tests.
    """
    missing = dbus_missing(what)
    require_or_skip(missing is None, missing or "")
    bus = PrivateBus(kind)
    saved = os.environ.get(bus.variable)
    os.environ[bus.variable] = bus.address
    try:
        yield bus
    finally:
        bus.stop()
        if saved is None:
            os.environ.pop(bus.variable, None)
        else:
            os.environ[bus.variable] = saved


class PeerLoop:
    """An asyncio event loop in a daemon thread, where D-Bus peers live."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="dbus-peer", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the peer loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(CALL_TIMEOUT_S)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call ``fn(*args)`` on the peer loop (peers are not thread-safe) and return its result."""

        async def on_loop() -> T:
            return fn(*args)

        return self.run(on_loop())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=CALL_TIMEOUT_S)
        self.loop.close()
