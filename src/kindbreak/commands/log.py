"""``kindbreak log done|skipped``: answer the last prompt when it was sent within
:data:`LOG_LINK_WINDOW_S` and is still unanswered, else log a practice taken without a prompt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kindbreak.commands.context import Context
from kindbreak.errors import UsageError
from kindbreak.store.db import ANSWERED, Store

if TYPE_CHECKING:
    from kindbreak.clock import Clock

LOG_LINK_WINDOW_S = 2 * 3600.0
"""``kindbreak log`` answers the last prompt only if it was sent this recently."""


def run(
    ctx: Context, *, outcome: str, note: str, kind: str | None, clock: Clock | None = None
) -> int:
    from kindbreak.clock import SystemClock
    from kindbreak.paths import ensure_private_dir

    clock = clock if clock is not None else SystemClock()
    ensure_private_dir(ctx.paths.data_dir)
    with Store(ctx.paths.db) as store:
        logged = log_practice(store, outcome=outcome, now_wall=clock.wall(), note=note, kind=kind)
    ctx.output.print(logged.confirmation())
    return 0


@dataclass(frozen=True, slots=True)
class LoggedPractice:
    row_id: int
    outcome: str
    kind: str | None
    prompt_row_id: int | None
    prompt_title: str
    score: float | None

    def confirmation(self) -> str:
        what = f" ({self.kind})" if self.kind else ""
        linked = f' for "{self.prompt_title}"' if self.prompt_row_id is not None else ""
        if self.outcome == "done":
            return (
                f"Logged: you took a kind break{what}{linked}. "
                "Thank you for looking after yourself."
            )
        return f"Logged: skipped{what}{linked}. That is fine; there will be other moments."


def log_practice(
    store: Store,
    *,
    outcome: str,
    now_wall: float,
    note: str = "",
    kind: str | None = None,
    duration_s: float | None = None,
) -> LoggedPractice:
    """``kindbreak log``: answer the last prompt if recent and unanswered, else a free practice."""
    if outcome not in ANSWERED:
        raise UsageError(f"{outcome!r} is not done or skipped", hint="kindbreak log done|skipped")
    last = store.last_prompt()
    row_id: int | None = None
    title = ""
    if last is not None:
        age_s = now_wall - last.wall
        if 0 <= age_s <= LOG_LINK_WINDOW_S and not store.is_answered(last.id):
            row_id = last.id
            title = last.title
            kind = kind or last.kind
    score = store.score_at(now_wall)
    practice_id = store.add_practice(
        wall=now_wall,
        outcome=outcome,
        prompt_row_id=row_id,
        kind=kind,
        note=note,
        score=score,
        duration_s=duration_s,
    )
    return LoggedPractice(practice_id, outcome, kind, row_id, title, score)
