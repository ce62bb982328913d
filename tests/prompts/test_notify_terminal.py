"""The terminal notifier, the fallback wrapper and the factory, without any D-Bus server."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest

from kindbreak.errors import ConfigError, NotifierError
from kindbreak.prompts.library import Prompt, load_builtin
from kindbreak.prompts.notifier import (
    FallbackNotifier,
    Notifier,
    make_notifier,
    probe_notification_server,
)
from kindbreak.prompts.notify_terminal import TerminalNotifier, format_prompt_block
from support.scenario import run

LOG = logging.getLogger("kindbreak.test")
HEART = load_builtin().get("touch-hand-on-heart")
assert HEART is not None
FALLBACK_LINE = "Prompts will show here in the terminal."


def test_terminal_block_is_gentle_and_readable() -> None:
    out = io.StringIO()
    assert run(TerminalNotifier(out).send(HEART, subtitle="heart rate up for 8 minutes"))
    rule = "── Hand on heart " + "─" * 42 + " kindbreak ──"
    assert len(rule) == 72
    assert out.getvalue() == (
        "\n"
        f"{rule}\n"
        "   If you like, rest a hand on your chest. Notice its warmth and gentle\n"
        "   weight. Stay for three slow breaths.\n"
        "   (heart rate up for 8 minutes)\n"
        "\n"
    )


def test_terminal_block_falls_back_to_ascii_rules() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    assert run(
        TerminalNotifier(stream, width=40).send(Prompt("p", "phrase", "Enough", "I am enough."))
    )
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert text.splitlines()[1] == "-- Enough " + "-" * 17 + " kindbreak --"
    assert "   I am enough." in text


def test_every_line_fits_the_width() -> None:
    for p in load_builtin():
        block = format_prompt_block(p, subtitle="a subtitle that is rather long " * 3, width=72)
        assert all(len(line) <= 72 for line in block.splitlines()), p.id


def test_closed_stream_reports_false() -> None:
    out = io.StringIO()
    out.close()
    t = TerminalNotifier(out)
    assert run(t.send(HEART)) is False
    assert "cannot write to the terminal" in t.last_error


class FakeDesktop:
    """A primary backend that shows the first ``works`` prompts, then fails."""

    name = "fake-desktop"

    def __init__(self, works: int = 0, *, raises: bool = False) -> None:
        self.works = works
        self.raises = raises
        self.shown: list[str] = []
        self.closed = False
        self.last_error = ""

    async def send(self, prompt: Prompt, *, subtitle: str = "") -> bool:
        if len(self.shown) < self.works:
            self.shown.append(prompt.id)
            return True
        if self.raises:
            raise NotifierError("the server hung up")
        self.last_error = "org.freedesktop.DBus.Error.ServiceUnknown"
        return False

    async def aclose(self) -> None:
        self.closed = True


def test_fallback_switches_once_and_says_why_in_one_line() -> None:
    out = io.StringIO()
    lib = load_builtin()
    a, b, c = lib.prompts[:3]
    primary = FakeDesktop(works=1)
    n = FallbackNotifier(primary, TerminalNotifier(out), stream=out, log=LOG)

    async def scenario() -> list[bool]:
        return [await n.send(a), await n.send(b), await n.send(c)]

    assert run(scenario()) == [True, True, True]
    assert primary.shown == [a.id] and primary.closed
    text = out.getvalue()
    assert a.title not in text and b.title in text and c.title in text
    lines = [ln for ln in text.splitlines() if "desktop notifications" in ln]
    assert lines == [
        "kindbreak: desktop notifications are not available: "
        "org.freedesktop.DBus.Error.ServiceUnknown. " + FALLBACK_LINE
    ]
    assert n.fell_back and n.name == "terminal" and n.fallback_reason.endswith("ServiceUnknown")


def test_fallback_on_a_notifier_error() -> None:
    out = io.StringIO()
    n = FallbackNotifier(FakeDesktop(raises=True), TerminalNotifier(out), stream=out, log=LOG)
    assert run(n.send(HEART))
    assert "not available: the server hung up. " in out.getvalue()
    assert HEART.body.split(".")[0] in out.getvalue()


def test_fallback_does_nothing_while_the_desktop_works() -> None:
    out = io.StringIO()
    n = FallbackNotifier(FakeDesktop(works=5), TerminalNotifier(out), stream=out, log=LOG)
    assert run(n.send(HEART)) and out.getvalue() == ""
    assert n.name == "fake-desktop" and not n.fell_back


def test_protocol_is_met_by_every_backend() -> None:
    from kindbreak.prompts.notify_desktop import DesktopNotifier
    from kindbreak.prompts.notify_plyer import PlyerNotifier

    out = io.StringIO()
    for n in (
        TerminalNotifier(out),
        DesktopNotifier(),
        PlyerNotifier(),
        FallbackNotifier(None, TerminalNotifier(out), stream=out, log=LOG),
    ):
        assert isinstance(n, Notifier)


def test_make_notifier_terminal_and_unknown_kind() -> None:
    out = io.StringIO()
    n = run(make_notifier("terminal", stream=out, log=LOG))
    assert isinstance(n, TerminalNotifier) and out.getvalue() == ""
    with pytest.raises(ConfigError) as info:
        run(make_notifier("popup", stream=out, log=LOG))
    assert (
        str(info.value)
        == "settings: notifier: 'popup' is not one of: auto, desktop, plyer, terminal"
    )


@pytest.mark.parametrize("kind", ["auto", "desktop", "plyer"])
def test_no_session_bus_at_all_falls_back_to_the_terminal(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    out = io.StringIO()

    async def scenario() -> Notifier:
        n = await make_notifier(kind, stream=out, log=LOG)
        assert await n.send(HEART)
        assert await n.send(HEART, subtitle="again")
        return n

    n = run(scenario())
    assert n.name == "terminal"
    text = out.getvalue()
    assert text.count("desktop notifications are not available") == 1
    assert text.startswith(
        "kindbreak: desktop notifications are not available: DBUS_SESSION_BUS_ADDRESS is not set"
    )
    assert text.count("Hand on heart") == 2 and "(again)" in text


def test_a_bus_address_that_leads_nowhere_falls_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-such-socket'}")
    ok, why = run(probe_notification_server())
    assert not ok and why.startswith("cannot reach the session bus")
    out = io.StringIO()
    n = run(make_notifier("auto", stream=out, log=LOG))
    assert n.name == "terminal" and "cannot reach the session bus" in out.getvalue()


def test_macos_and_windows_always_have_a_notification_centre(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    for platform in ("darwin", "win32"):
        monkeypatch.setattr(sys, "platform", platform)
        assert run(probe_notification_server()) == (True, "")


def test_fallback_looks_for_the_desktop_again_before_each_prompt() -> None:
    """A monitor started before the desktop's notification server (a service at login) moves
    its prompts back to the desktop once the server is there, and says so once."""
    out = io.StringIO()
    lib = load_builtin()
    a, b, c = lib.prompts[:3]
    later = FakeDesktop(works=5)
    answers: list[FakeDesktop | None] = [None, later]
    asked: list[int] = []

    async def recover() -> Notifier | None:
        asked.append(1)
        return answers.pop(0)

    n = FallbackNotifier(
        None, TerminalNotifier(out), stream=out, log=LOG, reason="no server yet", recover=recover
    )

    async def scenario() -> list[bool]:
        return [await n.send(a), await n.send(b), await n.send(c)]

    assert run(scenario()) == [True, True, True]
    assert len(asked) == 2  # before a (still none) and before b (back); c needs no asking
    assert later.shown == [b.id, c.id]
    text = out.getvalue()
    assert a.title in text and b.title not in text and c.title not in text
    assert text.count("desktop notifications are not available: no server yet") == 1
    assert text.count("desktop notifications are back") == 1
    assert not n.fell_back and n.name == "fake-desktop"


def test_session_bus_found_at_its_standard_place(tmp_path: Path) -> None:
    import socket

    from kindbreak.prompts.notifier import adopt_session_bus

    runtime = tmp_path / "run"
    runtime.mkdir()
    env: dict[str, str] = {"XDG_RUNTIME_DIR": str(runtime)}
    assert adopt_session_bus(env) == ""  # no socket there: nothing to adopt
    assert "DBUS_SESSION_BUS_ADDRESS" not in env
    (runtime / "bus").write_text("not a socket")
    assert adopt_session_bus(env) == ""
    (runtime / "bus").unlink()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(runtime / "bus"))
        assert adopt_session_bus(env) == f"unix:path={runtime}/bus"
        assert env["DBUS_SESSION_BUS_ADDRESS"] == f"unix:path={runtime}/bus"
    given = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/elsewhere", "XDG_RUNTIME_DIR": str(runtime)}
    assert adopt_session_bus(given) == "unix:path=/elsewhere"
