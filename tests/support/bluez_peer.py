"""A BlueZ-shaped peer for bleak, on dbus-fast's service API: one adapter and heart-rate straps.

It plays bluetoothd on a (private) system bus closely enough that bleak's real, unpatched BlueZ
backend scans, connects, resolves GATT services, reads and subscribes as it does on a laptop:

- ``/org/bluez/hci0`` (org.bluez.Adapter1): Powered, Discovering, Roles; StartDiscovery,
  StopDiscovery, SetDiscoveryFilter, RemoveDevice. While discovering, every device in range and
  not connected advertises: the first time by exporting its Device1 object (InterfacesAdded, as
  BlueZ exports a newly seen device), later with an RSSI PropertiesChanged, at once when
  discovery starts and then every ``advert_interval_s``.
- Devices (org.bluez.Device1, ``dev_AA_BB_...``): Connect sets Connected, then (on the next
  turn of the loop) exports the GATT objects and sets ServicesResolved. Disconnect, a peer
  drop or the adapter powering off clear ServicesResolved and Connected and remove the GATT
  objects (InterfacesRemoved), as BlueZ does for an unbonded device.
- GATT (object paths end in 4 hex digits: bleak reads handles from them): Heart Rate service
  0x180D with 0x2A37 (notify; StartNotify sets Notifying; values go out as PropertiesChanged of
  Value) and 0x2A38 Body Sensor Location (read); Battery service 0x180F with 0x2A19 (read).

Device kinds: ``strap`` (both services), ``hr-only`` (0x180D with 0x2A37 alone, like a watch
broadcasting HR), ``other`` (no Heart Rate service: a fitness band with battery only).

The radio is driven from Python on the peer's event loop: :meth:`BlueZ.add_device`,
:meth:`~BlueZ.notify`, :meth:`~BlueZ.drop_link`, :meth:`~BlueZ.set_silent`,
:meth:`~BlueZ.set_in_range`, :meth:`~BlueZ.set_powered`, :meth:`~BlueZ.stats`,
:meth:`~BlueZ.reset`. ``tests/ble/conftest.py`` wraps them for the tests (from another thread);
``tools/mock_strap.py`` uses them directly.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from dbus_fast import DBusError, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_property, method

from support.dbus import PeerLoop

BUS_NAME = "org.bluez"
ADAPTER_PATH = "/org/bluez/hci0"
KINDS = ("strap", "hr-only", "other")


def uuid16(short: int) -> str:
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


HR_SERVICE = uuid16(0x180D)
HR_MEASUREMENT = uuid16(0x2A37)
BODY_LOCATION = uuid16(0x2A38)
BATTERY_SERVICE = uuid16(0x180F)
BATTERY_LEVEL = uuid16(0x2A19)
CCCD = uuid16(0x2902)
OTHER_SERVICE = uuid16(0xFEE0)


def _not_ready() -> DBusError:
    return DBusError("org.bluez.Error.NotReady", "Resource Not Ready")


# --- D-Bus objects: properties live in a dict; a change is set() and signalled --------------


# dbus-fast reads D-Bus signatures from annotations: a method's arguments and reply (a method
# without a reply has no return annotation; ``-> None`` would be read as a signature).


def _readonly(name: str, signature: str) -> Any:
    """A read-only D-Bus property ``name`` of type ``signature``, read from ``self.props``."""

    def getter(self: _Props) -> Any:
        return self.props[name]

    getter.__name__ = name
    getter.__annotations__ = {"return": signature}
    return dbus_property(access=PropertyAccess.READ, name=name)(getter)


class _Props(ServiceInterface):
    def __init__(self, interface: str, props: dict[str, Any]) -> None:
        super().__init__(interface)
        self.props = props

    def set(self, **changes: Any) -> None:
        """Change properties and emit one PropertiesChanged, as BlueZ does."""
        self.props.update(changes)
        self.emit_properties_changed(changes)


class AgentManager(ServiceInterface):
    """org.bluez.AgentManager1 on /org/bluez (bleak looks for BlueZ there; no methods used)."""

    def __init__(self) -> None:
        super().__init__("org.bluez.AgentManager1")


class Adapter(_Props):
    """org.bluez.Adapter1 of hci0."""

    Address = _readonly("Address", "s")
    AddressType = _readonly("AddressType", "s")
    Name = _readonly("Name", "s")
    Alias = _readonly("Alias", "s")
    Class = _readonly("Class", "u")
    Powered = _readonly("Powered", "b")
    Discoverable = _readonly("Discoverable", "b")
    Pairable = _readonly("Pairable", "b")
    PairableTimeout = _readonly("PairableTimeout", "u")
    DiscoverableTimeout = _readonly("DiscoverableTimeout", "u")
    Discovering = _readonly("Discovering", "b")
    UUIDs = _readonly("UUIDs", "as")
    Modalias = _readonly("Modalias", "s")
    Roles = _readonly("Roles", "as")

    def __init__(self, radio: BlueZ, powered: bool) -> None:
        super().__init__(
            "org.bluez.Adapter1",
            {
                "Address": "00:11:22:33:44:55",
                "AddressType": "public",
                "Name": "kindbreak-test",
                "Alias": "kindbreak-test",
                "Class": 0x10010C,
                "Powered": powered,
                "Discoverable": False,
                "Pairable": True,
                "PairableTimeout": 0,
                "DiscoverableTimeout": 180,
                "Discovering": False,
                "UUIDs": [uuid16(0x1800), uuid16(0x1801)],
                "Modalias": "usb:v1D6Bp0246d0540",
                "Roles": ["central", "peripheral"],
            },
        )
        self._radio = radio
        self.discovery_filter: dict[str, Variant] | None = None

    @method()
    def StartDiscovery(self):
        if not self.props["Powered"]:
            raise _not_ready()
        self._radio.set_discovering(True)

    @method()
    def StopDiscovery(self):
        if not self.props["Powered"]:
            raise _not_ready()
        self._radio.set_discovering(False)

    @method()
    def SetDiscoveryFilter(self, discovery_filter: "a{sv}"):
        self.discovery_filter = discovery_filter

    @method()
    def RemoveDevice(self, device: "o"):
        self._radio.remove_device(self._radio.peer_at(device))


class Device(_Props):
    """org.bluez.Device1 of one remote device."""

    Address = _readonly("Address", "s")
    AddressType = _readonly("AddressType", "s")
    Name = _readonly("Name", "s")
    Alias = _readonly("Alias", "s")
    Adapter = _readonly("Adapter", "o")
    Paired = _readonly("Paired", "b")
    Bonded = _readonly("Bonded", "b")
    Trusted = _readonly("Trusted", "b")
    Blocked = _readonly("Blocked", "b")
    LegacyPairing = _readonly("LegacyPairing", "b")
    Connected = _readonly("Connected", "b")
    ServicesResolved = _readonly("ServicesResolved", "b")
    UUIDs = _readonly("UUIDs", "as")
    RSSI = _readonly("RSSI", "n")
    ManufacturerData = _readonly("ManufacturerData", "a{qv}")
    ServiceData = _readonly("ServiceData", "a{sv}")

    def __init__(self, radio: BlueZ, peer: Peer) -> None:
        super().__init__(
            "org.bluez.Device1",
            {
                "Address": peer.address,
                "AddressType": "random",
                "Name": peer.name,
                "Alias": peer.name,
                "Adapter": ADAPTER_PATH,
                "Paired": False,
                "Bonded": False,
                "Trusted": False,
                "Blocked": False,
                "LegacyPairing": False,
                "Connected": False,
                "ServicesResolved": False,
                "UUIDs": peer.uuids(),
                "RSSI": peer.rssi,
                "ManufacturerData": {0x006B: Variant("ay", bytes([0x33, 0x1E]))},
                "ServiceData": {},
            },
        )
        self._radio = radio
        self._peer = peer

    @method()
    def Connect(self):
        self._radio.connect(self._peer)

    @method()
    def Disconnect(self):
        self._radio.drop(self._peer)


class GattService(_Props):
    """org.bluez.GattService1."""

    UUID = _readonly("UUID", "s")
    Device = _readonly("Device", "o")
    Primary = _readonly("Primary", "b")
    Includes = _readonly("Includes", "ao")

    def __init__(self, uuid: str, device_path: str) -> None:
        super().__init__(
            "org.bluez.GattService1",
            {"UUID": uuid, "Device": device_path, "Primary": True, "Includes": []},
        )


class _Readable(_Props):
    """ReadValue of a characteristic or descriptor: its Value, while the link is up."""

    def __init__(self, interface: str, props: dict[str, Any], peer: Peer) -> None:
        super().__init__(interface, props)
        self.peer = peer

    def _require_link(self) -> None:
        if not self.peer.connected:
            raise DBusError("org.bluez.Error.Failed", "Not connected")

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":
        self._require_link()
        return bytes(self.props["Value"])


class GattCharacteristic(_Readable):
    """org.bluez.GattCharacteristic1 without notifications (read only here)."""

    UUID = _readonly("UUID", "s")
    Service = _readonly("Service", "o")
    Value = _readonly("Value", "ay")
    Flags = _readonly("Flags", "as")
    MTU = _readonly("MTU", "q")

    def __init__(self, uuid: str, service_path: str, flags: list[str], value: bytes, peer: Peer):
        super().__init__(
            "org.bluez.GattCharacteristic1",
            {"UUID": uuid, "Service": service_path, "Value": value, "Flags": flags, "MTU": 23},
            peer,
        )

    @method()
    def WriteValue(self, value: "ay", options: "a{sv}"):
        self._require_link()
        raise DBusError("org.bluez.Error.NotPermitted", "Write not permitted")


class NotifyingCharacteristic(GattCharacteristic):
    """A characteristic with the notify flag: Notifying, StartNotify, StopNotify."""

    Notifying = _readonly("Notifying", "b")

    def __init__(self, uuid: str, service_path: str, peer: Peer) -> None:
        super().__init__(uuid, service_path, ["notify"], b"", peer)
        self.props["Notifying"] = False

    @method()
    def StartNotify(self):
        self._require_link()
        if not self.props["Notifying"]:
            self.set(Notifying=True)

    @method()
    def StopNotify(self):
        if self.props["Notifying"]:
            self.set(Notifying=False)


class GattDescriptor(_Readable):
    """org.bluez.GattDescriptor1 (the CCCD of 0x2A37)."""

    UUID = _readonly("UUID", "s")
    Characteristic = _readonly("Characteristic", "o")
    Value = _readonly("Value", "ay")
    Flags = _readonly("Flags", "as")

    def __init__(self, uuid: str, char_path: str, peer: Peer) -> None:
        super().__init__(
            "org.bluez.GattDescriptor1",
            {"UUID": uuid, "Characteristic": char_path, "Value": b"", "Flags": []},
            peer,
        )


# --- the radio --------------------------------------------------------------------------------


@dataclass
class Peer:
    """One remote device as the radio sees it."""

    address: str
    name: str
    kind: str
    rssi: int = -60
    battery: int = 80
    body_location: int = 1
    in_range: bool = True
    connected: bool = False
    silent: bool = False
    device: Device | None = None  # exported once a scan has heard it
    gatt: list[tuple[str, _Props]] = field(default_factory=list)
    hrm: NotifyingCharacteristic | None = None
    adverts: int = 0
    connects: int = 0

    @property
    def path(self) -> str:
        return f"{ADAPTER_PATH}/dev_{self.address.replace(':', '_')}"

    def uuids(self) -> list[str]:
        return {
            "strap": [HR_SERVICE, BATTERY_SERVICE],
            "hr-only": [HR_SERVICE],
            "other": [OTHER_SERVICE, BATTERY_SERVICE],
        }[self.kind]

    def gatt_objects(self) -> list[tuple[str, _Props]]:
        """(path, object) for every GATT object of this device, parents first."""
        objs: list[tuple[str, _Props]] = []
        if self.kind in ("strap", "hr-only"):
            hr = f"{self.path}/service000c"
            objs.append((hr, GattService(HR_SERVICE, self.path)))
            hrm = f"{hr}/char000d"
            objs.append((hrm, NotifyingCharacteristic(HR_MEASUREMENT, hr, self)))
            objs.append((f"{hrm}/desc000f", GattDescriptor(CCCD, hrm, self)))
            if self.kind == "strap":
                location = bytes([self.body_location])
                char = GattCharacteristic(BODY_LOCATION, hr, ["read"], location, self)
                objs.append((f"{hr}/char0010", char))
        if self.kind in ("strap", "other"):
            bat = f"{self.path}/service0012"
            objs.append((bat, GattService(BATTERY_SERVICE, self.path)))
            level = bytes([self.battery])
            objs.append(
                (f"{bat}/char0013", GattCharacteristic(BATTERY_LEVEL, bat, ["read"], level, self))
            )
        return objs


class BlueZ:
    """bluetoothd's side of the bus: the adapter, the devices it hears, their links."""

    def __init__(self, bus: MessageBus, *, advert_interval_s: float = 0.025) -> None:
        self.bus = bus
        self.advert_interval_s = advert_interval_s
        self.adapter = Adapter(self, powered=True)
        self.peers: dict[str, Peer] = {}
        self._advertising: asyncio.TimerHandle | None = None

    @classmethod
    async def start(cls, bus_address: str, **options: Any) -> BlueZ:
        """Connect to the bus at ``bus_address``, take the name org.bluez, export hci0."""
        bus = await MessageBus(bus_address=bus_address).connect()
        radio = cls(bus, **options)
        bus.export("/org/bluez", AgentManager())
        bus.export(ADAPTER_PATH, radio.adapter)
        await bus.request_name(BUS_NAME)
        return radio

    def stop(self) -> None:
        """Leave the bus (bluetoothd exits)."""
        self._cancel_advertising()
        self.bus.disconnect()

    # -- what the tests do to the radio ------------------------------------------------------

    def add_device(self, address: str, name: str, kind: str = "strap", **options: int) -> str:
        """A device comes into range (it is exported when a scan first hears it)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
        peer = Peer(address.upper(), name, kind, **options)
        self.peers[peer.address] = peer
        self._advertise(peer)
        return peer.path

    def notify(self, address: str, value: bytes) -> bool:
        """Send one 0x2A37 notification; False when the link or the subscription is not up."""
        peer = self.peer(address)
        if not peer.connected or peer.silent or peer.hrm is None:
            return False
        if not peer.hrm.props["Notifying"]:
            return False
        peer.hrm.set(Value=bytes(value))
        return True

    def drop_link(self, address: str) -> None:
        """The peer goes away (supervision timeout): ServicesResolved and Connected go false."""
        self.drop(self.peer(address))

    def set_silent(self, address: str, silent: bool) -> None:
        """Keep the link up but send nothing (a silent drop)."""
        self.peer(address).silent = silent

    def set_in_range(self, address: str, in_range: bool) -> None:
        """Out of range: the link drops, no adverts, Connect fails. Back in range: advertises."""
        peer = self.peer(address)
        peer.in_range = in_range
        if in_range:
            self._advertise(peer)
        else:
            self.drop(peer)

    def set_powered(self, powered: bool) -> None:
        """Power the adapter off (links drop, discovery stops) or on."""
        if not powered:
            for peer in self.peers.values():
                self.drop(peer)
            self.set_discovering(False)
        self.adapter.set(Powered=powered)

    def stats(self, address: str) -> dict[str, int | bool]:
        """connects, adverts (counts); connected, notifying (flags)."""
        peer = self.peer(address)
        return {
            "connects": peer.connects,
            "connected": peer.connected,
            "notifying": bool(peer.hrm is not None and peer.hrm.props["Notifying"]),
            "adverts": peer.adverts,
        }

    def reset(self) -> None:
        """Back to the start: adapter powered and idle, no devices (between tests)."""
        self.set_discovering(False)
        for peer in list(self.peers.values()):
            self.remove_device(peer)
        self.peers.clear()
        if not self.adapter.props["Powered"]:
            self.adapter.set(Powered=True)
        self.adapter.discovery_filter = None

    # -- BlueZ's behaviour -----------------------------------------------------------------

    def peer(self, address: str) -> Peer:
        try:
            return self.peers[address.upper()]
        except KeyError:
            raise KeyError(f"no device {address}") from None

    def peer_at(self, path: str) -> Peer:
        for peer in self.peers.values():
            if path == peer.path or path.startswith(peer.path + "/"):
                return peer
        raise DBusError("org.freedesktop.DBus.Error.UnknownObject", f"no device at {path}")

    def set_discovering(self, on: bool) -> None:
        if self.adapter.props["Discovering"] == on:
            return
        self.adapter.set(Discovering=on)
        self._cancel_advertising()
        if on:
            self._advertise_all()

    def _cancel_advertising(self) -> None:
        if self._advertising is not None:
            self._advertising.cancel()
            self._advertising = None

    def _advertise_all(self) -> None:
        for peer in list(self.peers.values()):
            self._advertise(peer)
        if self.adapter.props["Discovering"]:
            loop = asyncio.get_running_loop()
            self._advertising = loop.call_later(self.advert_interval_s, self._advertise_all)

    def _advertise(self, peer: Peer) -> None:
        powered, discovering = self.adapter.props["Powered"], self.adapter.props["Discovering"]
        if not (powered and discovering and peer.in_range and not peer.connected):
            return
        peer.adverts += 1
        if peer.device is None:
            peer.device = Device(self, peer)
            self.bus.export(peer.path, peer.device)
        else:
            peer.device.set(RSSI=peer.rssi + (peer.adverts % 3) - 1)  # a little radio noise

    def connect(self, peer: Peer) -> None:
        if not self.adapter.props["Powered"]:
            raise _not_ready()
        if not peer.in_range:
            raise DBusError("org.bluez.Error.Failed", "Page Timeout")
        if peer.connected:
            return
        peer.connected = True
        peer.connects += 1
        assert peer.device is not None
        peer.device.set(Connected=True)
        asyncio.get_running_loop().call_soon(self._resolve_services, peer)

    def _resolve_services(self, peer: Peer) -> None:
        if not peer.connected or peer.gatt:
            return
        for path, obj in peer.gatt_objects():
            self.bus.export(path, obj)
            peer.gatt.append((path, obj))
            if isinstance(obj, NotifyingCharacteristic):
                peer.hrm = obj
        assert peer.device is not None
        peer.device.set(ServicesResolved=True)

    def drop(self, peer: Peer) -> None:
        """The link goes down (either side, or the adapter): BlueZ's order of signals."""
        if not peer.connected:
            return
        peer.connected = False
        assert peer.device is not None
        peer.device.set(ServicesResolved=False, Connected=False)
        for path, obj in reversed(peer.gatt):
            self.bus.unexport(path, obj)
        peer.gatt = []
        peer.hrm = None
        self._advertise(peer)  # back to advertising, if anyone listens

    def remove_device(self, peer: Peer) -> None:
        self.drop(peer)
        if peer.device is not None:
            self.bus.unexport(peer.path, peer.device)
            peer.device = None


class BlueZPeer:
    """The test's handle on the peer: each call runs on the peer's loop and returns its answer."""

    def __init__(self, loop: PeerLoop, radio: BlueZ) -> None:
        self._loop = loop
        self._radio = radio

    def add_device(self, address: str, name: str, kind: str = "strap", **options: int) -> str:
        return self._loop.call(lambda: self._radio.add_device(address, name, kind, **options))

    def notify(self, address: str, payload: bytes) -> bool:
        return self._loop.call(self._radio.notify, address, payload)

    def drop_link(self, address: str) -> None:
        self._loop.call(self._radio.drop_link, address)

    def set_silent(self, address: str, silent: bool) -> None:
        self._loop.call(self._radio.set_silent, address, silent)

    def set_in_range(self, address: str, in_range: bool) -> None:
        self._loop.call(self._radio.set_in_range, address, in_range)

    def set_powered(self, powered: bool) -> None:
        self._loop.call(self._radio.set_powered, powered)

    def reset(self) -> None:
        self._loop.call(self._radio.reset)

    def stats(self, address: str) -> dict[str, int | bool]:
        """connects, adverts (counts); connected, notifying (flags)."""
        return self._loop.call(self._radio.stats, address)
