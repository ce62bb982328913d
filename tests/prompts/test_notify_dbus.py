"""Notifiers against a real notification server on a real, private D-Bus session bus.

The server is python-dbusmock's ``notification_daemon`` template in its own process; what it
received is read back from the mock's call log (``GetMethodCalls("Notify")``), and button
presses are simulated by emitting ``ActionInvoked`` from the server (``EmitSignal``).
Notify's arguments: app_name, replaces_id, app_icon, summary, body, actions, hints, timeout_ms.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import pytest
from prompt_test_support import NotificationServer, run

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

LIB = load_builtin()
LOG = logging.getLogger("kindbreak.test")
BREATH = LIB.get("breath-longer-out")
JAW = LIB.get("body-jaw")
assert BREATH is not None and JAW is not None
FALLBACK = "kindbreak: desktop notifications are not available"

APP, REPLACES, ICON, SUMMARY, BODY, ACTIONS, HINTS, TIMEOUT_MS = range(8)


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


def test_probe_on_a_bus_where_nobody_owns_the_name(session_bus: Any) -> None:
    assert run(probe_notification_server()) == (
        False,
        "no notification server on the session bus",
    )


def test_probe_counts_an_activatable_server(session_bus: Any) -> None:
    # a server that D-Bus would start on the first call (as dunst's .service file does)
    (session_bus.servicedir / "notifications.service").write_text(
        f"[D-BUS Service]\nName={NOTIFICATIONS_NAME}\nExec=/bin/false\n"
    )
    session_bus.bustype.reload_configuration()
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
    assert call[APP] == "kindbreak"
    assert call[SUMMARY] == "A longer out-breath"
    assert call[BODY] == BREATH.body
    assert call[TIMEOUT_MS] == 30_000
    actions = list(call[ACTIONS])
    buttons = dict(zip(actions[::2], actions[1::2], strict=True))
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
    assert call[SUMMARY] == "Your day with kindbreak"
    assert call[BODY] == "Calm most of the day; 2 breaks taken."
    # "Did it" / "Snooze" / "Not now" would do nothing here, so none are offered.
    assert not {"done", "snooze", "dismiss"} & set(call[ACTIONS])


def test_desktop_notifier_adds_the_subtitle_under_the_body(
    notification_server: NotificationServer,
) -> None:
    async def scenario() -> None:
        n = DesktopNotifier()
        assert await n.send(JAW, subtitle="Heart rate up 9 bpm for 6 minutes")
        await n.aclose()

    run(scenario())
    (call,) = notification_server.notify_calls()
    assert call[SUMMARY] == "Jaw"
    assert call[BODY] == f"{JAW.body}\nHeart rate up 9 bpm for 6 minutes"


@pytest.mark.parametrize("action", ["done", "snooze", "dismiss"])
def test_a_button_press_reaches_on_action(action_server: NotificationServer, action: str) -> None:
    actions = Actions()

    async def scenario() -> tuple[str, str]:
        actions.arm()
        n = DesktopNotifier(on_action=actions)
        try:
            assert await n.send(BREATH)
            (call,) = action_server.notify_calls()
            assert call[SUMMARY] == BREATH.title
            # the server numbers notifications from 1; the first one is ours
            action_server.emit("ActionInvoked", "us", [1, action])
            return await actions.next()
        finally:
            await n.aclose()

    assert run(scenario()) == (BREATH.id, action)
    assert actions.got == [(BREATH.id, action)]


def test_each_press_names_its_own_prompt(action_server: NotificationServer) -> None:
    actions = Actions()

    async def scenario() -> None:
        actions.arm()
        n = DesktopNotifier(on_action=actions)
        assert await n.send(BREATH)  # id 1
        assert await n.send(JAW)  # id 2
        action_server.emit("ActionInvoked", "us", [2, "snooze"])
        assert await actions.next() == (JAW.id, "snooze")
        action_server.emit("ActionInvoked", "us", [1, "done"])
        assert await actions.next() == (BREATH.id, "done")
        await n.aclose()

    run(scenario())
    assert [c[SUMMARY] for c in action_server.notify_calls()] == [BREATH.title, JAW.title]


def test_closing_by_hand_is_dismiss_and_expiry_is_nothing(
    action_server: NotificationServer,
) -> None:
    actions = Actions()

    async def scenario() -> None:
        actions.arm()
        n = DesktopNotifier(on_action=actions)
        assert await n.send(BREATH)  # id 1
        assert await n.send(JAW)  # id 2
        assert await n.send(LIB.prompts[0])  # id 3
        action_server.emit("NotificationClosed", "uu", [1, 1])  # 1: expired
        action_server.emit("NotificationClosed", "uu", [2, 2])  # 2: dismissed by the user
        # signals arrive in order: once id 2's dismissal is in, id 1's expiry was handled
        assert await actions.next() == (JAW.id, "dismiss")
        action_server.emit("ActionInvoked", "us", [3, "done"])
        assert await actions.next() == (LIB.prompts[0].id, "done")
        await n.aclose()

    run(scenario())
    assert actions.got == [(JAW.id, "dismiss"), (LIB.prompts[0].id, "done")]


def test_a_failing_action_handler_is_logged_not_raised(
    action_server: NotificationServer, caplog: pytest.LogCaptureFixture
) -> None:
    actions = Actions()

    def handler(prompt_id: str, action: str) -> None:
        actions(prompt_id, action)
        raise RuntimeError("the store is busy")

    async def scenario() -> None:
        actions.arm()
        n = DesktopNotifier(on_action=handler, log=LOG)
        assert await n.send(BREATH)
        action_server.emit("ActionInvoked", "us", [1, "done"])
        await actions.next()
        # the connection still works afterwards
        assert await n.send(JAW)
        await n.aclose()

    with caplog.at_level(logging.ERROR, logger="kindbreak.test"):
        run(scenario())
    assert "the notification action handler failed" in caplog.text
    assert len(action_server.notify_calls()) == 2


def test_desktop_notifier_without_a_server_returns_false(session_bus: Any) -> None:
    n = DesktopNotifier()
    assert run(n.send(BREATH)) is False
    assert n.last_error == "no notification server on the session bus"


# --- plyer -------------------------------------------------------------------------------------


def test_plyer_delivers_over_dbus_with_app_name_and_timeout(
    notification_server: NotificationServer, plyer_on_this_bus: None
) -> None:
    n = PlyerNotifier(timeout_s=25)
    assert run(n.send(JAW, subtitle="a quiet moment")) is True
    assert n.backend == "NotifyDbus"  # dbus-python is there, so plyer does not use notify-send
    (call,) = notification_server.notify_calls()
    assert call[APP] == "kindbreak"
    assert call[SUMMARY] == "Jaw"
    assert call[BODY] == f"{JAW.body}\na quiet moment"
    assert call[TIMEOUT_MS] == 25_000


def test_plyer_without_a_server_returns_false_instead_of_failing_silently(
    session_bus: Any,
) -> None:
    n = PlyerNotifier()
    assert run(n.send(JAW)) is False
    assert n.last_error == "no notification server on the session bus"


# --- the factory and the fallback -------------------------------------------------------------


def test_auto_uses_desktop_notifier_when_a_server_is_there(
    action_server: NotificationServer,
) -> None:
    out = io.StringIO()
    actions = Actions()

    async def scenario() -> str:
        actions.arm()
        n = await make_notifier("auto", stream=out, on_action=actions, log=LOG)
        assert await n.send(BREATH)
        action_server.emit("ActionInvoked", "us", [1, "done"])
        assert await actions.next() == (BREATH.id, "done")
        await n.aclose()
        return n.name

    assert run(scenario()) == "desktop"
    assert out.getvalue() == ""  # nothing on the terminal
    assert [c[BODY] for c in action_server.notify_calls()] == [BREATH.body]


def test_plyer_kind_uses_plyer(
    notification_server: NotificationServer, plyer_on_this_bus: None
) -> None:
    out = io.StringIO()

    async def scenario() -> str:
        n = await make_notifier("plyer", stream=out, log=LOG)
        assert await n.send(JAW)
        return n.name

    assert run(scenario()) == "plyer", out.getvalue()
    assert [c[SUMMARY] for c in notification_server.notify_calls()] == ["Jaw"]
    assert out.getvalue() == ""


def test_auto_on_a_bus_without_a_server_falls_back_once(session_bus: Any) -> None:
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
