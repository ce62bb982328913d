"""Recording format (kindbreak.devices.recording), replay and the virtual clock."""

from __future__ import annotations

import asyncio
import json
import math
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kindbreak.clock import VirtualClock
from kindbreak.devices.recording import (
    FORMAT_NAME,
    FORMAT_VERSION,
    RecordingHeader,
    RecordingReader,
    RecordingWriter,
)
from kindbreak.devices.replay import ReplaySource
from kindbreak.errors import InputFileError
from kindbreak.stream import DeviceInfo, LinkState, Notification, StateEvent, encode_measurement

HEADER = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION})

ITEMS = [
    StateEvent(0.0, LinkState.CONNECTED, "Polar H10"),
    Notification(0.9765, bytes.fromhex("16 4b 1f 03")),
    Notification(
        1.9531, encode_measurement(75, rr_ms=(780.2734375, 791.015625), sensor_contact=True)
    ),
    Notification(2.5, encode_measurement(0, sensor_contact=False)),
    StateEvent(600.0, LinkState.RECONNECTING, "link lost"),
    Notification(612.25, bytes.fromhex("00 40")),
    StateEvent(700.0, LinkState.STOPPED),
]


def write_recording(path: Path, items=ITEMS) -> RecordingHeader:
    header = RecordingHeader(
        device=DeviceInfo(
            name="Polar H10 A1B2C3D4", address="AA:BB:CC:DD:EE:FF", body_location="chest"
        ),
        start_wall=datetime(2026, 3, 2, 8, 55, tzinfo=UTC),
        note="synthetic, for tests",
    )
    with RecordingWriter(path, header) as w:
        for item in items:
            w.write(item)
    return header


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    header = write_recording(path)
    reader = RecordingReader(path)
    assert reader.header == header
    assert reader.header.device.name == "Polar H10 A1B2C3D4"
    assert reader.header.device.body_location == "chest"
    assert reader.header.start_wall == datetime(2026, 3, 2, 8, 55, tzinfo=UTC)
    assert list(reader) == ITEMS


def test_file_layout(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_recording(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(ITEMS)
    head = json.loads(lines[0])
    assert head["format"] == "kindbreak-recording"
    assert head["version"] == 1
    assert head["device"] == {"name": "Polar H10 A1B2C3D4", "address": "AA:BB:CC:DD:EE:FF"}
    assert head["start_wall"] == "2026-03-02T08:55:00+00:00"
    assert json.loads(lines[1]) == {"t": 0.0, "state": "connected", "detail": "Polar H10"}
    assert json.loads(lines[2]) == {"t": 0.9765, "hex": "164b1f03"}
    assert json.loads(lines[7]) == {"t": 700.0, "state": "stopped"}


def test_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_recording(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_writer_flushes_each_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    w = RecordingWriter(path, RecordingHeader())
    w.write(Notification(1.0, b"\x00\x40"))
    # Not closed: a crash now must still leave the header and the line on disk.
    assert [json.loads(x)["t"] for x in path.read_text().splitlines()[1:]] == [1.0]
    w.close()
    w.close()


def test_blank_lines_and_unknown_keys_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    head = {"format": FORMAT_NAME, "version": 1, "future": {"x": 1}}
    path.write_text(
        json.dumps(head) + "\n\n" + '{"t": 1, "hex": "0040", "rssi": -60}\n   \n'
        '{"t": 2.5, "state": "connected"}\n',
        encoding="utf-8",
    )
    reader = RecordingReader(path)
    assert reader.header.device == DeviceInfo()
    assert list(reader) == [Notification(1.0, b"\x00\x40"), StateEvent(2.5, LinkState.CONNECTED)]


# -- errors name the file and the line ---------------------------------------------------------


def error_of(path: Path) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        list(RecordingReader(path))
    assert info.value.exit_status == 2
    assert str(path) in str(info.value)
    assert info.value.path == path
    return info.value


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ('{"hex": "0040"}', 2, '"t" must be'),
        ('{"t": -0.5, "hex": "0040"}', 2, '"t" must be'),
        ('{"t": "1.0", "hex": "0040"}', 2, '"t" must be'),
        ('{"t": true, "hex": "0040"}', 2, '"t" must be'),
        ('{"t": NaN, "hex": "0040"}', 2, '"t" must be'),
        ('{"t": Infinity, "hex": "0040"}', 2, '"t" must be'),
        ('{"t": 1e400, "hex": "0040"}', 2, '"t" must be'),
        ('{"t": 1' + "0" * 400 + ', "hex": "0040"}', 2, '"t" must be'),
        ('{"t": 1, "hex": "00zz"}', 2, "not hexadecimal"),
        ('{"t": 1, "hex": "004"}', 2, "not hexadecimal"),
        ('{"t": 1, "state": "sleeping"}', 2, "unknown state 'sleeping'"),
        ('{"t": 1}', 2, '"hex"'),
        ("[1, 2]", 2, "JSON object"),
        ('{"t": 1, "hex": "0040"', 2, "not a JSON object"),
        (
            '{"t": 1, "hex": "0040"}\n\n{"t": 2, "hex": "0040"}\n{"t": 1.5, "hex": "0040"}',
            5,
            "time goes backwards",
        ),
    ],
)
def test_bad_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(HEADER + "\n" + body + "\n", encoding="utf-8")
    err = error_of(path)
    assert err.line == line
    assert f"{path}, line {line}: " in str(err)
    assert words in err.problem


def test_unknown_state_lists_allowed(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(HEADER + '\n{"t": 1, "state": "zzz"}\n', encoding="utf-8")
    assert "connected, reconnecting" in error_of(path).problem


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    err = error_of(path)
    assert "empty" in err.problem


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n  \n")
    assert "empty" in error_of(path).problem


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.jsonl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8\xff")
    err = error_of(path)
    assert err.line == 1
    assert "binary" in err.problem


@pytest.mark.parametrize("n_good", [3, 999])
def test_binary_data_after_good_lines_names_its_line(tmp_path: Path, n_good: int) -> None:
    path = tmp_path / "r.jsonl"
    good = b'{"t":1,"hex":"0040"}\n'
    path.write_bytes(HEADER.encode() + b"\n" + good * n_good + b"\xff\xfe\x00\n")
    err = error_of(path)
    assert "binary" in err.problem
    assert err.line == n_good + 2


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(InputFileError, match="no such file") as info:
        RecordingReader(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("first", "words"),
    [
        ("not json at all", "header is not JSON"),
        ('{"t": 1, "hex": "0040"}', '"format": "kindbreak-recording"'),
        ('{"format": "other-format", "version": 1}', '"format": "kindbreak-recording"'),
        ('["kindbreak-recording"]', '"format": "kindbreak-recording"'),
        ('{"format": "kindbreak-recording", "version": 1, "start_wall": "yesterday"}', "ISO 8601"),
    ],
)
def test_bad_header(tmp_path: Path, first: str, words: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(first + '\n{"t": 1, "hex": "0040"}\n', encoding="utf-8")
    err = error_of(path)
    assert err.line == 1
    assert words in err.problem


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_unsupported_version(tmp_path: Path, version: object) -> None:
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps({"format": FORMAT_NAME, "version": version}) + "\n")
    err = error_of(path)
    assert err.line == 1
    assert f"version {version!r} is not supported" in err.problem
    assert "reads 1" in err.problem


# -- replay with a virtual clock ----------------------------------------------------------------


def test_replay_yields_the_recording_and_drives_the_clock(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_recording(path)
    clock = VirtualClock(speed=math.inf)
    source = ReplaySource(path, clock)
    assert source.info.name == "Polar H10 A1B2C3D4"
    seen: list[tuple[object, float]] = []

    async def run() -> None:
        async for item in source.stream():
            seen.append((item, clock.monotonic()))
        await source.aclose()
        await source.aclose()

    asyncio.run(run())
    assert [item for item, _ in seen] == ITEMS
    # Each item is yielded when the clock reads its own time.
    assert [now for _, now in seen] == [item.t_s for item in ITEMS]
    assert clock.monotonic() == 700.0
    assert clock.wall() == 700.0


def test_virtual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = VirtualClock(speed=math.inf, wall_start_s=1_000.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    async def run() -> None:
        tasks = [
            asyncio.create_task(sleeper(name, s))
            for name, s in [("c", 30.0), ("a", 10.0), ("b", 20.0), ("d", 90.0)]
        ]
        await asyncio.sleep(0)  # let them all register
        await clock.sleep_until(5.0)
        await asyncio.sleep(0)
        assert woke == []
        await clock.sleep_until(15.0)
        await asyncio.sleep(0)
        # Woken at its own deadline, as in real time, even though the driver jumped to 15.
        assert woke == [("a", 10.0)]
        assert clock.monotonic() == 15.0
        await clock.sleep_until(60.0)  # one jump past two deadlines
        await asyncio.sleep(0)
        assert woke == [("a", 10.0), ("b", 20.0), ("c", 30.0)]
        assert not tasks[3].done()
        clock.advance_to(90.0)
        await asyncio.gather(*tasks)

    asyncio.run(run())
    assert [name for name, _ in woke] == ["a", "b", "c", "d"]
    # Nobody wakes before its deadline.
    deadline = {"a": 10.0, "b": 20.0, "c": 30.0, "d": 90.0}
    assert all(now >= deadline[name] for name, now in woke)
    assert clock.monotonic() == 90.0
    assert clock.wall() == 1_090.0


def test_virtual_clock_never_goes_back_and_zero_sleep_returns() -> None:
    clock = VirtualClock(start_s=50.0)

    async def run() -> None:
        await clock.sleep(0)
        await clock.sleep(-3)
        await clock.sleep_until(10.0)

    asyncio.run(run())
    assert clock.monotonic() == 50.0
    with pytest.raises(ValueError):
        VirtualClock(speed=0)
