"""``kindbreak pause [DURATION]``: write the pause file a running monitor reads."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kindbreak.commands.context import Context
from kindbreak.errors import UsageError

if TYPE_CHECKING:
    from kindbreak.clock import Clock


def run(ctx: Context, *, duration: str | None, clock: Clock | None = None) -> int:
    from kindbreak.clock import SystemClock, local_zone
    from kindbreak.paths import ensure_private_dir
    from kindbreak.prompts.pause import PauseState, pause_message, write_pause

    seconds = parse_duration(duration) if duration is not None else None
    clock = clock if clock is not None else SystemClock()
    now = clock.wall()
    state = PauseState(since_wall=now, until_wall=None if seconds is None else now + seconds)
    ensure_private_dir(ctx.paths.data_dir)
    write_pause(ctx.paths.data_dir, state)
    ctx.output.print(pause_message(state, local_zone(ctx.settings.prompts.timezone)))
    return 0


_DURATION = re.compile(r"(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?")
MAX_PAUSE_S = 7 * 24 * 3600.0


def parse_duration(text: str) -> float:
    """``"30m"``, ``"2h"``, ``"1h30m"``, ``"90s"`` -> seconds. Anything else: UsageError."""
    raw = text.strip().lower().replace(" ", "")
    shown = repr(text) if len(text) <= 24 else repr(text[:20] + "...")
    m = _DURATION.fullmatch(raw)
    if not raw or m is None or not any(m.groups()):
        raise UsageError(
            f"{shown} is not a duration",
            hint="Write it like 30m, 2h or 1h30m (h hours, m minutes, s seconds).",
        )
    hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    total = hours * 3600.0 + minutes * 60.0 + seconds
    if total <= 0:
        raise UsageError(f"{shown} is no time at all", hint="Give a duration like 30m or 2h.")
    if total > MAX_PAUSE_S:
        raise UsageError(
            f"{shown} is longer than 7 days",
            hint="For longer, run `kindbreak pause` with no duration and `kindbreak resume` later.",
        )
    return total


def format_duration(seconds: float) -> str:
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    parts = [f"{h} h"] if h else []
    if m:
        parts.append(f"{m} min")
    if sec and not h:
        parts.append(f"{sec} s")
    return " ".join(parts) or "0 s"
