"""Desktop notifications through the ``desktop-notifier`` package, with action buttons.

On Linux it speaks the freedesktop notification protocol over D-Bus (dbus-fast, on the running
asyncio loop); on macOS and Windows it uses the native notification centre. Each notification
carries three buttons, mapped to ``on_action(prompt_id, action)``:

    "Did it"  -> "done"      "Snooze" -> "snooze"      "Not now" -> "dismiss"

Closing the notification by hand also reports "dismiss"; letting it time out reports nothing.

desktop-notifier never raises when sending fails: it logs a warning with a traceback and moves
on. This backend notices the failure (the notification was never dispatched), keeps that
warning out of the person's terminal (it goes to our log at DEBUG) and returns False with the
reason in :attr:`DesktopNotifier.last_error`, so :class:`FallbackNotifier` can take over.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import partial
from typing import Any

from kindbreak.prompts.library import INFO_KIND, Prompt
from kindbreak.prompts.notifier import (
    ACTION_DISMISS,
    ACTION_DONE,
    ACTION_SNOOZE,
    DEFAULT_TIMEOUT_S,
    ActionCallback,
    ProbeFn,
    is_freedesktop,
    probe_notification_server,
)

APP_NAME = "kindbreak"
BUTTONS: tuple[tuple[str, str], ...] = (
    (ACTION_DONE, "Did it"),
    (ACTION_SNOOZE, "Snooze"),
    (ACTION_DISMISS, "Not now"),
)
_DN_SEND_LOGGER = "desktop_notifier.backends.base"


def desktop_notifier_installed() -> bool:
    return importlib.util.find_spec("desktop_notifier") is not None


class _CaptureFailure(logging.Filter):
    """Catches desktop-notifier's "Notification failed" warning while we send."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = ""
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            self.records.append(record)
            exc = record.exc_info[1] if record.exc_info else None
            detail = f"{type(exc).__name__}: {exc}" if exc is not None else record.getMessage()
            self.reason = self.reason or detail
            return False
        return True


def message_text(prompt: Prompt, subtitle: str = "") -> str:
    return f"{prompt.body}\n{subtitle}" if subtitle else prompt.body


class DesktopNotifier:
    """The ``desktop-notifier`` backend (buttons: Did it, Snooze, Not now)."""

    name = "desktop"

    def __init__(
        self,
        *,
        on_action: ActionCallback | None = None,
        log: logging.Logger | None = None,
        app_name: str = APP_NAME,
        timeout_s: int = DEFAULT_TIMEOUT_S,
        probe: ProbeFn = probe_notification_server,
    ) -> None:
        self._on_action = on_action
        self._log = log if log is not None else logging.getLogger(__name__)
        self._app_name = app_name
        self._timeout_s = timeout_s
        self._probe = probe
        self._dn: Any = None
        self._shown: dict[str, str] = {}
        """The server's identifier of the latest notification of each prompt id."""
        self.last_error = ""

    def _emit(self, prompt_id: str, action: str) -> None:
        self._log.debug("notification action: %s on %s", action, prompt_id)
        if self._on_action is None:
            return
        try:
            self._on_action(prompt_id, action)
        except Exception:  # a bad callback must not break the D-Bus signal handler
            self._log.exception(
                "the notification action handler failed (%s, %s)", prompt_id, action
            )

    async def _ensure(self) -> Any | None:
        if self._dn is not None:
            return self._dn
        if is_freedesktop():
            ok, why = await self._probe()
            if not ok:
                self.last_error = why
                return None
        try:
            import desktop_notifier
        except ImportError as exc:
            self.last_error = f"desktop-notifier is not installed ({exc})"
            return None
        self._dn = desktop_notifier.DesktopNotifier(app_name=self._app_name, app_icon=None)
        return self._dn

    async def send(self, prompt: Prompt, *, subtitle: str = "") -> bool:
        dn = await self._ensure()
        if dn is None:
            return False
        from desktop_notifier import Button, Urgency

        dispatched = False

        def on_dispatched() -> None:
            nonlocal dispatched
            dispatched = True

        actionable = prompt.kind != INFO_KIND
        buttons = tuple(
            Button(
                title=title, identifier=action, on_pressed=partial(self._emit, prompt.id, action)
            )
            for action, title in (BUTTONS if actionable else ())
        )
        capture = _CaptureFailure()
        dn_logger = logging.getLogger(_DN_SEND_LOGGER)
        dn_logger.addFilter(capture)
        try:
            identifier = await dn.send(
                title=prompt.title,
                message=message_text(prompt, subtitle),
                urgency=Urgency.Normal,
                buttons=buttons,
                on_dispatched=on_dispatched,
                on_dismissed=partial(self._emit, prompt.id, ACTION_DISMISS) if actionable else None,
                timeout=self._timeout_s,
            )
        finally:
            dn_logger.removeFilter(capture)
        for record in capture.records:
            self._log.debug("desktop-notifier: %s", record.getMessage(), exc_info=record.exc_info)
        if not dispatched:
            self.last_error = capture.reason or "the notification server did not take it"
            return False
        self.last_error = ""
        self._shown[prompt.id] = str(identifier)
        return True

    async def withdraw(self, prompt_id: str) -> None:
        """Take the prompt's notification off the screen (it was answered elsewhere)."""
        identifier = self._shown.pop(prompt_id, None)
        if identifier is None or self._dn is None:
            return
        try:
            await self._dn.clear(identifier)
        except Exception as exc:  # the server may have closed it already
            self._log.debug("closing notification %s: %s", identifier, exc)

    async def aclose(self) -> None:
        dn, self._dn = self._dn, None
        bus = getattr(getattr(dn, "_backend", None), "bus", None)
        if bus is not None:
            try:
                bus.disconnect()
            except Exception as exc:  # already gone
                self._log.debug("closing the D-Bus connection: %s", exc)
