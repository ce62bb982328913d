"""The product loop end to end, as a person meets it: a recorded stressful morning replayed
through `kindbreak monitor --replay`, a prompt on a real desktop notification server, the
person pressing "Did it", and `kindbreak report` showing the break.

The server (``tests/support/notification_server.py``) runs on a private session bus and presses
"Did it" on the notification it receives, after the monitor has taken the notification's id, as a
person would; nothing in kindbreak is replaced. The bundled workday holds three stressful
stretches; the first brings a prompt, the other two fall in its 45-minute cooldown.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from kindbreak.cli import main
from support.dbus import PeerLoop, PrivateBus
from support.notification_server import NotificationServer

WORKDAY = Path(str(files("kindbreak") / "data" / "workday.jsonl"))


@pytest.fixture
def person_who_takes_the_break(
    session_bus: PrivateBus, peer_loop: PeerLoop
) -> Iterator[NotificationServer]:
    server = NotificationServer(peer_loop, session_bus.address, press="done")
    try:
        yield server
    finally:
        server.stop()


def test_a_stressful_stretch_brings_a_prompt_the_break_is_logged_and_reported(
    person_who_takes_the_break: NotificationServer,
    isolated_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = person_who_takes_the_break
    data = isolated_home / "kindbreak-data"

    rc = main(["monitor", "--replay", str(WORKDAY), "--speed", "0", "--data-dir", str(data)])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "desktop notifications are not available" not in err

    # The prompt reached the desktop, with the buttons a person presses.
    (shown,) = server.notify_calls()
    assert shown.app_name == "kindbreak"
    assert shown.buttons["done"] == "Did it"

    # The log holds the prompt and the practice the button press answered.
    with sqlite3.connect(data / "kindbreak.sqlite3") as db:
        db.row_factory = sqlite3.Row
        (prompt,) = db.execute("SELECT * FROM prompts").fetchall()
        (practice,) = db.execute("SELECT * FROM practices").fetchall()
    assert (prompt["trigger"], prompt["notifier"], prompt["title"]) == (
        "stress",
        "desktop",
        shown.summary,
    )
    assert prompt["score"] > 75  # high stress
    # As the first stressful stretch begins (labelled from minute 17.7 to 26.3; this person's
    # heart rate rises 13 s before the label, and the prompt comes then).
    assert 17 * 60 <= prompt["t_s"] <= 26 * 60
    assert practice["outcome"] == "done"
    assert practice["prompt_row_id"] == prompt["id"]
    assert practice["kind"] == prompt["kind"]
    assert prompt["wall"] <= practice["wall"] <= prompt["wall"] + 60

    # The report shows the day with its prompt and the break taken.
    assert main(["report", "--data-dir", str(data)]) == 0
    report = capsys.readouterr().out
    lines = report.splitlines()
    (header,) = [ln for ln in lines if ln.split()[-4:] == ["prompts", "done", "skip", "snooze"]]
    row = lines[lines.index(header) + 2]  # under the rule
    assert row.split()[-4:] == ["1", "1", "0", "0"]
    (kind_row,) = [ln for ln in lines if ln.split()[:1] == [prompt["kind"]]]
    assert kind_row.split()[1] == "1"  # "What calms you": one break of that kind so far
