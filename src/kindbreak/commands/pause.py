"""``kindbreak pause [DURATION]``: write the pause file a running monitor reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kindbreak.commands.context import Context

if TYPE_CHECKING:
    from kindbreak.clock import Clock


def run(ctx: Context, *, duration: str | None, clock: Clock | None = None) -> int:
    from kindbreak.clock import SystemClock, local_zone
    from kindbreak.paths import ensure_private_dir
    from kindbreak.practice import PauseState, parse_duration, pause_message, write_pause

    seconds = parse_duration(duration) if duration is not None else None
    clock = clock if clock is not None else SystemClock()
    now = clock.wall()
    state = PauseState(since_wall=now, until_wall=None if seconds is None else now + seconds)
    ensure_private_dir(ctx.paths.data_dir)
    write_pause(ctx.paths.data_dir, state)
    ctx.output.print(pause_message(state, local_zone(ctx.settings.prompts.timezone)))
    return 0
