"""Finding heart-rate devices over Bluetooth LE (bleak) and reading their details.

Devices are found by the Heart Rate service (0x180D) in their advertisement, never by name, so a
strap whose name we have never heard of is listed and a headset nearby is not. Every foreign
exception (bleak, D-Bus, OS) is translated here into kindbreak's device errors.

The scan window and connect timeouts are I/O timeouts in real time (asyncio), not policy timers:
they do not use the session clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from bleak import BleakClient, BleakScanner
from bleak.args.bluez import BlueZClientArgs, BlueZScannerArgs
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakError,
)

from kindbreak.errors import (
    AdapterUnavailable,
    BluetoothPermissionDenied,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
)

log = logging.getLogger(__name__)


def _uuid16(short: int) -> str:
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


HR_SERVICE_UUID = _uuid16(0x180D)
HR_MEASUREMENT_UUID = _uuid16(0x2A37)
BODY_SENSOR_LOCATION_UUID = _uuid16(0x2A38)
BATTERY_SERVICE_UUID = _uuid16(0x180F)
BATTERY_LEVEL_UUID = _uuid16(0x2A19)

BODY_LOCATIONS = ("other", "chest", "wrist", "finger", "hand", "ear lobe", "foot")

_AUTH_ERRORS: tuple[type[BaseException], ...] = (PermissionError,)
try:  # dbus-fast exists on Linux only
    from dbus_fast import AuthError
except ImportError:  # pragma: no cover - other platforms
    pass
else:
    _AUTH_ERRORS = (PermissionError, AuthError)

# Exceptions that may escape bleak on any backend; everything else is a bug and propagates.
BLEAK_ERRORS: tuple[type[BaseException], ...] = (BleakError, TimeoutError, OSError, *_AUTH_ERRORS)

_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_CB_UUID = re.compile(r"^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")  # macOS

_NOT_READY = {"org.bluez.Error.NotReady", "org.bluez.Error.NotAvailable"}
_DENIED = {
    "org.bluez.Error.NotAuthorized",
    "org.bluez.Error.NotPermitted",
    "org.freedesktop.DBus.Error.AccessDenied",
    "org.freedesktop.DBus.Error.AuthFailed",
}
_NO_BLUEZ = {
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
}


@dataclass(frozen=True, slots=True)
class ScannedDevice:
    """A heart-rate device seen advertising: its name (may be empty), address and RSSI."""

    name: str
    address: str
    rssi_dbm: int

    @property
    def label(self) -> str:
        return f"{self.name or 'unnamed'} ({self.address})"


@dataclass(frozen=True, slots=True)
class DeviceDetails:
    """What a connected device tells about itself; ``None`` where it has no such characteristic."""

    body_location: str | None = None
    battery_pct: int | None = None


@dataclass(frozen=True, slots=True)
class FoundDevice:
    """A scan result together with bleak's handle, which connects without a second scan."""

    scanned: ScannedDevice
    ble_device: BLEDevice


def looks_like_address(text: str) -> bool:
    """A Bluetooth address (Linux, Windows) or a CoreBluetooth identifier (macOS)."""
    return bool(_MAC.match(text) or _CB_UUID.match(text))


def body_location_name(code: int) -> str:
    return BODY_LOCATIONS[code] if 0 <= code < len(BODY_LOCATIONS) else f"unknown ({code})"


def translate_bleak_error(exc: BaseException, *, doing: str) -> DeviceError:
    """Map an exception from bleak, D-Bus or the OS to kindbreak's device error.

    ``doing`` says what was being attempted (it starts the message). Raise the result with
    ``raise translate_bleak_error(exc, doing=...) from exc``.
    """
    if isinstance(exc, BleakBluetoothNotAvailableError):
        why = str(exc.args[0]) if exc.args else str(exc)
        if exc.reason in (
            BleakBluetoothNotAvailableReason.DENIED_BY_USER,
            BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM,
        ):
            return BluetoothPermissionDenied(f"{doing}: Bluetooth access denied ({why})")
        return AdapterUnavailable(f"{doing}: {why}")
    if isinstance(exc, BleakDeviceNotFoundError):
        return DeviceNotFound(f"{doing}: the device is no longer known to the system ({exc})")
    if isinstance(exc, BleakDBusError):
        name = exc.dbus_error
        if name in _NOT_READY:
            return AdapterUnavailable(f"{doing}: the Bluetooth adapter is not powered or not ready")
        if name in _DENIED:
            return BluetoothPermissionDenied(f"{doing}: BlueZ refused ({name})")
        if name in _NO_BLUEZ:
            return AdapterUnavailable(
                f"{doing}: BlueZ (bluetoothd) is not running",
                hint="Start the Bluetooth service (for example `systemctl start bluetooth`).",
            )
    if isinstance(exc, _AUTH_ERRORS):
        return BluetoothPermissionDenied(f"{doing}: not allowed to talk to BlueZ ({exc})")
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError):
        return AdapterUnavailable(
            f"{doing}: cannot reach BlueZ over the system D-Bus ({exc})",
            hint="Install and start BlueZ (the `bluetooth` service), then try again.",
        )
    if isinstance(exc, TimeoutError):
        return DeviceDisconnected(f"{doing}: timed out")
    return DeviceDisconnected(f"{doing}: {exc}")


def _scanner_args(adapter: str | None) -> BlueZScannerArgs:
    return {} if adapter is None else {"adapter": adapter}


def client_args(adapter: str | None) -> BlueZClientArgs:
    return {} if adapter is None else {"adapter": adapter}


async def _scan(
    timeout_s: float,
    *,
    adapter: str | None,
    stop_when: Callable[[ScannedDevice], bool] | None = None,
) -> dict[str, FoundDevice]:
    """Scan for devices advertising the Heart Rate service, keyed by address (latest RSSI).

    Ends after ``timeout_s`` or as soon as ``stop_when`` accepts a device.
    """
    found: dict[str, FoundDevice] = {}
    done = asyncio.Event()

    def on_advertisement(device: BLEDevice, adv: AdvertisementData) -> None:
        if HR_SERVICE_UUID not in (u.lower() for u in adv.service_uuids):
            return  # the OS filter is only a hint on some platforms
        seen = ScannedDevice(adv.local_name or device.name or "", device.address, adv.rssi)
        found[device.address] = FoundDevice(seen, device)
        if stop_when is not None and stop_when(seen):
            done.set()

    scanner = BleakScanner(
        detection_callback=on_advertisement,
        service_uuids=[HR_SERVICE_UUID],
        bluez=_scanner_args(adapter),
    )
    try:
        async with scanner:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout_s)
    except BLEAK_ERRORS as exc:
        raise translate_bleak_error(exc, doing="scanning for heart-rate devices") from exc
    return found


async def scan_heart_rate_devices(
    timeout_s: float = 5.0, *, adapter: str | None = None
) -> list[ScannedDevice]:
    """Every device advertising the Heart Rate service within ``timeout_s``, strongest first.

    Raises AdapterUnavailable or BluetoothPermissionDenied; an empty list means none was seen.
    """
    found = await _scan(timeout_s, adapter=adapter)
    return sorted(
        (f.scanned for f in found.values()), key=lambda d: (-d.rssi_dbm, d.name, d.address)
    )


async def find_heart_rate_device(
    address_or_name: str, *, timeout_s: float = 10.0, adapter: str | None = None
) -> FoundDevice:
    """Find one heart-rate device by address, or by its exact name (case-insensitive).

    Returns as soon as it is seen. Raises DeviceNotFound listing the heart-rate devices that
    were seen instead (``seen``: their labels, "Name (ADDRESS)").
    """
    by_address = looks_like_address(address_or_name)
    wanted = address_or_name.upper() if by_address else address_or_name.casefold()

    def matches(dev: ScannedDevice) -> bool:
        return (dev.address.upper() if by_address else dev.name.casefold()) == wanted

    found = await _scan(timeout_s, adapter=adapter, stop_when=matches)
    for dev in found.values():
        if matches(dev.scanned):
            return dev
    seen = tuple(sorted(f.scanned.label for f in found.values()))
    what = "at" if by_address else "named"
    also = f"; seen instead: {', '.join(seen)}" if seen else "; no heart-rate device was seen"
    raise DeviceNotFound(
        f"no heart-rate device {what} {address_or_name!r} in {timeout_s:g} s{also}", seen=seen
    )


async def _read_u8(client: BleakClient, uuid: str) -> int | None:
    char = client.services.get_characteristic(uuid)
    if char is None:
        return None
    try:
        value = await client.read_gatt_char(char)
    except BleakError as exc:
        log.debug("reading %s failed: %s", uuid, exc)
        return None
    return value[0] if value else None


async def read_device_details(client: BleakClient) -> DeviceDetails:
    """Read body sensor location (0x2A38) and battery level (0x180F/0x2A19) from a connected
    client. Missing or unreadable characteristics give ``None``; a dropped link raises."""
    location = await _read_u8(client, BODY_SENSOR_LOCATION_UUID)
    battery = await _read_u8(client, BATTERY_LEVEL_UUID)
    return DeviceDetails(
        body_location=None if location is None else body_location_name(location),
        battery_pct=battery if battery is not None and battery <= 100 else None,
    )


async def fetch_device_details(
    address_or_name: str,
    *,
    scan_timeout_s: float = 10.0,
    connect_timeout_s: float = 20.0,
    adapter: str | None = None,
) -> tuple[ScannedDevice, DeviceDetails]:
    """Find, connect, read the details and disconnect (for ``kindbreak scan --details``)."""
    found = await find_heart_rate_device(address_or_name, timeout_s=scan_timeout_s, adapter=adapter)
    client = BleakClient(found.ble_device, timeout=connect_timeout_s, bluez=client_args(adapter))
    try:
        await client.connect()
        try:
            details = await read_device_details(client)
        finally:
            await client.disconnect()
    except BLEAK_ERRORS as exc:
        raise translate_bleak_error(exc, doing=f"reading {found.scanned.label}") from exc
    return found.scanned, details
