"""``kindbreak record``: write the strap's raw notifications to a recording (the fixture
format), to replay or share."""

from __future__ import annotations

from pathlib import Path

from kindbreak.commands.context import Context


def run(
    ctx: Context, *, device: str | None, out: Path, duration_s: float | None, quiet: bool
) -> int:
    import asyncio
    from datetime import UTC, datetime

    from kindbreak.app import make_ble_source
    from kindbreak.devices.recording import RecordingHeader, RecordingWriter
    from kindbreak.stream import DeviceInfo, Notification, StateEvent

    source, clock = make_ble_source(ctx.paths, ctx.settings, device)
    say = ctx.output.note

    async def go() -> int:
        count = 0
        header = RecordingHeader(
            device=DeviceInfo(name=source.info.name, address=source.info.address),
            start_wall=datetime.fromtimestamp(clock.wall(), tz=UTC),
            note="recorded with kindbreak record",
        )
        with RecordingWriter(out, header) as writer:
            try:
                async for item in source.stream():
                    writer.write(item)
                    if isinstance(item, Notification):
                        count += 1
                    elif isinstance(item, StateEvent) and not quiet:
                        say(f"{item.state.value} {item.detail}")
                    if duration_s is not None and item.t_s >= duration_s:
                        break
            finally:
                await source.aclose()
        say(f"wrote {count} notifications to {out}")
        return 0

    return asyncio.run(go())
