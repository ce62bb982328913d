"""What every test against a real D-Bus peer needs: python-dbusmock, dbus-python and
dbus-daemon on Linux, and the rule that a missing prerequisite skips with its reason on a
laptop but fails under CI (``CI=true``), where nothing may skip."""

from __future__ import annotations

import os
import shutil
import sys

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
