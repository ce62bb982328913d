"""BleSource end to end: real bleak (BlueZ backend) against a BlueZ-shaped peer on D-Bus.

Time is a VirtualClock: notifications are stamped with it, and the watchdog and the reconnect
backoff sleep on it, so each test moves time explicitly and never waits for a timer. Only
the scan window of a device that is never found takes (a little) real time.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest
from bleak.exc import BleakBluetoothNotAvailableError

from kindbreak.clock import VirtualClock
from kindbreak.devices.ble import LOW_BATTERY_DETAIL, WAITING_BACKOFF, BleSource
from kindbreak.devices.reconnect import BackoffPolicy
from kindbreak.errors import AdapterUnavailable, DeviceNotFound
from kindbreak.signal.hrm import parse_measurement
from kindbreak.stream import (
    DeviceInfo,
    HeartRateSource,
    LinkState,
    Notification,
    SourceItem,
    StateEvent,
    encode_measurement,
)

STRAP = "A0:9E:1A:12:34:56"
STRAP_NAME = "Polar H10 A1B2C3D4"
WATCH = "F4:5E:AB:01:02:03"
WATCH_NAME = "Forerunner 255"
BAND = "C8:0F:10:AA:BB:CC"
ITEM_TIMEOUT_S = 3.0  # a safety net: items arrive within milliseconds


class Reader:
    """Consumes ``source.stream()`` in its own task, as the app does."""

    def __init__(self, source: BleSource) -> None:
        self._items: asyncio.Queue[SourceItem | Exception | None] = asyncio.Queue()
        self.task = asyncio.create_task(self._pump(source))

    async def _pump(self, source: BleSource) -> None:
        try:
            async for item in source.stream():
                self._items.put_nowait(item)
        except Exception as exc:
            self._items.put_nowait(exc)
        else:
            self._items.put_nowait(None)

    async def next(self) -> SourceItem:
        item = await asyncio.wait_for(self._items.get(), ITEM_TIMEOUT_S)
        if isinstance(item, Exception):
            raise item
        assert item is not None, "the stream ended"
        return item

    async def until(self, state: LinkState) -> list[SourceItem]:
        """Items up to and including the next event with ``state``."""
        items = [await self.next()]
        while not (isinstance(items[-1], StateEvent) and items[-1].state is state):
            items.append(await self.next())
        return items

    async def rest(self) -> list[SourceItem]:
        """Everything until the stream ends."""
        items: list[SourceItem] = []
        while (item := await asyncio.wait_for(self._items.get(), ITEM_TIMEOUT_S)) is not None:
            if isinstance(item, Exception):
                raise item
            items.append(item)
        return items


def states(items: list[SourceItem]) -> list[tuple[LinkState, str]]:
    return [(i.state, i.detail) for i in items if isinstance(i, StateEvent)]


def payloads(items: list[SourceItem]) -> list[bytes]:
    return [i.payload for i in items if isinstance(i, Notification)]


def frame(hr_bpm: int, rr_ticks: list[int]) -> bytes:
    """A strap's 0x2A37 frame with RR given in its own 1/1024 s ticks (exact in ms)."""
    return encode_measurement(hr_bpm, rr_ms=[t * 1000 / 1024 for t in rr_ticks])


def seeded_delays(seed: int, n: int) -> list[float]:
    return list(itertools.islice(BackoffPolicy().delays(seed), n))


async def until_bleak_sees_the_adapter_on() -> None:
    """Wait until bleak has taken in the adapter's Powered=True (a PropertiesChanged that comes
    over D-Bus on bleak's own connection): bleak checks its copy of Powered before it scans, so
    a retry before that would still find the adapter off."""
    from bleak.backends.bluezdbus.manager import get_global_bluez_manager

    manager = await get_global_bluez_manager()
    while True:
        try:
            manager.get_default_adapter()
        except BleakBluetoothNotAvailableError:
            await asyncio.sleep(0.005)
        else:
            return


def test_connects_by_name_and_streams_raw_frames_stamped_on_arrival(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME, battery=80, body_location=1)
    bluez.add_device(BAND, "HeartBand HRM", kind="other")
    frames = [
        frame(64, [960, 964]),
        encode_measurement(65, rr_ms=[921.875], sensor_contact=True),
        encode_measurement(66, rr_ms=[908.203125, 912.109375, 899.4140625], energy_kj=12),
    ]

    async def scenario() -> None:
        clock = VirtualClock(start_s=100.0)
        source = BleSource(STRAP_NAME, clock)
        assert isinstance(source, HeartRateSource)
        reader = Reader(source)
        assert states(await reader.until(LinkState.CONNECTED)) == [
            (LinkState.CONNECTING, f"looking for {STRAP_NAME}"),
            (LinkState.CONNECTED, f"{STRAP_NAME} ({STRAP})"),
        ]
        assert source.info == DeviceInfo(
            name=STRAP_NAME, address=STRAP, body_location="chest", battery_pct=80
        )
        got = []
        for i, payload in enumerate(frames):
            clock.advance_to(101.0 + i)
            assert bluez.notify(STRAP, payload)
            got.append(await reader.next())
        assert got == [Notification(101.0 + i, p) for i, p in enumerate(frames)]
        rr_ms = [ms for n in got for ms in parse_measurement(n.payload).rr_ms]
        assert rr_ms == [937.5, 941.40625, 921.875, 908.203125, 912.109375, 899.4140625]

        await source.aclose()
        assert states(await reader.rest()) == [(LinkState.STOPPED, "stopped")]
        assert bluez.stats(STRAP)["connected"] is False
        await source.aclose()  # safe twice

    run(scenario())


def test_peer_disconnect_reconnects_and_the_stream_goes_on(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)
    before = [frame(70 + k, [870 + k, 880 + k]) for k in range(3)]
    after = [frame(80 + k, [760 + k]) for k in range(3)]
    (delay_s,) = seeded_delays(7, 1)

    async def scenario() -> list[SourceItem]:
        clock = VirtualClock()
        source = BleSource(STRAP, clock, jitter_seed=7)
        reader = Reader(source)
        items = await reader.until(LinkState.CONNECTED)
        for payload in before:
            assert bluez.notify(STRAP, payload)
        bluez.drop_link(STRAP)
        assert not bluez.notify(STRAP, frame(99, [600]))  # link down: the strap drops it (spec)
        items += await reader.until(LinkState.RECONNECTING)
        clock.advance_to(items[-1].t_s + delay_s)
        items += await reader.until(LinkState.CONNECTED)
        for payload in after:
            assert bluez.notify(STRAP, payload)
        items += [await reader.next() for _ in after]
        await source.aclose()
        return items + await reader.rest()

    items = run(scenario())

    assert payloads(items) == before + after  # each exactly once, in order
    assert states(items) == [
        (LinkState.CONNECTING, f"looking for {STRAP}"),
        (LinkState.CONNECTED, f"{STRAP_NAME} ({STRAP})"),
        (LinkState.DISCONNECTED, "link lost"),
        (LinkState.RECONNECTING, f"attempt 1 in {delay_s:.1f} s"),
        (LinkState.CONNECTED, f"{STRAP_NAME} ({STRAP})"),
        (LinkState.STOPPED, "stopped"),
    ]
    times = [i.t_s for i in items]
    assert times == sorted(times)
    assert bluez.stats(STRAP)["connects"] == 2


def test_watchdog_catches_a_silent_drop(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)
    (delay_s,) = seeded_delays(3, 1)

    async def scenario() -> list[SourceItem]:
        clock = VirtualClock()
        source = BleSource(STRAP, clock, watchdog_s=5.0, jitter_seed=3)
        reader = Reader(source)
        items = await reader.until(LinkState.CONNECTED)
        assert bluez.notify(STRAP, frame(60, [1000]))
        items.append(last := await reader.next())
        bluez.set_silent(STRAP, True)  # the link stays up, nothing comes
        assert not bluez.notify(STRAP, frame(61, [990]))
        clock.advance_to(last.t_s + 4.9)
        await asyncio.sleep(0.05)
        assert bluez.stats(STRAP)["connected"] is True  # 4.9 s of silence is tolerated
        clock.advance_to(last.t_s + 5.0)
        items += await reader.until(LinkState.RECONNECTING)
        assert bluez.stats(STRAP)["connected"] is False  # the source hung up
        bluez.set_silent(STRAP, False)
        clock.advance_to(items[-1].t_s + delay_s)
        items += await reader.until(LinkState.CONNECTED)
        assert bluez.notify(STRAP, frame(62, [980]))
        items.append(await reader.next())
        await source.aclose()
        return items

    items = run(scenario())

    assert states(items)[2:] == [
        (LinkState.DISCONNECTED, "no data for 5 s"),
        (LinkState.RECONNECTING, f"attempt 1 in {delay_s:.1f} s"),
        (LinkState.CONNECTED, f"{STRAP_NAME} ({STRAP})"),
    ]
    assert payloads(items) == [frame(60, [1000]), frame(62, [980])]
    assert bluez.stats(STRAP)["connects"] == 2


def test_backoff_while_the_strap_is_out_of_range(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)
    delays = seeded_delays(11, 3)

    async def scenario() -> list[SourceItem]:
        clock = VirtualClock()
        source = BleSource(STRAP, clock, scan_timeout_s=0.05, jitter_seed=11)
        reader = Reader(source)
        items = await reader.until(LinkState.CONNECTED)
        bluez.set_in_range(STRAP, False)
        for attempt in range(3):
            items += await reader.until(LinkState.RECONNECTING)
            if attempt == 2:
                bluez.set_in_range(STRAP, True)
            clock.advance_to(items[-1].t_s + delays[attempt])
        items += await reader.until(LinkState.CONNECTED)
        await source.aclose()
        return items

    items = run(scenario())

    missing = f"no heart-rate device at {STRAP!r} in 0.05 s; no heart-rate device was seen"
    assert states(items)[2:] == [
        (LinkState.DISCONNECTED, "link lost"),
        (LinkState.RECONNECTING, f"attempt 1 in {delays[0]:.1f} s"),
        (LinkState.RECONNECTING, f"attempt 2 in {delays[1]:.1f} s ({missing})"),
        (LinkState.RECONNECTING, f"attempt 3 in {delays[2]:.1f} s ({missing})"),
        (LinkState.CONNECTED, f"{STRAP_NAME} ({STRAP})"),
    ]
    assert [round(d) for d in delays] == [1, 2, 4]


def test_hr_only_device_streams_heart_rate_without_rr(bluez, run):
    bluez.add_device(WATCH, WATCH_NAME, kind="hr-only")
    frames = [bytes.fromhex("0040"), bytes.fromhex("0042"), bytes.fromhex("0041")]

    async def scenario() -> list[SourceItem]:
        source = BleSource(WATCH_NAME, VirtualClock())
        reader = Reader(source)
        await reader.until(LinkState.CONNECTED)
        assert source.info == DeviceInfo(name=WATCH_NAME, address=WATCH)
        for payload in frames:
            assert bluez.notify(WATCH, payload)
        items = [await reader.next() for _ in frames]
        await source.aclose()
        return items

    items = run(scenario())

    parsed = [parse_measurement(p) for p in payloads(items)]
    assert [(m.hr_bpm, m.rr_ms) for m in parsed] == [(64, ()), (66, ()), (65, ())]


def test_device_never_found_names_what_was_seen(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)
    bluez.add_device(BAND, "HeartBand HRM", kind="other")

    async def scenario() -> list[SourceItem]:
        reader = Reader(BleSource("Garmin HRM-Pro", VirtualClock(), scan_timeout_s=0.2))
        return await reader.rest()

    with pytest.raises(DeviceNotFound) as info:
        run(scenario())

    assert info.value.seen == (f"{STRAP_NAME} ({STRAP})",)
    assert info.value.hint


def test_adapter_powered_off(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)
    bluez.set_powered(False)

    async def scenario() -> list[SourceItem]:
        return await Reader(BleSource(STRAP, VirtualClock())).rest()

    with pytest.raises(AdapterUnavailable) as info:
        run(scenario())

    assert isinstance(info.value.__cause__, BleakBluetoothNotAvailableError)
    assert "bluetooth" in info.value.hint.lower()


def test_adapter_off_mid_session_is_retried_until_it_is_back(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)
    delays = seeded_delays(5, 2)

    async def scenario() -> list[SourceItem]:
        clock = VirtualClock()
        source = BleSource(STRAP, clock, jitter_seed=5)
        reader = Reader(source)
        items = await reader.until(LinkState.CONNECTED)
        bluez.set_powered(False)
        items += await reader.until(LinkState.RECONNECTING)
        clock.advance_to(items[-1].t_s + delays[0])
        items += await reader.until(LinkState.RECONNECTING)
        bluez.set_powered(True)
        await until_bleak_sees_the_adapter_on()
        clock.advance_to(items[-1].t_s + delays[1])
        items += await reader.until(LinkState.CONNECTED)
        await source.aclose()
        return items

    items = run(scenario())

    (state, detail) = states(items)[4]
    assert state is LinkState.RECONNECTING
    assert detail.startswith(f"attempt 2 in {delays[1]:.1f} s (")
    assert "powered" in detail.lower()
    assert states(items)[-1] == (LinkState.CONNECTED, f"{STRAP_NAME} ({STRAP})")


def test_low_battery_is_told_once(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME, battery=12)
    (delay_s,) = seeded_delays(1, 1)

    async def scenario() -> list[SourceItem]:
        clock = VirtualClock()
        source = BleSource(STRAP, clock, jitter_seed=1)
        reader = Reader(source)
        items = await reader.until(LinkState.CONNECTED)
        items.append(await reader.next())
        assert source.info.battery_pct == 12
        assert source.info.extra == {"battery_low": "true"}
        bluez.drop_link(STRAP)
        items += await reader.until(LinkState.RECONNECTING)
        clock.advance_to(items[-1].t_s + delay_s)
        items += await reader.until(LinkState.CONNECTED)
        await source.aclose()
        return items + await reader.rest()

    items = run(scenario())

    told = [d for s, d in states(items) if d.startswith(LOW_BATTERY_DETAIL)]
    assert told == ["low battery: 12%"]
    assert states(items)[1:3] == [
        (LinkState.CONNECTED, f"{STRAP_NAME} ({STRAP})"),
        (LinkState.CONNECTED, "low battery: 12%"),
    ]


def test_aclose_while_reconnecting_stops_the_stream(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)

    async def scenario() -> list[SourceItem]:
        source = BleSource(STRAP, VirtualClock())
        reader = Reader(source)
        await reader.until(LinkState.CONNECTED)
        bluez.set_in_range(STRAP, False)
        await reader.until(LinkState.RECONNECTING)
        await source.aclose()
        return await reader.rest()

    assert states(run(scenario())) == [(LinkState.STOPPED, "stopped")]


def test_cancelling_the_consumer_hangs_up(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)

    async def scenario() -> None:
        source = BleSource(STRAP, VirtualClock())
        reader = Reader(source)
        await reader.until(LinkState.CONNECTED)
        assert bluez.stats(STRAP)["notifying"] is True
        reader.task.cancel()  # what the app's TaskGroup does on shutdown
        with pytest.raises(asyncio.CancelledError):
            await reader.task
        assert bluez.stats(STRAP)["connected"] is False

    run(scenario())


# -- monitor --wait: a strap that is off or away is waited for, quietly ----------------------


def waiting_delays(seed: int, n: int) -> list[float]:
    return list(itertools.islice(WAITING_BACKOFF.delays(seed), n))


def test_wait_for_device_looks_again_until_the_strap_is_in_range(bluez, run, caplog):
    """The strap is off at start: no error, one ``connecting`` per look, backing off, and one
    INFO line in the log for the whole wait, then the stream goes on as usual."""
    bluez.add_device(STRAP, STRAP_NAME)
    bluez.set_in_range(STRAP, False)
    delays = waiting_delays(3, 4)
    caplog.set_level(logging.DEBUG, logger="kindbreak")

    async def scenario() -> list[SourceItem]:
        clock = VirtualClock()
        source = BleSource(
            STRAP,
            clock,
            scan_timeout_s=0.05,
            jitter_seed=3,
            wait_for_device=True,
            backoff=WAITING_BACKOFF,
        )
        reader = Reader(source)
        items = await reader.until(LinkState.CONNECTING)
        for attempt in range(4):
            items += await reader.until(LinkState.CONNECTING)
            if attempt == 3:
                bluez.set_in_range(STRAP, True)
            clock.advance_to(items[-1].t_s + delays[attempt])
        items += await reader.until(LinkState.CONNECTED)
        clock.advance_to(clock.monotonic() + 1.0)
        assert bluez.notify(STRAP, frame(70, [870]))
        items.append(await reader.next())
        await source.aclose()
        return items

    items = run(scenario())

    missing = f"no heart-rate device at {STRAP!r} in 0.05 s; no heart-rate device was seen"
    assert states(items) == [
        (LinkState.CONNECTING, f"looking for {STRAP}"),
        (LinkState.CONNECTING, f"attempt 1 in {delays[0]:.1f} s ({missing})"),
        (LinkState.CONNECTING, f"attempt 2 in {delays[1]:.1f} s ({missing})"),
        (LinkState.CONNECTING, f"attempt 3 in {delays[2]:.1f} s ({missing})"),
        (LinkState.CONNECTING, f"attempt 4 in {delays[3]:.1f} s ({missing})"),
        (LinkState.CONNECTED, f"{STRAP_NAME} ({STRAP})"),
    ]
    assert [round(d) for d in delays] == [2, 4, 8, 16]
    assert payloads(items) == [frame(70, [870])]
    info = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("kindbreak") and r.levelno >= logging.INFO
    ]
    assert info == [f"waiting for {STRAP}: {missing}", f"connection attempt 1 failed: {missing}"]


def test_wait_for_device_waits_for_the_adapter_too(bluez, run):
    """Bluetooth switched off at login is waited for like an absent strap."""
    bluez.add_device(STRAP, STRAP_NAME)
    bluez.set_powered(False)
    (delay_s,) = waiting_delays(9, 1)

    async def scenario() -> list[SourceItem]:
        clock = VirtualClock()
        source = BleSource(
            STRAP, clock, jitter_seed=9, wait_for_device=True, backoff=WAITING_BACKOFF
        )
        reader = Reader(source)
        items = await reader.until(LinkState.CONNECTING)
        items += await reader.until(LinkState.CONNECTING)
        bluez.set_powered(True)
        await until_bleak_sees_the_adapter_on()
        clock.advance_to(items[-1].t_s + delay_s)
        items += await reader.until(LinkState.CONNECTED)
        await source.aclose()
        return items

    off = (
        "scanning for heart-rate devices: No powered Bluetooth adapters found. "
        "Turn on Bluetooth and try again."
    )
    assert states(run(scenario())) == [
        (LinkState.CONNECTING, f"looking for {STRAP}"),
        (LinkState.CONNECTING, f"attempt 1 in {delay_s:.1f} s ({off})"),
        (LinkState.CONNECTED, f"{STRAP_NAME} ({STRAP})"),
    ]


def test_wait_for_device_is_closed_cleanly_while_waiting(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)
    bluez.set_in_range(STRAP, False)

    async def scenario() -> list[SourceItem]:
        source = BleSource(STRAP, VirtualClock(), scan_timeout_s=0.05, wait_for_device=True)
        reader = Reader(source)
        items = await reader.until(LinkState.CONNECTING)
        items += await reader.until(LinkState.CONNECTING)
        await source.aclose()
        return items + await reader.rest()

    got = states(run(scenario()))

    assert [s for s, _ in got] == [LinkState.CONNECTING] * 2 + [LinkState.STOPPED]
