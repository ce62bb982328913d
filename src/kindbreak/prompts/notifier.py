"""The notifier seam: one small protocol, several backends, and a terminal fallback.

Backends (each imports its library lazily, inside the backend):

- :class:`~kindbreak.prompts.notify_desktop.DesktopNotifier`: the ``desktop-notifier`` package
  (D-Bus through dbus-fast on Linux, native on macOS and Windows), with the buttons
  "Did it", "Snooze" and "Not now".
- :class:`~kindbreak.prompts.notify_plyer.PlyerNotifier`: ``plyer.notification`` (no buttons).
- :class:`~kindbreak.prompts.notify_terminal.TerminalNotifier`: a gentle block of text on a
  stream; always works.

A missing notification server never stops anything: :func:`make_notifier` wraps a desktop
backend in :class:`FallbackNotifier`, which on the first failure says so in one line on the
terminal stream and then shows prompts in the terminal, looking for the server again before
each later prompt (a monitor started at login may come up before the desktop's notification
server, or the server may restart); when it is back, prompts go to the desktop again.

Without ``DBUS_SESSION_BUS_ADDRESS`` (a service started before the desktop exported it) the
session bus is looked for at its standard place, ``$XDG_RUNTIME_DIR/bus``.

Buttons arrive through ``on_action(prompt_id, action)`` with ``action`` one of ``"done"``,
``"snooze"`` or ``"dismiss"``. On Linux it is called on the asyncio event loop that sent the
notification, so keep it quick (record, then return).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TextIO, runtime_checkable

from kindbreak.errors import ConfigError, NotifierError
from kindbreak.prompts.library import Prompt

ACTION_DONE = "done"
ACTION_SNOOZE = "snooze"
ACTION_DISMISS = "dismiss"
ACTIONS: tuple[str, ...] = (ACTION_DONE, ACTION_SNOOZE, ACTION_DISMISS)

NOTIFIER_KINDS: tuple[str, ...] = ("auto", "desktop", "plyer", "terminal")

NOTIFICATIONS_NAME = "org.freedesktop.Notifications"
PROBE_TIMEOUT_S = 2.0
DEFAULT_TIMEOUT_S = 60
"""How long a desktop notification stays up (servers may cap it)."""

ActionCallback = Callable[[str, str], None]
"""``on_action(prompt_id, action)``; action is one of :data:`ACTIONS`."""

ProbeFn = Callable[[], Awaitable[tuple[bool, str]]]
RecoverFn = Callable[[], Awaitable["Notifier | None"]]


@runtime_checkable
class Notifier(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def last_error(self) -> str:
        """Why the last prompt was not shown ("" when it was)."""
        ...

    async def send(self, prompt: Prompt, *, subtitle: str = "") -> bool:
        """Show ``prompt``; True if it was shown. Never raises for a missing server."""
        ...

    async def aclose(self) -> None: ...


def adopt_session_bus(env: dict[str, str] | None = None) -> str:
    """The session bus address; when none is set, the standard per-user socket
    ``$XDG_RUNTIME_DIR/bus`` if it exists, written into the environment so that every D-Bus
    library of this process finds it. Returns the address ("" when there is none)."""
    import stat

    environ: Any = os.environ if env is None else env
    address = str(environ.get("DBUS_SESSION_BUS_ADDRESS", "")).strip()
    runtime = str(environ.get("XDG_RUNTIME_DIR", "")).strip()
    if address or not runtime or not is_freedesktop():
        return address
    socket_path = os.path.join(runtime, "bus")
    try:
        if not stat.S_ISSOCK(os.stat(socket_path).st_mode):
            return ""
    except OSError:
        return ""
    address = f"unix:path={socket_path}"
    environ["DBUS_SESSION_BUS_ADDRESS"] = address
    return address


def is_freedesktop() -> bool:
    """Linux and the BSDs talk to a notification server over the D-Bus session bus."""
    return sys.platform not in ("darwin", "win32", "cygwin")


async def probe_notification_server() -> tuple[bool, str]:
    """Is a desktop notification server there? Returns (available, why-not).

    macOS and Windows always have their native notification centre. Elsewhere the
    ``org.freedesktop.Notifications`` name must have an owner on the session bus (or be
    activatable there); without ``DBUS_SESSION_BUS_ADDRESS`` there is no session bus to ask.
    """
    if not is_freedesktop():
        return True, ""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if not address:
        return False, "DBUS_SESSION_BUS_ADDRESS is not set, so there is no session bus to ask"
    try:
        from dbus_fast import BusType, Message, MessageType
        from dbus_fast.aio import MessageBus
    except ImportError as exc:
        return False, f"cannot ask the session bus: dbus-fast is not installed ({exc})"

    async def ask() -> tuple[bool, str]:
        bus = await MessageBus(bus_type=BusType.SESSION).connect()
        try:
            for member in ("NameHasOwner", "ListActivatableNames"):
                reply = await bus.call(
                    Message(
                        destination="org.freedesktop.DBus",
                        path="/org/freedesktop/DBus",
                        interface="org.freedesktop.DBus",
                        member=member,
                        signature="s" if member == "NameHasOwner" else "",
                        body=[NOTIFICATIONS_NAME] if member == "NameHasOwner" else [],
                    )
                )
                if reply is None or reply.message_type != MessageType.METHOD_RETURN:
                    detail = reply.body if reply is not None else "no reply"
                    return False, f"the session bus did not answer {member} ({detail})"
                found = reply.body[0]
                if (member == "NameHasOwner" and found is True) or (
                    member == "ListActivatableNames" and NOTIFICATIONS_NAME in found
                ):
                    return True, ""
            return False, "no notification server on the session bus"
        finally:
            bus.disconnect()

    try:
        return await asyncio.wait_for(ask(), timeout=PROBE_TIMEOUT_S)
    except TimeoutError:
        return False, f"the session bus did not answer within {PROBE_TIMEOUT_S:g} s"
    except (OSError, ValueError, EOFError) as exc:
        return False, f"cannot reach the session bus ({exc})"
    except Exception as exc:  # dbus-fast raises its own errors (AuthError, DBusError, ...)
        return False, f"cannot reach the session bus ({type(exc).__name__}: {exc})"


async def notification_server_available() -> bool:
    """True if a desktop notification server can be reached (see probe_notification_server)."""
    ok, _ = await probe_notification_server()
    return ok


class FallbackNotifier:
    """A desktop backend that falls back to the terminal on its first failure.

    The switch is announced once, in one line on ``stream`` (with the reason); details go to
    ``log`` at DEBUG. With ``primary=None`` it starts in the terminal and announces at once.
    ``recover`` (if given) is asked for a desktop backend again before each prompt while in
    the terminal; when it gives one, prompts go to the desktop again (said once, in a line).
    """

    def __init__(
        self,
        primary: Notifier | None,
        terminal: Notifier,
        *,
        stream: TextIO,
        log: logging.Logger,
        reason: str = "",
        recover: RecoverFn | None = None,
    ) -> None:
        self._primary = primary
        self._recover = recover
        self._terminal = terminal
        self._stream = stream
        self._log = log
        self._announced = False
        self.fallback_reason = ""
        if primary is None:
            self._announce(reason or "no desktop notifier")

    @property
    def name(self) -> str:
        return self._primary.name if self._primary is not None else self._terminal.name

    @property
    def last_error(self) -> str:
        return self.active.last_error

    @property
    def fell_back(self) -> bool:
        return self._primary is None

    @property
    def active(self) -> Notifier:
        """The backend that shows the next prompt."""
        return self._primary if self._primary is not None else self._terminal

    def _announce(self, reason: str) -> None:
        self.fallback_reason = reason
        if self._announced:
            return
        self._announced = True
        line = (
            f"kindbreak: desktop notifications are not available: {reason}. "
            "Prompts will show here in the terminal.\n"
        )
        self._log.debug("notifier falls back to the terminal: %s", reason)
        self._say(line)

    def _say(self, line: str) -> None:
        try:
            self._stream.write(line)
            self._stream.flush()
        except (OSError, ValueError) as exc:
            self._log.warning("%s (and the terminal stream failed: %s)", line.strip(), exc)

    async def send(self, prompt: Prompt, *, subtitle: str = "") -> bool:
        if self._primary is None and self._recover is not None:
            back = await self._recover()
            if back is not None:
                self._primary = back
                self._announced = False  # a later loss is told again
                self.fallback_reason = ""
                self._log.info("desktop notifications are back (%s)", back.name)
                self._say("kindbreak: desktop notifications are back; prompts show there again.\n")
        primary = self._primary
        if primary is not None:
            why = ""
            try:
                if await primary.send(prompt, subtitle=subtitle):
                    return True
            except NotifierError as exc:
                why = exc.message
            why = why or primary.last_error or "the notification was not shown"
            self._primary = None
            self._announce(why)
            try:
                await primary.aclose()
            except Exception as exc:  # closing a broken backend must not stop the prompt
                self._log.debug("closing the %s notifier failed: %s", primary.name, exc)
        return await self._terminal.send(prompt, subtitle=subtitle)

    async def withdraw(self, prompt_id: str) -> None:
        """Take a prompt's notification off the screen, where the backend can."""
        await withdraw(self.active, prompt_id)

    async def aclose(self) -> None:
        if self._primary is not None:
            await self._primary.aclose()
        await self._terminal.aclose()


async def withdraw(notifier: Notifier, prompt_id: str) -> None:
    """Take a prompt's notification off the screen (answered by other means), if the backend
    can; the terminal and plyer cannot and need not."""
    take_back = getattr(notifier, "withdraw", None)
    if take_back is not None:
        await take_back(prompt_id)


async def make_notifier(
    kind: str = "auto",
    *,
    stream: TextIO,
    on_action: ActionCallback | None = None,
    log: logging.Logger,
    timeout_s: int = DEFAULT_TIMEOUT_S,
    probe: ProbeFn = probe_notification_server,
) -> Notifier:
    """Build the notifier the settings ask for.

    ``kind``: ``auto`` (desktop-notifier if a notification server is there, else plyer, else
    the terminal), ``desktop``, ``plyer`` or ``terminal``. Every kind but ``terminal`` comes
    wrapped in :class:`FallbackNotifier`, so a missing server only moves prompts to ``stream``.
    ``on_action(prompt_id, action)`` receives the buttons of backends that have them.
    """
    from kindbreak.prompts.notify_terminal import TerminalNotifier

    if kind not in NOTIFIER_KINDS:
        raise ConfigError(None, "notifier", f"{kind!r} is not one of: {', '.join(NOTIFIER_KINDS)}")
    terminal = TerminalNotifier(stream)
    if kind == "terminal":
        return terminal

    adopt_session_bus()

    async def desktop() -> tuple[Notifier | None, str]:
        """A desktop backend if a server answers now, else (None, why not)."""
        available, why = await probe()
        if not available:
            return None, why
        return _desktop_backend(kind, on_action, log, timeout_s, probe)

    async def recover() -> Notifier | None:
        return (await desktop())[0]

    primary, why = await desktop()
    if primary is not None:
        log.debug("notifier: %s", primary.name)
    return FallbackNotifier(primary, terminal, stream=stream, log=log, reason=why, recover=recover)


def _desktop_backend(
    kind: str,
    on_action: ActionCallback | None,
    log: logging.Logger,
    timeout_s: int,
    probe: ProbeFn,
) -> tuple[Notifier | None, str]:
    """The desktop backend ``kind`` asks for, or (None, why none is installed)."""
    reasons: list[str] = []
    if kind in ("auto", "desktop"):
        from kindbreak.prompts.notify_desktop import DesktopNotifier, desktop_notifier_installed

        if desktop_notifier_installed():
            return DesktopNotifier(on_action=on_action, log=log, timeout_s=timeout_s), ""
        reasons.append("desktop-notifier is not installed")
    if kind in ("auto", "plyer"):
        from kindbreak.prompts.notify_plyer import PlyerNotifier, plyer_installed

        if plyer_installed():
            return PlyerNotifier(log=log, timeout_s=timeout_s, probe=probe), ""
        reasons.append("plyer is not installed")
    return None, "; ".join(reasons)


__all__ = [
    "ACTIONS",
    "ACTION_DISMISS",
    "ACTION_DONE",
    "ACTION_SNOOZE",
    "ActionCallback",
    "FallbackNotifier",
    "Notifier",
    "adopt_session_bus",
    "make_notifier",
    "notification_server_available",
    "probe_notification_server",
    "withdraw",
]
