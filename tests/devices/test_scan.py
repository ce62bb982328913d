"""Scanning by the Heart Rate service UUID, against real bleak and a BlueZ-shaped D-Bus peer."""

from __future__ import annotations

import pytest

from kindbreak.devices.scan import (
    ScannedDevice,
    fetch_device_details,
    find_heart_rate_device,
    scan_heart_rate_devices,
)
from kindbreak.errors import AdapterUnavailable, DeviceNotFound

STRAP = "A0:9E:1A:12:34:56"
STRAP_NAME = "Polar H10 A1B2C3D4"
WATCH = "F4:5E:AB:01:02:03"
BAND = "C8:0F:10:AA:BB:CC"


def test_scan_lists_devices_advertising_heart_rate_and_not_others(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME, rssi=-55)
    bluez.add_device(WATCH, "Forerunner 255", kind="hr-only", rssi=-71)
    # Named like a heart-rate device, strongest signal, but no 0x180D in its advertisement.
    bluez.add_device(BAND, "HeartBand HRM", kind="other", rssi=-40)

    found = run(scan_heart_rate_devices(timeout_s=0.2))

    assert [(d.name, d.address) for d in found] == [(STRAP_NAME, STRAP), ("Forerunner 255", WATCH)]
    assert all(isinstance(d, ScannedDevice) for d in found)
    assert -56 <= found[0].rssi_dbm <= -54  # the peer's RSSI with its +-1 dBm noise
    assert -72 <= found[1].rssi_dbm <= -70
    assert bluez.stats(BAND)["adverts"] > 0  # it did advertise: the filter dropped it


def test_find_by_name_stops_as_soon_as_seen(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)

    found = run(find_heart_rate_device(STRAP_NAME.lower(), timeout_s=5.0))

    assert found.scanned.address == STRAP


def test_not_found_lists_what_was_seen(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME)
    bluez.add_device(BAND, "HeartBand HRM", kind="other")

    with pytest.raises(DeviceNotFound) as info:
        run(find_heart_rate_device("Garmin HRM-Pro", timeout_s=0.2))

    assert info.value.seen == (f"{STRAP_NAME} ({STRAP})",)
    assert "Garmin HRM-Pro" in info.value.message
    assert STRAP_NAME in info.value.message


def test_adapter_powered_off(bluez, run):
    bluez.set_powered(False)

    with pytest.raises(AdapterUnavailable) as info:
        run(scan_heart_rate_devices(timeout_s=0.2))

    assert "powered" in info.value.message.lower()
    assert info.value.__cause__ is not None  # raised from bleak's error


def test_details_read_body_location_and_battery(bluez, run):
    bluez.add_device(STRAP, STRAP_NAME, battery=64, body_location=1)
    bluez.add_device(WATCH, "Forerunner 255", kind="hr-only")

    strap, strap_details = run(fetch_device_details(STRAP, scan_timeout_s=5.0))
    _, watch_details = run(fetch_device_details(WATCH, scan_timeout_s=5.0))

    assert strap.name == STRAP_NAME
    assert (strap_details.body_location, strap_details.battery_pct) == ("chest", 64)
    assert (watch_details.body_location, watch_details.battery_pct) == (None, None)
    assert not bluez.stats(STRAP)["connected"]  # disconnected again
