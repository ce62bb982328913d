"""Run a kindbreak command against a simulated strap over the real Bluetooth code path.

Starts a private D-Bus system bus with the BlueZ-shaped peer the BLE tests use
(``tests/ble/bluez_strap.py``), adds a strap, and while COMMAND runs streams the notifications
of a recording to it in real time (one per recorded arrival). Real bleak in kindbreak scans,
connects, subscribes and receives them, exactly as from a strap. Needs the ``dbus`` extra
(python-dbusmock) and dbus-daemon.

    python tools/mock_strap.py [--name NAME] [--recording FILE] -- kindbreak monitor \\
        --device "Polar H10 7E3A1B2C" --duration 20 --data-dir /tmp/kb
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "tests" / "ble" / "bluez_strap.py"
MOCK_IFACE = "org.kindbreak.BlueZMock"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--name", default="Polar H10 7E3A1B2C")
    ap.add_argument("--address", default="A0:9E:1A:7E:3A:1B")
    demo = ROOT / "src" / "kindbreak" / "data" / "workday.jsonl"
    ap.add_argument("--recording", type=Path, default=demo)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("give a command after --")

    import dbus
    from dbusmock.testcase import BusType, PrivateDBus, SpawnedMock

    sys.path.insert(0, str(ROOT / "src"))
    from kindbreak.devices.recording import RecordingReader
    from kindbreak.stream import Notification

    bus = PrivateDBus(BusType.SYSTEM)
    bus.start()
    mock = SpawnedMock.spawn_with_template(str(TEMPLATE), {}, BusType.SYSTEM)
    try:
        opts = dbus.Dictionary(
            {"battery": dbus.Int32(76), "body_location": dbus.Int32(1)}, signature="sv"
        )
        mock.obj.AddDevice(args.address, args.name, "strap", opts, dbus_interface=MOCK_IFACE)
        proc = subprocess.Popen(command, env=dict(os.environ))
        sent = [0]

        def stream() -> None:
            t0 = time.monotonic()
            for item in RecordingReader(args.recording):
                if proc.poll() is not None:
                    return
                if not isinstance(item, Notification):
                    continue
                delay = t0 + item.t_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if proc.poll() is not None:
                    return
                ok = mock.obj.Notify(
                    args.address, dbus.ByteArray(item.payload), dbus_interface=MOCK_IFACE
                )
                sent[0] += bool(ok)

        pump = threading.Thread(target=stream, daemon=True)
        pump.start()
        rc = proc.wait()
        pump.join()
        print(f"mock strap: delivered {sent[0]} notifications", file=sys.stderr)
        return rc
    finally:
        mock.terminate()
        bus.stop()


if __name__ == "__main__":
    raise SystemExit(main())
