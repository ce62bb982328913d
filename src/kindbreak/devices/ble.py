"""The Bluetooth LE heart-rate source: a strap or watch over bleak.

:class:`BleSource` finds the device (by address, or by exact name among devices advertising
the Heart Rate service), connects, reads body location and battery, and subscribes to Heart
Rate Measurement (0x2A37). The notification callback only stamps the arrival time on the
session clock and enqueues the raw bytes; parsing happens downstream in the pipeline.

The stream survives the link. Link changes travel on the same stream as
:class:`~kindbreak.stream.StateEvent`:

- ``connecting`` once at the start, then ``connected`` (detail: "Name (ADDRESS)").
- On a peer disconnect, or when the watchdog sees no notification for ``watchdog_s`` (a silent
  drop: the link claims to be up but nothing arrives), ``disconnected`` (detail: why), then one
  ``reconnecting`` per attempt (detail: attempt number, delay, last error) with exponential
  backoff (:mod:`kindbreak.devices.reconnect`) until connected again or :meth:`aclose`.
- ``stopped`` when :meth:`BleSource.aclose` ends the stream.
- Low battery: the first time the battery reads below ``low_battery_pct``, one extra
  ``connected`` event whose detail starts with :data:`LOW_BATTERY_DETAIL` ("low battery: 12%"),
  once per source; ``info.extra["battery_low"]`` is then ``"true"``.

The first connection's failure is raised from the stream (DeviceNotFound, AdapterUnavailable,
BluetoothPermissionDenied, ...): the user has to act. Later failures are retried. With
``wait_for_device`` (``monitor --wait``, what the background service runs) a strap that is off,
out of range, or an adapter that is off is waited for instead: one ``connecting`` event per
attempt (detail: why the last one failed and when the next comes), with the same backoff, until
it connects; only a refused permission is still raised, since waiting cannot mend it.

Every item's ``t_s`` is non-decreasing, so a recording of this stream replays as it happened.
Backoff and watchdog wait on the injected clock (``clock.sleep``), so a VirtualClock drives them;
scan and connect timeouts are real-time I/O timeouts.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, TypeVar

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from kindbreak.clock import Clock
from kindbreak.devices.reconnect import BackoffPolicy
from kindbreak.devices.scan import (
    BLEAK_ERRORS,
    HR_MEASUREMENT_UUID,
    client_args,
    find_heart_rate_device,
    looks_like_address,
    read_device_details,
    translate_bleak_error,
)
from kindbreak.errors import BluetoothPermissionDenied, DeviceError
from kindbreak.stream import DeviceInfo, LinkState, Notification, SourceItem, StateEvent

log = logging.getLogger(__name__)

LOW_BATTERY_DETAIL = "low battery"
WAITING_BACKOFF = BackoffPolicy(initial_s=2.0, factor=2.0, max_s=300.0)
"""Backoff while waiting for a strap that is off or away all day (``monitor --wait``): 2 s,
4 s, ... up to 5 minutes between looks, so an absent strap costs a scan every 5 minutes."""

T = TypeVar("T")


class _Wake(Enum):
    TIMED_OUT = "timed out"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class _LinkLost:
    """Enqueued by bleak's disconnected callback; ``generation`` names the connection."""

    generation: int


class BleSource:
    """A heart-rate source over Bluetooth LE (see the module docstring for the stream)."""

    def __init__(
        self,
        address_or_name: str,
        clock: Clock,
        *,
        adapter: str | None = None,
        scan_timeout_s: float = 10.0,
        connect_timeout_s: float = 20.0,
        watchdog_s: float = 5.0,
        backoff: BackoffPolicy | None = None,
        jitter_seed: int | None = None,
        low_battery_pct: int = 15,
        wait_for_device: bool = False,
    ) -> None:
        if not watchdog_s > 0:
            raise ValueError(f"watchdog_s must be > 0, got {watchdog_s!r}")
        self._target = address_or_name
        self._address = address_or_name.upper() if looks_like_address(address_or_name) else None
        self._clock = clock
        self._adapter = adapter
        self._scan_timeout_s = scan_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._watchdog_s = watchdog_s
        self._backoff = backoff if backoff is not None else BackoffPolicy()
        self._rng = random.Random(jitter_seed)
        self._low_battery_pct = low_battery_pct
        self._low_battery_told = False
        self._wait_for_device = wait_for_device
        self._info = (
            DeviceInfo(address=self._address) if self._address else DeviceInfo(name=address_or_name)
        )
        self._queue: asyncio.Queue[Notification | _LinkLost] = asyncio.Queue()
        self._closed = asyncio.Event()
        self._client: BleakClient | None = None
        self._client_lock = asyncio.Lock()
        self._generation = 0
        self._connected_at_s = 0.0
        self._last_data_s = 0.0
        self._started = False

    @property
    def info(self) -> DeviceInfo:
        return self._info

    # --- the stream ----------------------------------------------------------------------------

    async def stream(self) -> AsyncIterator[SourceItem]:
        """Yield notifications and link events until :meth:`aclose` (can be iterated once)."""
        if self._started:
            raise RuntimeError("BleSource.stream() can be iterated only once")
        self._started = True
        try:
            yield self._event(LinkState.CONNECTING, f"looking for {self._target}")
            failed = await self._first_connection()
            if failed is not None:  # waiting for the device: until it connects, or aclose()
                async for waiting in self._reconnect(LinkState.CONNECTING, failed):
                    yield waiting
            elif not self._closed.is_set():
                for event in self._connected_events():
                    yield event
            while not self._closed.is_set():
                async for item in self._while_connected():
                    yield item
                async for item in self._reconnect():
                    yield item
            async for item in self._finish():
                yield item
        finally:
            await self._drop_client()

    async def _while_connected(self) -> AsyncIterator[SourceItem]:
        """Notifications until the link is lost (ends with ``disconnected``) or closed."""
        reason: str | None = None
        while reason is None:
            got = await self._next_item()
            if got is _Wake.CLOSED:
                return
            if got is _Wake.TIMED_OUT:
                reason = f"no data for {self._watchdog_s:g} s"
            elif isinstance(got, _LinkLost):
                if got.generation == self._generation:  # else: an earlier connection's goodbye
                    reason = "link lost"
            else:
                self._last_data_s = got.t_s
                yield got
        await self._drop_client()
        for item in self._drain():
            yield item
        yield self._event(LinkState.DISCONNECTED, reason)

    async def _first_connection(self) -> str | None:
        """Connect for the first time (or be closed first); with ``wait_for_device`` a failure
        that waiting can mend is returned as its message, any other is raised."""
        try:
            await self._race(self._connect_once())
        except BluetoothPermissionDenied:
            raise
        except DeviceError as exc:
            if not self._wait_for_device:
                raise
            log.info("waiting for %s: %s", self._target, exc.message)
            return exc.message
        return None

    async def _reconnect(
        self, state: LinkState = LinkState.RECONNECTING, last_error: str = ""
    ) -> AsyncIterator[StateEvent]:
        """One ``state`` event per attempt (``reconnecting``, or ``connecting`` while waiting
        for the first connection), with backoff, until connected or closed."""
        attempt = 0
        while not self._closed.is_set():
            delay_s = self._backoff.delay_s(attempt, self._rng)
            detail = f"attempt {attempt + 1} in {delay_s:.1f} s"
            event = self._event(
                state, f"{detail} ({last_error})" if last_error else detail, attempt + 1
            )
            yield event
            # Counted from the event's stamp, so "attempt 2 in 2.0 s" means at t + 2.0.
            wait_s = event.t_s + delay_s - self._clock.monotonic()
            if await self._race(self._clock.sleep(wait_s)) is _Wake.CLOSED:
                return
            try:
                if await self._race(self._connect_once()) is _Wake.CLOSED:
                    return
            except DeviceError as exc:
                # The first failure of a run is worth a line; a strap away all afternoon is not
                # worth one every few minutes.
                level = logging.INFO if attempt == 0 else logging.DEBUG
                log.log(level, "connection attempt %d failed: %s", attempt + 1, exc)
                last_error = exc.message
                attempt += 1
                continue
            for connected in self._connected_events():
                yield connected
            return

    async def aclose(self) -> None:
        """Disconnect and end the stream (it yields what had arrived, then ``stopped``)."""
        self._closed.set()
        await self._drop_client()

    # --- connecting ----------------------------------------------------------------------------

    async def _connect_once(self) -> None:
        found = await find_heart_rate_device(
            self._address or self._target, timeout_s=self._scan_timeout_s, adapter=self._adapter
        )
        label = found.scanned.label
        self._generation += 1
        generation = self._generation
        client = BleakClient(
            found.ble_device,
            disconnected_callback=lambda _client: self._queue.put_nowait(_LinkLost(generation)),
            timeout=self._connect_timeout_s,
            bluez=client_args(self._adapter),
        )
        try:
            await client.connect()
            details = await read_device_details(client)
            hrm = client.services.get_characteristic(HR_MEASUREMENT_UUID)
            if hrm is None:
                raise DeviceError(
                    f"{label} has no Heart Rate Measurement characteristic (0x2A37)",
                    hint="Choose a heart-rate strap or a watch in heart-rate broadcast mode.",
                )
            connected_at_s = self._clock.monotonic()
            await client.start_notify(hrm, self._on_notification)
        except BLEAK_ERRORS as exc:
            await self._quiet_disconnect(client)
            raise translate_bleak_error(exc, doing=f"connecting to {label}") from exc
        except BaseException:
            await self._quiet_disconnect(client)
            raise
        self._client = client
        self._address = found.scanned.address
        self._connected_at_s = self._last_data_s = connected_at_s
        extra = dict(self._info.extra)
        battery = details.battery_pct
        if battery is not None and battery < self._low_battery_pct:
            extra["battery_low"] = "true"
        self._info = replace(
            self._info,
            name=found.scanned.name or self._info.name,
            address=found.scanned.address,
            body_location=details.body_location,
            battery_pct=battery,
            extra=extra,
        )

    def _on_notification(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        # Stamp and enqueue only: parsing belongs to the pipeline.
        self._queue.put_nowait(Notification(self._clock.monotonic(), bytes(data)))

    def _connected_events(self) -> list[StateEvent]:
        info = self._info
        events = [
            StateEvent(self._connected_at_s, LinkState.CONNECTED, f"{info.name} ({info.address})")
        ]
        battery = info.battery_pct
        if battery is not None and battery < self._low_battery_pct and not self._low_battery_told:
            self._low_battery_told = True
            events.append(
                StateEvent(
                    self._connected_at_s, LinkState.CONNECTED, f"{LOW_BATTERY_DETAIL}: {battery}%"
                )
            )
        return events

    async def _drop_client(self) -> None:
        async with self._client_lock:
            client, self._client = self._client, None
            if client is not None:
                await self._quiet_disconnect(client)

    @staticmethod
    async def _quiet_disconnect(client: BleakClient) -> None:
        try:
            await client.disconnect()
        except BLEAK_ERRORS as exc:
            log.debug("disconnect failed: %s", exc)

    # --- waiting -------------------------------------------------------------------------------

    async def _next_item(self) -> Notification | _LinkLost | _Wake:
        """The next queued item, or TIMED_OUT (watchdog) or CLOSED."""
        if self._closed.is_set():
            return _Wake.CLOSED
        got: Notification | _LinkLost | _Wake
        if not self._queue.empty():
            got = self._queue.get_nowait()
        else:
            remaining_s = self._last_data_s + self._watchdog_s - self._clock.monotonic()
            if remaining_s <= 0:
                return _Wake.TIMED_OUT
            got = await self._race(self._queue.get(), remaining_s)
        if isinstance(got, _LinkLost) and self._closed.is_set():
            return _Wake.CLOSED  # aclose() hung up: not a lost link
        return got

    async def _race(self, aw: Awaitable[T], timeout_s: float | None = None) -> T | _Wake:
        """Await ``aw`` unless :meth:`aclose` comes first, or ``timeout_s`` (session clock)."""
        main = asyncio.ensure_future(aw)
        wakers: dict[asyncio.Future[Any], _Wake] = {
            asyncio.ensure_future(self._closed.wait()): _Wake.CLOSED
        }
        if timeout_s is not None:
            wakers[asyncio.ensure_future(self._clock.sleep(timeout_s))] = _Wake.TIMED_OUT
        try:
            done, _ = await asyncio.wait({main, *wakers}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waker in wakers:
                waker.cancel()
            if not main.done():
                main.cancel()
                await asyncio.wait({main})
                if not main.cancelled():
                    main.exception()  # retrieved: it lost the race
        if main in done:
            return main.result()
        return _Wake.CLOSED if self._closed.is_set() else _Wake.TIMED_OUT

    def _drain(self) -> list[Notification]:
        """Notifications still queued (after a disconnect no more can arrive)."""
        items: list[Notification] = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, Notification):
                items.append(item)
        return items

    async def _finish(self) -> AsyncIterator[SourceItem]:
        await self._drop_client()
        for item in self._drain():
            yield item
        yield self._event(LinkState.STOPPED, "stopped")

    def _event(self, state: LinkState, detail: str, attempt: int = 0) -> StateEvent:
        return StateEvent(self._clock.monotonic(), state, detail, attempt)
