"""Run a kindbreak command against a simulated strap over the real Bluetooth code path.

Starts a private D-Bus system bus (dbus-daemon) with the BlueZ-shaped peer the BLE tests use
(``tests/support/bluez_peer.py``, on dbus-fast, which bleak brings), adds a strap, and while
COMMAND runs streams the notifications of a recording to it in real time (one per recorded arrival).
Real bleak in kindbreak scans, connects, subscribes and receives them, exactly as from a
strap. Needs only dbus-daemon beside the installed kindbreak.

    python tools/mock_strap.py [--name NAME] [--recording FILE] -- kindbreak monitor \\
        --device "Polar H10 7E3A1B2C" --duration 20 --data-dir /tmp/kb
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "kindbreak" / "data" / "workday.jsonl"


async def run(command: list[str], name: str, address: str, recording: Path) -> int:
    from kindbreak.devices.recording import RecordingReader
    from kindbreak.stream import Notification
    from support.bluez_peer import BlueZ

    system_bus = os.environ["DBUS_SYSTEM_BUS_ADDRESS"]
    radio = await BlueZ.start(system_bus)
    try:
        radio.add_device(address, name, "strap", battery=76, body_location=1)
        proc = await asyncio.create_subprocess_exec(*command)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        delivered = 0
        reader = RecordingReader(recording)
        try:
            for item in reader:
                if proc.returncode is not None:
                    break
                if not isinstance(item, Notification):
                    continue
                await asyncio.sleep(max(0.0, t0 + item.t_s - loop.time()))
                delivered += radio.notify(address, item.payload)
                if proc.returncode is not None:
                    break
        finally:
            reader.close()
        rc = await proc.wait()
        print(f"mock strap: delivered {delivered} notifications", file=sys.stderr)
        return rc
    finally:
        radio.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--name", default="Polar H10 7E3A1B2C")
    ap.add_argument("--address", default="A0:9E:1A:7E:3A:1B")
    ap.add_argument("--recording", type=Path, default=DEMO)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("give a command after --")

    sys.path.insert(0, str(ROOT / "tests"))  # the peer and the private bus live with the tests
    sys.path.insert(0, str(ROOT / "src"))
    from support.dbus import PrivateBus

    bus = PrivateBus("system")
    os.environ[bus.variable] = bus.address  # for the peer and for the command
    try:
        return asyncio.run(run(command, args.name, args.address, args.recording))
    finally:
        bus.stop()


if __name__ == "__main__":
    raise SystemExit(main())
