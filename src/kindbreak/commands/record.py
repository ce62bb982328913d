"""``kindbreak record``: write the strap's raw notifications to a recording (the fixture
format), to replay or share.

An existing ``--out`` file is refused unless ``--force``; the file is created (or the old one
replaced, atomically) only once the strap is connected, so a strap out of reach destroys
nothing, and it is never written through a symbolic link.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kindbreak.commands.context import Context

if TYPE_CHECKING:
    from kindbreak.clock import Clock
    from kindbreak.devices.recording import RecordingWriter
    from kindbreak.stream import HeartRateSource


def run(
    ctx: Context,
    *,
    device: str | None,
    out: Path,
    duration_s: float | None,
    quiet: bool,
    force: bool = False,
) -> int:
    import asyncio

    from kindbreak.app import make_ble_source
    from kindbreak.errors import OutputFileError

    if (out.exists() or out.is_symlink()) and not force:
        raise OutputFileError(
            out,
            "already exists",
            hint="Choose another name, or add --force to replace it once the strap is connected.",
        )
    if out.is_dir():
        raise OutputFileError(out, "is a directory, not a file")
    source, clock = make_ble_source(ctx.paths, ctx.settings, device)
    recording = _Recording(out, duration_s=duration_s, quiet=quiet, force=force)
    return asyncio.run(recording.run(source, clock, ctx.output.note))


class _Recording:
    """The strap's items into ``out``, from the moment it is connected."""

    def __init__(self, out: Path, *, duration_s: float | None, quiet: bool, force: bool) -> None:
        self.out = out
        self.duration_s = duration_s
        self.quiet = quiet
        self.force = force

    async def run(self, source: HeartRateSource, clock: Clock, say: Callable[[str], None]) -> int:
        from kindbreak.stream import LinkState, Notification, SourceItem, StateEvent

        count = 0
        start_wall = datetime.fromtimestamp(clock.wall(), tz=UTC)
        early: list[SourceItem] = []
        writer: RecordingWriter | None = None
        try:
            async for item in source.stream():
                if writer is None:
                    early.append(item)
                    connected = isinstance(item, Notification) or (
                        isinstance(item, StateEvent) and item.state is LinkState.CONNECTED
                    )
                    if not connected:
                        continue
                    writer = self._writer(source, start_wall)
                    items, early = early, []
                else:
                    items = [item]
                for it in items:
                    writer.write(it)
                    if isinstance(it, Notification):
                        count += 1
                    elif isinstance(it, StateEvent) and not self.quiet:
                        say(f"{it.state.value} {it.detail}")
                if self.duration_s is not None and item.t_s >= self.duration_s:
                    break
        finally:
            if writer is not None:
                writer.close()
            await source.aclose()
        if writer is None:
            say(f"the strap never connected; {self.out} was not written")
            return 1
        say(f"wrote {count} notifications to {self.out}")
        return 0

    def _writer(self, source: HeartRateSource, start_wall: datetime) -> RecordingWriter:
        from kindbreak.devices.recording import RecordingHeader, RecordingWriter
        from kindbreak.stream import DeviceInfo

        header = RecordingHeader(
            device=DeviceInfo(name=source.info.name, address=source.info.address),
            start_wall=start_wall,
            note="recorded with kindbreak record",
        )
        return RecordingWriter(self.out, header, replace=self.force)
