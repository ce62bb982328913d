"""Notifiers against a real notification server on a real, private D-Bus session bus.

The server (``tests/support/notification_server.py``, fixture ``notification_server``) answers on
its own bus connection and event loop as dunst or GNOME Shell would; what it received is read back
from its record of Notify calls, and a person's button presses and closes are the server's
``ActionInvoked`` and ``NotificationClosed`` signals.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kindbreak.prompts.library import INFO_KIND, Prompt, load_builtin
from kindbreak.prompts.notifier import (
    NOTIFICATIONS_NAME,
    FallbackNotifier,
    make_notifier,
    notification_server_available,
    probe_notification_server,
)
from kindbreak.prompts.notify_desktop import DesktopNotifier
from kindbreak.prompts.notify_plyer import PlyerNotifier
from support.dbus import PrivateBus
from support.notification_server import CLOSED_DISMISSED, CLOSED_EXPIRED, NotificationServer
from support.scenario import run

LIB = load_builtin()
LOG = logging.getLogger("kindbreak.test")
BREATH = LIB.get("breath-longer-out")
JAW = LIB.get("body-jaw")
assert BREATH is not None and JAW is not None
FALLBACK = "kindbreak: desktop notifications are not available"
NOTIFY_SEND = shutil.which("notify-send")  # libnotify-bin: plyer's way to the server
NO_PLYER_BACKEND = (
    "plyer has no notification backend here "
    "(The Python dbus package is not installed.; notify-send not found.)"
)


class Actions:
    """Collects on_action calls; lets a scenario await the next one."""

    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []
        self._arrived: asyncio.Queue[tuple[str, str]] | None = None

    def __call__(self, prompt_id: str, action: str) -> None:
        self.got.append((prompt_id, action))
        if self._arrived is not None:
            self._arrived.put_nowait((prompt_id, action))

    def arm(self) -> None:
        self._arrived = asyncio.Queue()

    async def next(self, timeout_s: float = 5.0) -> tuple[str, str]:
        assert self._arrived is not None
        return await asyncio.wait_for(self._arrived.get(), timeout_s)


# --- the probe -----------------------------------------------------------------------------


def test_probe_finds_the_server(notification_server: NotificationServer) -> None:
    assert run(probe_notification_server()) == (True, "")
    assert run(notification_server_available()) is True


def test_probe_on_a_bus_where_nobody_owns_the_name(session_bus: PrivateBus) -> None:
    assert run(probe_notification_server()) == (
        False,
        "no notification server on the session bus",
    )


def test_probe_counts_an_activatable_server(session_bus: PrivateBus) -> None:
    # a server that D-Bus would start on the first call (as dunst's .service file does)
    (session_bus.servicedir / "notifications.service").write_text(
        f"[D-BUS Service]\nName={NOTIFICATIONS_NAME}\nExec=/bin/false\n"
    )
    session_bus.reload()
    assert run(probe_notification_server()) == (True, "")


# --- desktop-notifier ------------------------------------------------------------------------


def test_desktop_notifier_delivers_title_body_and_buttons(
    notification_server: NotificationServer,
) -> None:
    async def scenario() -> bool:
        n = DesktopNotifier(timeout_s=30)
        try:
            return await n.send(BREATH)
        finally:
            await n.aclose()

    assert run(scenario()) is True
    (call,) = notification_server.notify_calls()
    assert call.app_name == "kindbreak"
    assert call.summary == "A longer out-breath"
    assert call.body == BREATH.body
    assert call.expire_timeout_ms == 30_000
    buttons = call.buttons
    assert {k: buttons[k] for k in ("done", "snooze", "dismiss")} == {
        "done": "Did it",
        "snooze": "Snooze",
        "dismiss": "Not now",
    }


def test_an_informational_summary_has_no_buttons(
    notification_server: NotificationServer,
) -> None:
    summary = Prompt(
        id="summary-2026-03-02",
        kind=INFO_KIND,
        title="Your day with kindbreak",
        body="Calm most of the day; 2 breaks taken.",
    )

    async def scenario() -> bool:
        n = DesktopNotifier()
        try:
            return await n.send(summary)
        finally:
            await n.aclose()

    assert run(scenario()) is True
    (call,) = notification_server.notify_calls()
    assert call.summary == "Your day with kindbreak"
    assert call.body == "Calm most of the day; 2 breaks taken."
    # "Did it" / "Snooze" / "Not now" would do nothing here, so none are offered.
    assert not {"done", "snooze", "dismiss"} & set(call.actions)


def test_desktop_notifier_adds_the_subtitle_under_the_body(
    notification_server: NotificationServer,
) -> None:
    async def scenario() -> None:
        n = DesktopNotifier()
        assert await n.send(JAW, subtitle="Heart rate up 9 bpm for 6 minutes")
        await n.aclose()

    run(scenario())
    (call,) = notification_server.notify_calls()
    assert call.summary == "Jaw"
    assert call.body == f"{JAW.body}\nHeart rate up 9 bpm for 6 minutes"


@pytest.mark.parametrize("action", ["done", "snooze", "dismiss"])
def test_a_button_press_reaches_on_action(
    notification_server: NotificationServer, action: str
) -> None:
    actions = Actions()

    async def scenario() -> tuple[str, str]:
        actions.arm()
        n = DesktopNotifier(on_action=actions)
        try:
            assert await n.send(BREATH)
            (call,) = notification_server.notify_calls()
            assert call.summary == BREATH.title
            # the server numbers notifications from 1; the first one is ours
            notification_server.invoke_action(1, action)
            return await actions.next()
        finally:
            await n.aclose()

    assert run(scenario()) == (BREATH.id, action)
    assert actions.got == [(BREATH.id, action)]


def test_each_press_names_its_own_prompt(notification_server: NotificationServer) -> None:
    actions = Actions()

    async def scenario() -> None:
        actions.arm()
        n = DesktopNotifier(on_action=actions)
        assert await n.send(BREATH)  # id 1
        assert await n.send(JAW)  # id 2
        notification_server.invoke_action(2, "snooze")
        assert await actions.next() == (JAW.id, "snooze")
        notification_server.invoke_action(1, "done")
        assert await actions.next() == (BREATH.id, "done")
        await n.aclose()

    run(scenario())
    assert [c.summary for c in notification_server.notify_calls()] == [BREATH.title, JAW.title]


def test_closing_by_hand_is_dismiss_and_expiry_is_nothing(
    notification_server: NotificationServer,
) -> None:
    actions = Actions()

    async def scenario() -> None:
        actions.arm()
        n = DesktopNotifier(on_action=actions)
        assert await n.send(BREATH)  # id 1
        assert await n.send(JAW)  # id 2
        assert await n.send(LIB.prompts[0])  # id 3
        notification_server.close(1, CLOSED_EXPIRED)
        notification_server.close(2, CLOSED_DISMISSED)  # by the person
        # signals arrive in order: once id 2's dismissal is in, id 1's expiry was handled
        assert await actions.next() == (JAW.id, "dismiss")
        notification_server.invoke_action(3, "done")
        assert await actions.next() == (LIB.prompts[0].id, "done")
        await n.aclose()

    run(scenario())
    assert actions.got == [(JAW.id, "dismiss"), (LIB.prompts[0].id, "done")]


def test_a_failing_action_handler_is_logged_not_raised(
    notification_server: NotificationServer, caplog: pytest.LogCaptureFixture
) -> None:
    actions = Actions()

    def handler(prompt_id: str, action: str) -> None:
        actions(prompt_id, action)
        raise RuntimeError("the store is busy")

    async def scenario() -> None:
        actions.arm()
        n = DesktopNotifier(on_action=handler, log=LOG)
        assert await n.send(BREATH)
        notification_server.invoke_action(1, "done")
        await actions.next()
        # the connection still works afterwards
        assert await n.send(JAW)
        await n.aclose()

    with caplog.at_level(logging.ERROR, logger="kindbreak.test"):
        run(scenario())
    assert "the notification action handler failed" in caplog.text
    assert len(notification_server.notify_calls()) == 2


def test_desktop_notifier_without_a_server_returns_false(session_bus: PrivateBus) -> None:
    n = DesktopNotifier()
    assert run(n.send(BREATH)) is False
    assert n.last_error == "no notification server on the session bus"


# --- plyer ---------------------------------------------------------------------------------------


@pytest.fixture
def plyer_as_installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """plyer as a pip-installed kindbreak meets it on Linux: without dbus-python (no dependency
    of kindbreak's), so plyer shows notifications through ``notify-send`` (libnotify-bin) when
    there is one. plyer picks its backend once per process; it picks again here, and after."""
    from plyer import notification

    monkeypatch.setitem(sys.modules, "dbus", None)  # `import dbus` fails, as without it
    object.__setattr__(notification, "_obj", None)
    yield
    object.__setattr__(notification, "_obj", None)


def test_plyer_delivers_through_notify_send_where_it_is(
    notification_server: NotificationServer, plyer_as_installed: None
) -> None:
    """With notify-send (CI installs libnotify-bin) the prompt reaches the server under
    kindbreak's name; without it plyer has no way there, and says so instead of failing
    silently (``test_plyer_without_notify_send_says_why`` checks that anywhere)."""
    if os.environ.get("CI") == "true":
        assert NOTIFY_SEND, "CI installs libnotify-bin (notify-send)"
    n = PlyerNotifier(timeout_s=25)
    shown = run(n.send(JAW, subtitle="a quiet moment"))
    if NOTIFY_SEND is None:
        assert not shown
        assert n.last_error == NO_PLYER_BACKEND
        assert notification_server.notify_calls() == []
        return
    assert shown, n.last_error
    assert n.backend == "NotifySendNotification"
    (call,) = notification_server.notify_calls()
    assert call.app_name == "kindbreak"
    assert call.summary == "Jaw"
    assert call.body == f"{JAW.body}\na quiet moment"
    # plyer's notify-send backend passes its own expire time, 0 (the server's default), and
    # not the timeout kindbreak asks for.
    assert call.expire_timeout_ms == 0


def test_plyer_without_notify_send_says_why(
    notification_server: NotificationServer,
    plyer_as_installed: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no notify-send on it
    n = PlyerNotifier()
    assert run(n.send(JAW)) is False
    assert n.last_error == NO_PLYER_BACKEND
    assert notification_server.notify_calls() == []


def test_plyer_without_a_server_returns_false_instead_of_failing_silently(
    session_bus: PrivateBus,
) -> None:
    n = PlyerNotifier()
    assert run(n.send(JAW)) is False
    assert n.last_error == "no notification server on the session bus"


# --- the factory and the fallback -------------------------------------------------------------


def test_auto_uses_desktop_notifier_when_a_server_is_there(
    notification_server: NotificationServer,
) -> None:
    out = io.StringIO()
    actions = Actions()

    async def scenario() -> str:
        actions.arm()
        n = await make_notifier("auto", stream=out, on_action=actions, log=LOG)
        assert await n.send(BREATH)
        notification_server.invoke_action(1, "done")
        assert await actions.next() == (BREATH.id, "done")
        await n.aclose()
        return n.name

    assert run(scenario()) == "desktop"
    assert out.getvalue() == ""  # nothing on the terminal
    assert [c.body for c in notification_server.notify_calls()] == [BREATH.body]


def test_plyer_kind_uses_plyer(
    notification_server: NotificationServer, plyer_as_installed: None
) -> None:
    out = io.StringIO()

    async def scenario() -> str:
        n = await make_notifier("plyer", stream=out, log=LOG)
        assert await n.send(JAW)
        return n.name

    if NOTIFY_SEND is None:  # see test_plyer_delivers_through_notify_send_where_it_is
        assert run(scenario()) == "terminal"
        assert out.getvalue().count(FALLBACK) == 1
        assert notification_server.notify_calls() == []
        return
    assert run(scenario()) == "plyer", out.getvalue()
    assert [c.summary for c in notification_server.notify_calls()] == ["Jaw"]
    assert out.getvalue() == ""


def test_auto_on_a_bus_without_a_server_falls_back_once(session_bus: PrivateBus) -> None:
    out = io.StringIO()

    async def scenario() -> str:
        n = await make_notifier("auto", stream=out, log=LOG)
        assert await n.send(BREATH)
        assert await n.send(JAW)
        return n.name

    assert run(scenario()) == "terminal"
    text = out.getvalue()
    assert text.count(FALLBACK) == 1
    assert text.splitlines()[0] == (
        f"{FALLBACK}: no notification server on the session bus. "
        "Prompts will show here in the terminal."
    )
    assert "A longer out-breath" in text and "Check in with your jaw." in text


def test_server_going_away_mid_session_falls_back_once(
    notification_server: NotificationServer, caplog: pytest.LogCaptureFixture
) -> None:
    out = io.StringIO()
    heart = LIB.get("touch-hand-on-heart")
    assert heart is not None

    async def scenario() -> FallbackNotifier:
        n = await make_notifier("auto", stream=out, log=LOG)
        assert isinstance(n, FallbackNotifier)
        assert await n.send(BREATH) and n.name == "desktop"
        notification_server.stop()
        assert await n.send(JAW)  # shown in the terminal instead
        assert await n.send(heart)
        await n.aclose()
        return n

    with caplog.at_level(logging.WARNING):
        n = run(scenario())
    assert n.fell_back and n.name == "terminal"
    text = out.getvalue()
    assert text.count(FALLBACK) == 1
    (line,) = [ln for ln in text.splitlines() if ln.startswith(FALLBACK)]
    assert "Prompts will show here in the terminal." in line
    assert "A longer out-breath" not in text  # that one reached the desktop
    assert "Check in with your jaw." in text and "Hand on heart" in text
    # desktop-notifier's own traceback warning is kept out of the person's terminal
    assert "Notification failed" not in caplog.text
