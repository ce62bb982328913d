"""``kindbreak scan``: heart-rate devices nearby (by the Heart Rate service, not by name)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kindbreak.commands.context import Context

if TYPE_CHECKING:
    from kindbreak.config import Settings


def run(ctx: Context, *, timeout_s: float, as_json: bool, details: bool) -> int:
    import asyncio

    rows = asyncio.run(_scan(timeout_s, details, ctx.settings))
    out = ctx.output
    if as_json:
        out.json(rows)
        return 0
    if not rows:
        out.print(
            f"No heart-rate device seen in {timeout_s:g} s. Wake the strap (wet the electrodes, "
            "put it on) and keep it close."
        )
        return 1
    out.print(f"{'name':<28} {'address':<19} {'signal':>8}  extra")
    for r in rows:
        extra = []
        if r.get("battery_pct") is not None:
            extra.append(f"battery {r['battery_pct']} %")
        if r.get("body_location"):
            extra.append(str(r["body_location"]))
        if r["chosen"]:
            extra.append("your strap")
        out.print(
            f"{str(r['name']) or 'unnamed':<28} {r['address']!s:<19} {r['rssi_dbm']!s:>4} dBm  "
            f"{', '.join(extra)}"
        )
    out.print("Choose one with: kindbreak monitor --device ADDRESS (remembered)")
    return 0


async def _scan(timeout_s: float, details: bool, settings: Settings) -> list[dict[str, object]]:
    from kindbreak.devices.scan import fetch_device_details, scan_heart_rate_devices

    found = await scan_heart_rate_devices(timeout_s)
    rows: list[dict[str, object]] = []
    for dev in found:
        row: dict[str, object] = {
            "name": dev.name,
            "address": dev.address,
            "rssi_dbm": dev.rssi_dbm,
        }
        if details:
            _, info = await fetch_device_details(dev.address)
            row["battery_pct"] = info.battery_pct
            row["body_location"] = info.body_location
        row["chosen"] = dev.address.upper() == settings.device.address.upper() or (
            bool(settings.device.name) and dev.name.casefold() == settings.device.name.casefold()
        )
        rows.append(row)
    return rows
