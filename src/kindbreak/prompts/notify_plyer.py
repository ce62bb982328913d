"""Desktop notifications through ``plyer.notification`` (no buttons).

plyer's traps, and what this backend does about them:

- On Linux plyer talks D-Bus only when the ``dbus`` module (dbus-python) is importable; without
  it, it shells out to ``notify-send``, which ignores the timeout and fails *silently* when no
  notification server runs. So every send first probes the session bus for a server.
- With neither, or on an unsupported system, ``notify`` raises ``NotImplementedError``; when the
  platform module fails to import, plyer prints a traceback to stderr. We pick plyer's backend
  once, with stderr captured, and report "no backend" instead.
- ``notify`` blocks (a D-Bus round trip or a subprocess), so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import logging
import warnings
from typing import Any

from kindbreak.prompts.library import Prompt
from kindbreak.prompts.notifier import (
    DEFAULT_TIMEOUT_S,
    ProbeFn,
    is_freedesktop,
    probe_notification_server,
)
from kindbreak.prompts.notify_desktop import APP_NAME, message_text


def plyer_installed() -> bool:
    return importlib.util.find_spec("plyer") is not None


def _plyer_backend() -> tuple[Any | None, str]:
    """plyer's notification implementation for this system, or (None, why not)."""
    try:
        from plyer import notification
    except ImportError as exc:
        return None, f"plyer is not installed ({exc})"
    captured = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(captured):
        warnings.simplefilter("always")
        # plyer picks its platform implementation on first attribute access
        impl = object.__getattribute__(notification, "_ensure_obj")()
    kind = type(impl).__name__
    if kind == "Notification":  # the bare facade: no implementation for this system
        notes = "; ".join(str(w.message).splitlines()[0] for w in caught if str(w.message))
        extra = captured.getvalue().strip().splitlines()
        why = notes or (extra[-1] if extra else "") or "unsupported system"
        return None, f"plyer has no notification backend here ({why})"
    return impl, ""


class PlyerNotifier:
    """The ``plyer`` backend: title and body, app name "kindbreak", a timeout."""

    name = "plyer"

    def __init__(
        self,
        *,
        log: logging.Logger | None = None,
        app_name: str = APP_NAME,
        timeout_s: int = DEFAULT_TIMEOUT_S,
        probe: ProbeFn = probe_notification_server,
    ) -> None:
        self._log = log if log is not None else logging.getLogger(__name__)
        self._app_name = app_name
        self._timeout_s = timeout_s
        self._probe = probe
        self._impl: Any = None
        self.last_error = ""

    @property
    def backend(self) -> str:
        """plyer's implementation class (e.g. NotifyDbus, NotifySendNotification), once known."""
        return type(self._impl).__name__ if self._impl is not None else ""

    async def send(self, prompt: Prompt, *, subtitle: str = "") -> bool:
        if is_freedesktop():
            ok, why = await self._probe()
            if not ok:
                self.last_error = why
                return False
        if self._impl is None:
            impl, why = _plyer_backend()
            if impl is None:
                self.last_error = why
                return False
            self._impl = impl
            self._log.debug("plyer notification backend: %s", self.backend)
        try:
            await asyncio.to_thread(
                self._impl.notify,
                title=prompt.title,
                message=message_text(prompt, subtitle),
                app_name=self._app_name,
                timeout=self._timeout_s,
            )
        except (
            Exception
        ) as exc:  # plyer raises whatever its backend raises (DBusException, OSError, ...)
            self.last_error = f"plyer could not show it ({type(exc).__name__}: {exc})"
            self._log.debug("plyer notify failed", exc_info=True)
            return False
        self.last_error = ""
        return True

    async def aclose(self) -> None:
        return None
