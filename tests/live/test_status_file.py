"""The status file sink: what ``kindbreak status`` reads, written at once on a change of link or
stress band, otherwise at most every few seconds of real time, whole (atomic) and private."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import stat
from pathlib import Path

from kindbreak.clock import VirtualClock
from kindbreak.live.events import HeartRateMeasured, LinkChanged, WindowClosed
from kindbreak.live.status_file import (
    MonitorState,
    NextPrompt,
    StatusFileSink,
    read_state,
    status_path,
)
from kindbreak.signal.hrm import HeartRateMeasurement
from kindbreak.stream import DeviceInfo, LinkState
from support.sinks import scored_window

STRAP = DeviceInfo(name="Polar H10 7E3A1B2C", address="A0:9E:1A:7E:3A:1B", battery_pct=76)
WALL0 = 1_773_043_500.0  # 2026-03-09 08:05 UTC


class RealWall:
    """The real-time wall clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def make(tmp_path: Path) -> tuple[StatusFileSink, VirtualClock, RealWall, list[int]]:
    clock = VirtualClock(wall_start_s=WALL0)
    real = RealWall()
    asked: list[int] = []

    def next_prompt() -> NextPrompt:
        asked.append(1)
        return NextPrompt(False, WALL0 + 2700.0, "cooldown", "next prompt after 08:50")

    sink = StatusFileSink(
        status_path(tmp_path / "kindbreak.sqlite3"),
        clock=clock,
        real_wall=real,
        pid=4242,
        source="ble",
        device=DeviceInfo(name="A0:9E:1A:7E:3A:1B", address="A0:9E:1A:7E:3A:1B"),
        next_prompt=next_prompt,
        notifier=lambda: ("desktop", ""),
    )
    return sink, clock, real, asked


def test_written_at_once_on_changes_and_every_few_seconds_otherwise(tmp_path: Path) -> None:
    sink, clock, real, asked = make(tmp_path)
    db = tmp_path / "kindbreak.sqlite3"

    async def scenario() -> None:
        await sink.run()
        assert sink.writes == 1  # visible from the first moment
        first = read_state(db)
        assert first is not None and first.link == "connecting" and first.pid == 4242
        await sink.handle(LinkChanged(0.5, LinkState.CONNECTED, "Polar H10", STRAP))
        assert sink.writes == 2  # a change of link: at once
        for k in range(40):  # a notification a second for 40 s of real time
            clock.advance_to(1.0 + k)
            real.now += 1.0
            await sink.handle(
                HeartRateMeasured(clock.monotonic(), HeartRateMeasurement(66 + k % 3))
            )
        assert sink.writes == 2 + 8  # every 5 s of real time, not 40 times
        low = scored_window(0.0, 300.0, 35.0)
        await sink.handle(WindowClosed(low))
        assert sink.writes == 11  # the first band: at once
        real.now += 0.5
        await sink.handle(WindowClosed(dataclasses.replace(low, end_s=330.0, score=40.0)))
        assert sink.writes == 11  # same band, 0.5 s later: waits
        await sink.handle(WindowClosed(dataclasses.replace(low, end_s=360.0, score=80.0)))
        assert sink.writes == 12  # low -> high: at once
        await sink.handle(HeartRateMeasured(41.0, HeartRateMeasurement(0, sensor_contact=False)))
        assert sink.writes == 13  # contact lost: at once
        await sink.close()

    asyncio.run(scenario())
    state = read_state(db)
    assert state is not None
    assert (state.device_name, state.battery_pct) == ("Polar H10 7E3A1B2C", 76)
    assert (state.link, state.hr_bpm) == ("contact lost", 66)  # the last real heart rate kept
    assert (state.score, state.band, state.window_quality) == (80.0, "high", "good")
    assert state.next_prompt == NextPrompt(
        False, WALL0 + 2700.0, "cooldown", "next prompt after 08:50"
    )
    assert state.notifier == "desktop"
    assert state.stopped_wall == clock.wall()
    assert len(asked) == sink.writes  # the policy is asked when written, not per item
    path = status_path(db)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".status.json")]


def test_the_file_holds_no_raw_data(tmp_path: Path) -> None:
    sink, _, _, _ = make(tmp_path)

    async def scenario() -> None:
        await sink.run()
        await sink.handle(HeartRateMeasured(1.0, HeartRateMeasurement(70, rr_ms=(857.421875,))))
        sink.write()

    asyncio.run(scenario())
    raw = json.loads(status_path(tmp_path / "kindbreak.sqlite3").read_text())
    assert "857" not in json.dumps(raw)
    assert set(raw) == {"format", "version"} | set(MonitorState.__dataclass_fields__)


def test_a_damaged_or_foreign_file_reads_as_none(tmp_path: Path) -> None:
    db = tmp_path / "kindbreak.sqlite3"
    path = status_path(db)
    assert read_state(db) is None  # none yet
    for text in (
        "",
        "{",
        "[]",
        '{"format": "other"}',
        '{"format": "kindbreak-status", "version": 99}',
    ):
        path.write_text(text)
        assert read_state(db) is None, text
    path.write_text('{"format": "kindbreak-status", "version": 1, "pid": "x"}')
    assert read_state(db) is None
    path.write_bytes(b"{" + b" " * 70_000 + b"}")
    assert read_state(db) is None


def test_a_status_file_that_cannot_be_written_does_not_stop_the_monitor(
    tmp_path: Path, caplog
) -> None:
    sink, _, _, _ = make(tmp_path)
    status_path(tmp_path / "kindbreak.sqlite3").mkdir()  # a folder where the file should be

    async def scenario() -> None:
        await sink.run()
        sink.write()
        await sink.close()

    asyncio.run(scenario())
    assert sink.writes == 0
    warnings = [r for r in caplog.records if "cannot keep the status file" in r.getMessage()]
    assert len(warnings) == 1  # said once, not on every write
