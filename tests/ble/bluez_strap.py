"""A BlueZ-shaped peer for bleak: a python-dbusmock template with one adapter and HR straps.

It plays bluetoothd on a private system bus closely enough that bleak's real, unpatched BlueZ
backend scans, connects, resolves GATT services, reads and subscribes as it does on a laptop:

- ``/org/bluez/hci0`` (org.bluez.Adapter1): Powered, Discovering, Roles; StartDiscovery,
  StopDiscovery, SetDiscoveryFilter, RemoveDevice. While discovering, every device in range and
  not connected advertises: the first time with InterfacesAdded of its Device1 object (BlueZ
  exports a newly seen device), later with an RSSI PropertiesChanged, at once when discovery
  starts and then every ``advert_interval_ms`` (template parameter, default 25).
- Devices (org.bluez.Device1, ``dev_AA_BB_...``): Connect sets Connected, then (on the next
  main-loop turn) exports the GATT objects with InterfacesAdded and sets ServicesResolved.
  Disconnect, a peer drop or the adapter powering off clear ServicesResolved and Connected
  and remove the GATT objects (InterfacesRemoved), as BlueZ does for an unbonded device.
- GATT (object paths end in 4 hex digits: bleak reads handles from them): Heart Rate service
  0x180D with 0x2A37 (notify; StartNotify sets Notifying; values go out as PropertiesChanged of
  Value) and 0x2A38 Body Sensor Location (read); Battery service 0x180F with 0x2A19 (read).

Device kinds: ``strap`` (both services), ``hr-only`` (0x180D with 0x2A37 alone, like a watch
broadcasting HR), ``other`` (no Heart Rate service: a fitness band with battery only).

Tests drive it through ``org.kindbreak.BlueZMock`` on ``/``: AddDevice, Notify, DropLink,
SetSilent, SetInRange, SetPowered, Stats, ResetPeers. This file runs inside the dbusmock process.
"""

import ctypes

import dbus
import dbus.exceptions
from dbusmock import OBJECT_MANAGER_IFACE, mockobject

BUS_NAME = "org.bluez"
MAIN_OBJ = "/"
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

MOCK_IFACE = "org.kindbreak.BlueZMock"
ADAPTER_IFACE = "org.bluez.Adapter1"
DEVICE_IFACE = "org.bluez.Device1"
SERVICE_IFACE = "org.bluez.GattService1"
CHAR_IFACE = "org.bluez.GattCharacteristic1"
DESC_IFACE = "org.bluez.GattDescriptor1"
ADAPTER_PATH = "/org/bluez/hci0"


def uuid16(short):
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


HR_SERVICE = uuid16(0x180D)
HR_MEASUREMENT = uuid16(0x2A37)
BODY_LOCATION = uuid16(0x2A38)
BATTERY_SERVICE = uuid16(0x180F)
BATTERY_LEVEL = uuid16(0x2A19)
CCCD = uuid16(0x2902)
OTHER_SERVICE = uuid16(0xFEE0)

# --- GLib timers through ctypes (the dbusmock process runs a bare GLib main loop, no gi) ----

_glib = ctypes.cdll.LoadLibrary("libglib-2.0.so.0")
_SOURCE_FUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_glib.g_timeout_add.restype = ctypes.c_uint
_glib.g_timeout_add.argtypes = [ctypes.c_uint, _SOURCE_FUNC, ctypes.c_void_p]
_glib.g_source_remove.argtypes = [ctypes.c_uint]
_callbacks = {}  # source id -> ctypes callback (kept alive while GLib may call it)


def _timeout(ms, fn, repeat):
    def run(_data):
        try:
            again = bool(fn()) and repeat
        except Exception as exc:  # report, never unwind into C
            print(f"bluez_strap timer failed: {exc!r}", flush=True)
            again = False
        if not again:
            _callbacks.pop(source[0], None)
        return 1 if again else 0

    cb = _SOURCE_FUNC(run)
    source = [_glib.g_timeout_add(ms, cb, None)]
    _callbacks[source[0]] = cb
    return source[0]


def _cancel_timer(source_id):
    if source_id and _callbacks.pop(source_id, None) is not None:
        _glib.g_source_remove(source_id)


# --- state ---------------------------------------------------------------------------------


class Peer:
    """One remote device as the 'radio' sees it."""

    def __init__(self, address, name, kind, options):
        self.address = address
        self.name = name
        self.kind = kind
        self.path = f"{ADAPTER_PATH}/dev_{address.replace(':', '_')}"
        self.rssi = int(options.get("rssi", -60))
        self.battery = int(options.get("battery", 80))
        self.body_location = int(options.get("body_location", 1))
        self.in_range = True
        self.connected = False
        self.silent = False
        self.exported = False
        self.gatt_paths = []
        self.adverts = 0
        self.connects = 0

    @property
    def hrm_path(self):
        return self.path + "/service000c/char000d"

    def uuids(self):
        return {
            "strap": [HR_SERVICE, BATTERY_SERVICE],
            "hr-only": [HR_SERVICE],
            "other": [OTHER_SERVICE, BATTERY_SERVICE],
        }[self.kind]

    def gatt(self):
        """(path, interface, properties) for every GATT object, parents first."""
        dev = dbus.ObjectPath(self.path)
        objs = []

        def service(handle, uuid):
            path = f"{self.path}/service{handle:04x}"
            objs.append(
                (
                    path,
                    SERVICE_IFACE,
                    {
                        "UUID": dbus.String(uuid),
                        "Device": dev,
                        "Primary": dbus.Boolean(True),
                        "Includes": dbus.Array([], signature="o"),
                    },
                )
            )
            return path

        def char(service_path, handle, uuid, flags, value):
            path = f"{service_path}/char{handle:04x}"
            props = {
                "UUID": dbus.String(uuid),
                "Service": dbus.ObjectPath(service_path),
                "Value": dbus.Array(value, signature="y"),
                "Flags": dbus.Array(flags, signature="s"),
                "MTU": dbus.UInt16(23),
            }
            if "notify" in flags:
                props["Notifying"] = dbus.Boolean(False)
            objs.append((path, CHAR_IFACE, props))
            return path

        if self.kind in ("strap", "hr-only"):
            hr = service(0x000C, HR_SERVICE)
            hrm = char(hr, 0x000D, HR_MEASUREMENT, ["notify"], [])
            objs.append(
                (
                    f"{hrm}/desc000f",
                    DESC_IFACE,
                    {
                        "UUID": dbus.String(CCCD),
                        "Characteristic": dbus.ObjectPath(hrm),
                        "Value": dbus.Array([], signature="y"),
                        "Flags": dbus.Array([], signature="s"),
                    },
                )
            )
            if self.kind == "strap":
                char(hr, 0x0010, BODY_LOCATION, ["read"], [self.body_location])
        if self.kind in ("strap", "other"):
            bat = service(0x0012, BATTERY_SERVICE)
            char(bat, 0x0013, BATTERY_LEVEL, ["read"], [self.battery])
        return objs

    def device_props(self):
        manufacturer = {dbus.UInt16(0x006B): dbus.Array([0x33, 0x1E], signature="y")}
        return {
            "Address": dbus.String(self.address),
            "AddressType": dbus.String("random"),
            "Name": dbus.String(self.name),
            "Alias": dbus.String(self.name),
            "Adapter": dbus.ObjectPath(ADAPTER_PATH),
            "Paired": dbus.Boolean(False),
            "Bonded": dbus.Boolean(False),
            "Trusted": dbus.Boolean(False),
            "Blocked": dbus.Boolean(False),
            "LegacyPairing": dbus.Boolean(False),
            "Connected": dbus.Boolean(False),
            "ServicesResolved": dbus.Boolean(False),
            "UUIDs": dbus.Array(self.uuids(), signature="s"),
            "RSSI": dbus.Int16(self.rssi),
            "ManufacturerData": dbus.Dictionary(manufacturer, signature="qv"),
            "ServiceData": dbus.Dictionary({}, signature="sv"),
        }


STATE = {"powered": True, "discovering": False, "timer": 0, "interval_ms": 25, "peers": {}}


def _main():
    return mockobject.objects[MAIN_OBJ]


def _peer(address):
    try:
        return STATE["peers"][address.upper()]
    except KeyError:
        raise dbus.exceptions.DBusException(
            f"no device {address}", name="org.kindbreak.BlueZMock.NoSuchDevice"
        ) from None


def _peer_at(path):
    for peer in STATE["peers"].values():
        if peer.path == path or path.startswith(peer.path + "/"):
            return peer
    raise dbus.exceptions.DBusException(
        f"no device at {path}", name="org.freedesktop.DBus.Error.UnknownObject"
    )


def _changed(obj, iface, changes):
    obj.props[iface].update(changes)
    obj.EmitSignal(dbus.PROPERTIES_IFACE, "PropertiesChanged", "sa{sv}as", [iface, changes, []])


def _add_object(path, iface, props, methods):
    _main().AddObject(path, iface, props, methods)
    _main().EmitSignal(
        OBJECT_MANAGER_IFACE,
        "InterfacesAdded",
        "oa{sa{sv}}",
        [dbus.ObjectPath(path), {iface: props}],
    )


def _remove_object(path, iface):
    _main().RemoveObject(path)
    _main().EmitSignal(
        OBJECT_MANAGER_IFACE, "InterfacesRemoved", "oas", [dbus.ObjectPath(path), [iface]]
    )


# --- advertising ---------------------------------------------------------------------------


def _advertise(peer):
    if not (STATE["powered"] and STATE["discovering"] and peer.in_range and not peer.connected):
        return
    peer.adverts += 1
    if not peer.exported:
        peer.exported = True
        _add_object(
            peer.path,
            DEVICE_IFACE,
            peer.device_props(),
            [
                ("Connect", "", "", device_connect),
                ("Disconnect", "", "", device_disconnect),
            ],
        )
    else:
        rssi = peer.rssi + (peer.adverts % 3) - 1  # a little radio noise
        _changed(mockobject.objects[peer.path], DEVICE_IFACE, {"RSSI": dbus.Int16(rssi)})


def _advertise_all():
    for peer in list(STATE["peers"].values()):
        _advertise(peer)
    return STATE["discovering"]


def _set_discovering(adapter, on):
    if STATE["discovering"] == on:
        return
    STATE["discovering"] = on
    _changed(adapter, ADAPTER_IFACE, {"Discovering": dbus.Boolean(on)})
    _cancel_timer(STATE["timer"])
    STATE["timer"] = 0
    if on:
        _advertise_all()
        STATE["timer"] = _timeout(STATE["interval_ms"], _advertise_all, repeat=True)


def _not_ready():
    return dbus.exceptions.DBusException("Resource Not Ready", name="org.bluez.Error.NotReady")


def adapter_start_discovery(adapter):
    if not STATE["powered"]:
        raise _not_ready()
    _set_discovering(adapter, True)


def adapter_stop_discovery(adapter):
    if not STATE["powered"]:
        raise _not_ready()
    _set_discovering(adapter, False)


def adapter_set_discovery_filter(adapter, discovery_filter):
    adapter.discovery_filter = discovery_filter


def adapter_remove_device(adapter, path):
    peer = _peer_at(path)
    _drop(peer)
    if peer.exported:
        peer.exported = False
        _remove_object(peer.path, DEVICE_IFACE)


# --- connections and GATT ------------------------------------------------------------------


def device_connect(device):
    peer = _peer_at(device.path)
    if not STATE["powered"]:
        raise _not_ready()
    if not peer.in_range:
        raise dbus.exceptions.DBusException("Page Timeout", name="org.bluez.Error.Failed")
    if peer.connected:
        return
    peer.connected = True
    peer.connects += 1
    _changed(device, DEVICE_IFACE, {"Connected": dbus.Boolean(True)})
    _timeout(0, lambda: _resolve_services(peer), repeat=False)


def _resolve_services(peer):
    if not peer.connected or peer.gatt_paths:
        return
    for path, iface, props in peer.gatt():
        methods = []
        if iface == CHAR_IFACE:
            methods = [
                ("ReadValue", "a{sv}", "ay", char_read_value),
                ("WriteValue", "aya{sv}", "", char_write_value),
            ]
            if "Notifying" in props:
                methods += [
                    ("StartNotify", "", "", char_start_notify),
                    ("StopNotify", "", "", char_stop_notify),
                ]
        elif iface == DESC_IFACE:
            methods = [("ReadValue", "a{sv}", "ay", char_read_value)]
        _add_object(path, iface, props, methods)
        peer.gatt_paths.append((path, iface))
    _changed(mockobject.objects[peer.path], DEVICE_IFACE, {"ServicesResolved": dbus.Boolean(True)})


def _drop(peer):
    """The link goes down (either side, or the adapter): BlueZ's order of signals."""
    if not peer.connected:
        return
    peer.connected = False
    _changed(
        mockobject.objects[peer.path],
        DEVICE_IFACE,
        {"ServicesResolved": dbus.Boolean(False), "Connected": dbus.Boolean(False)},
    )
    for path, iface in reversed(peer.gatt_paths):
        _remove_object(path, iface)
    peer.gatt_paths = []
    _advertise(peer)  # back to advertising, if anyone listens


def device_disconnect(device):
    _drop(_peer_at(device.path))


def _require_link(obj):
    if not _peer_at(obj.path).connected:
        raise dbus.exceptions.DBusException("Not connected", name="org.bluez.Error.Failed")


def char_read_value(char, options):
    _require_link(char)
    iface = CHAR_IFACE if CHAR_IFACE in char.props else DESC_IFACE
    return char.props[iface]["Value"]


def char_write_value(char, value, options):
    _require_link(char)
    raise dbus.exceptions.DBusException("Write not permitted", name="org.bluez.Error.NotPermitted")


def char_start_notify(char):
    _require_link(char)
    if not char.props[CHAR_IFACE]["Notifying"]:
        _changed(char, CHAR_IFACE, {"Notifying": dbus.Boolean(True)})


def char_stop_notify(char):
    if char.props[CHAR_IFACE]["Notifying"]:
        _changed(char, CHAR_IFACE, {"Notifying": dbus.Boolean(False)})


# --- the control interface the tests call --------------------------------------------------


@dbus.service.method(MOCK_IFACE, in_signature="sssa{sv}", out_signature="o")
def AddDevice(self, address, name, kind, options):
    """A device comes into range (it is exported when a scan first hears it)."""
    if kind not in ("strap", "hr-only", "other"):
        raise dbus.exceptions.DBusException(
            f"unknown kind {kind}", name="org.kindbreak.BlueZMock.BadKind"
        )
    peer = Peer(str(address).upper(), str(name), str(kind), options)
    STATE["peers"][peer.address] = peer
    _advertise(peer)
    return dbus.ObjectPath(peer.path)


@dbus.service.method(MOCK_IFACE, in_signature="say", out_signature="b")
def Notify(self, address, value):
    """Send one 0x2A37 notification; False when the link or the subscription is not up."""
    peer = _peer(address)
    if not peer.connected or peer.silent or peer.hrm_path not in mockobject.objects:
        return False
    char = mockobject.objects[peer.hrm_path]
    if not char.props[CHAR_IFACE]["Notifying"]:
        return False
    _changed(char, CHAR_IFACE, {"Value": dbus.Array(bytes(value), signature="y")})
    return True


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="")
def DropLink(self, address):
    """The peer goes away (supervision timeout): ServicesResolved and Connected go false."""
    _drop(_peer(address))


@dbus.service.method(MOCK_IFACE, in_signature="sb", out_signature="")
def SetSilent(self, address, silent):
    """Keep the link up but send nothing (a silent drop)."""
    _peer(address).silent = bool(silent)


@dbus.service.method(MOCK_IFACE, in_signature="sb", out_signature="")
def SetInRange(self, address, in_range):
    """Out of range: the link drops, no adverts, Connect fails. Back in range: advertises."""
    peer = _peer(address)
    peer.in_range = bool(in_range)
    if in_range:
        _advertise(peer)
    else:
        _drop(peer)


@dbus.service.method(MOCK_IFACE, in_signature="b", out_signature="")
def SetPowered(self, powered):
    """Power the adapter off (links drop, discovery stops) or on."""
    adapter = mockobject.objects[ADAPTER_PATH]
    if not powered:
        for peer in STATE["peers"].values():
            _drop(peer)
        _set_discovering(adapter, False)
    STATE["powered"] = bool(powered)
    _changed(adapter, ADAPTER_IFACE, {"Powered": dbus.Boolean(powered)})


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="a{sv}")
def Stats(self, address):
    peer = _peer(address)
    notifying = False
    if peer.hrm_path in mockobject.objects:
        notifying = bool(mockobject.objects[peer.hrm_path].props[CHAR_IFACE]["Notifying"])
    return {
        "connects": dbus.Int32(peer.connects),
        "connected": dbus.Boolean(peer.connected),
        "notifying": dbus.Boolean(notifying),
        "adverts": dbus.Int32(peer.adverts),
    }


@dbus.service.method(MOCK_IFACE, in_signature="", out_signature="")
def ResetPeers(self):
    """Back to the state after load: adapter powered and idle, no devices (between tests)."""
    adapter = mockobject.objects[ADAPTER_PATH]
    _set_discovering(adapter, False)
    for peer in STATE["peers"].values():
        _drop(peer)
        if peer.exported:
            _remove_object(peer.path, DEVICE_IFACE)
    STATE["peers"].clear()
    if not STATE["powered"]:
        STATE["powered"] = True
        _changed(adapter, ADAPTER_IFACE, {"Powered": dbus.Boolean(True)})
    adapter.discovery_filter = None


def load(mock, parameters):
    STATE["interval_ms"] = int(parameters.get("advert_interval_ms", 25))
    STATE["powered"] = bool(parameters.get("powered", True))
    mock.AddObject("/org/bluez", "org.bluez.AgentManager1", {}, [])
    props = {
        "Address": dbus.String("00:11:22:33:44:55"),
        "AddressType": dbus.String("public"),
        "Name": dbus.String("kindbreak-test"),
        "Alias": dbus.String("kindbreak-test"),
        "Class": dbus.UInt32(0x10010C),
        "Powered": dbus.Boolean(STATE["powered"]),
        "Discoverable": dbus.Boolean(False),
        "Pairable": dbus.Boolean(True),
        "PairableTimeout": dbus.UInt32(0),
        "DiscoverableTimeout": dbus.UInt32(180),
        "Discovering": dbus.Boolean(False),
        "UUIDs": dbus.Array([uuid16(0x1800), uuid16(0x1801)], signature="s"),
        "Modalias": dbus.String("usb:v1D6Bp0246d0540"),
        "Roles": dbus.Array(["central", "peripheral"], signature="s"),
    }
    _add_object(
        ADAPTER_PATH,
        ADAPTER_IFACE,
        props,
        [
            ("StartDiscovery", "", "", adapter_start_discovery),
            ("StopDiscovery", "", "", adapter_stop_discovery),
            ("SetDiscoveryFilter", "a{sv}", "", adapter_set_discovery_filter),
            ("RemoveDevice", "o", "", adapter_remove_device),
        ],
    )
