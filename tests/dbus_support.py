"""What every test against a real D-Bus peer needs: python-dbusmock, dbus-python and
dbus-daemon on Linux, and the rule that a missing prerequisite skips with its reason on a
laptop but fails under CI (``CI=true``), where nothing may skip."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def require_or_skip(ok: bool, reason: str) -> None:
    """Skip when a system prerequisite is missing; under CI=true, fail instead."""
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: not skipping)", pytrace=False)
    pytest.skip(reason)


def dbusmock_missing(what: str) -> str | None:
    """Why the D-Bus tests of ``what`` cannot run here, or None when they can."""
    if not sys.platform.startswith("linux"):
        return f"{what} run on Linux only"
    try:
        import dbus  # noqa: F401
        import dbusmock  # noqa: F401
    except ImportError as exc:
        return f"python-dbusmock/dbus-python not importable ({exc}); pip install python-dbusmock"
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon not found (apt install dbus-daemon)"
    return None


@contextmanager
def private_bus(kind: str, what: str) -> Iterator[Any]:
    """A private D-Bus ``kind`` bus ("session" or "system") for the tests of ``what``.

    Its address is in the environment (``DBUS_SESSION_BUS_ADDRESS`` or
    ``DBUS_SYSTEM_BUS_ADDRESS``) while it runs; the previous value is put back after.
    """
    missing = dbusmock_missing(what)
    require_or_skip(missing is None, missing or "")
    from dbusmock.testcase import BusType, PrivateDBus

    var = f"DBUS_{kind.upper()}_BUS_ADDRESS"
    saved = os.environ.get(var)
    bus = PrivateDBus(BusType.SESSION if kind == "session" else BusType.SYSTEM)
    bus.start()  # sets the variable
    try:
        yield bus
    finally:
        bus.stop()
        if saved is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = saved
