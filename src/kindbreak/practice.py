"""What the person did with a prompt: button actions, ``kindbreak log``, pause and resume.

- :class:`ActionRecorder` turns a notification button ("Did it", "Snooze", "Not now") into a
  practice row linked to the prompt row it answers, with the stress score at that moment.
  "Snooze" also holds prompts back in the running process (``PromptPolicy.snooze_for``).
- :func:`log_practice` is ``kindbreak log done|skipped``: it answers the last prompt when that
  was sent within :data:`LOG_LINK_WINDOW_S` and is still unanswered, else it logs a practice
  taken without a prompt.
- The pause file (``pause.json`` in the data dir, mode 0600) is how ``kindbreak pause`` in one
  process reaches a monitor running in another: the monitor's prompt sink reads it before each
  prompt and on every scheduler tick. A missing file means "not paused".
- :func:`uptake_weights` gives the chooser its kind weights from the store's history.

Nothing here reads the system clock: wall times are passed in.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from kindbreak.errors import UsageError
from kindbreak.store.db import Store

log = logging.getLogger("kindbreak")

PAUSE_FILE = "pause.json"
LOG_LINK_WINDOW_S = 2 * 3600.0
"""``kindbreak log`` answers the last prompt only if it was sent this recently."""
SCORE_FRESH_S = 15 * 60.0
"""A stored stress score older than this is not "the stress state at that moment"."""

OUTCOME_FOR_ACTION = {"done": "done", "snooze": "snoozed", "dismiss": "skipped"}
ANSWERED = ("done", "skipped")
"""Outcomes that answer a prompt; a snooze does not (the person may still take it)."""


# -- durations --------------------------------------------------------------------------------

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


# -- the pause file ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PauseState:
    since_wall: float
    until_wall: float | None
    """None: until ``kindbreak resume``."""

    def active(self, now_wall: float) -> bool:
        return self.until_wall is None or now_wall < self.until_wall


def pause_path(data_dir: Path) -> Path:
    return data_dir / PAUSE_FILE


def write_pause(data_dir: Path, state: PauseState) -> Path:
    """Write the pause file atomically, readable by the user alone (never through a link)."""
    from kindbreak.safefile import atomic_write_text, data_error, private_dir

    private_dir(data_dir, error=data_error)
    path = pause_path(data_dir)
    text = json.dumps({"since_wall": state.since_wall, "until_wall": state.until_wall})
    atomic_write_text(path, text, error=data_error)
    return path


def read_pause(data_dir: Path) -> PauseState | None:
    """The pause in the file, or None (no file). A damaged file counts as no pause, logged."""
    path = pause_path(data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("cannot read the pause file %s (%s); prompts are not paused", path, exc)
        return None
    try:
        obj = json.loads(text)
        since = float(obj["since_wall"])
        until = obj["until_wall"]
        until_wall = None if until is None else float(until)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("the pause file %s is damaged (%s); prompts are not paused", path, exc)
        return None
    return PauseState(since_wall=since, until_wall=until_wall)


def clear_pause(data_dir: Path) -> bool:
    """Remove the pause file; True if there was one."""
    path = pause_path(data_dir)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        from kindbreak.safefile import data_error, os_problem

        raise data_error(path, f"cannot be removed: {os_problem(exc)}", exc) from exc
    return True


def pause_message(state: PauseState, zone: tzinfo | None) -> str:
    if state.until_wall is None:
        return "Prompts paused until you run `kindbreak resume`. Take the time you need."
    until = datetime.fromtimestamp(state.until_wall).astimezone(zone)
    span = format_duration(state.until_wall - state.since_wall)
    return (
        f"Prompts paused for {span}, until {until.strftime('%H:%M')}. "
        "`kindbreak resume` ends it sooner."
    )


# -- scores and uptake ------------------------------------------------------------------------


def fresh_score(store: Store, now_wall: float, max_age_s: float = SCORE_FRESH_S) -> float | None:
    """The latest stored stress score if it is recent enough to describe "now"."""
    latest = store.latest_score()
    if latest is None:
        return None
    wall, score = latest
    return score if now_wall - wall <= max_age_s else None


def uptake_weights(store: Store) -> dict[str, float]:
    """Chooser kind weights from the store: how often each kind is taken when offered, times
    how much it measurably calms this person against ignored prompts (shrunk toward no effect
    while the evidence is thin; every kind keeps a floor so the others are still tried)."""
    from kindbreak.report.effects import learned_kind_weights

    return learned_kind_weights(store)


def is_answered(store: Store, prompt_row_id: int) -> bool:
    rows = store.query(
        "SELECT 1 FROM practices WHERE prompt_row_id=? AND outcome IN (?, ?) LIMIT 1",
        (prompt_row_id, *ANSWERED),
    )
    return bool(rows)


# -- buttons ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentPrompt:
    row_id: int
    prompt_id: str
    kind: str
    wall: float


class ActionRecorder:
    """Records what a notification button says about the prompt it belongs to.

    ``remember`` each prompt after it was stored; ``on_action(prompt_id, action)`` then finds
    the latest stored row of that prompt. Each prompt gets at most one answer (servers may send
    both an action and a "closed" for the same notification); a snooze is logged too, and a
    later "Did it"/"Not now" on the same prompt still counts.
    """

    def __init__(
        self,
        *,
        store: Store,
        wall: Callable[[], float],
        score: Callable[[], float | None],
        on_snooze: Callable[[], str] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self._wall = wall
        self._score = score
        self._on_snooze = on_snooze
        self._say = say
        self._by_prompt_id: dict[str, SentPrompt] = {}
        self._answered: set[int] = set()
        self._snoozed: set[int] = set()
        self.recorded: list[tuple[int, str]] = []
        """(practice row id, outcome) in order, for the session summary and tests."""

    def remember(self, sent: SentPrompt) -> None:
        self._by_prompt_id[sent.prompt_id] = sent

    def on_action(self, prompt_id: str, action: str) -> int | None:
        """Record the action; returns the practice row id, or None when there was nothing to do."""
        outcome = OUTCOME_FOR_ACTION.get(action)
        sent = self._by_prompt_id.get(prompt_id)
        if outcome is None or sent is None:
            log.debug(
                "notification action %r for %r: not a prompt of this session", action, prompt_id
            )
            return None
        if sent.row_id in self._answered:
            return None
        if outcome == "snoozed" and sent.row_id in self._snoozed:
            return None
        if outcome in ANSWERED:
            self._answered.add(sent.row_id)
        else:
            self._snoozed.add(sent.row_id)
        row = self.store.add_practice(
            wall=self._wall(),
            outcome=outcome,
            prompt_row_id=sent.row_id,
            kind=sent.kind,
            score=self._score(),
        )
        self.recorded.append((row, outcome))
        message = {
            "done": "kindbreak: noted, you took a kind break. Well done.",
            "skipped": "kindbreak: noted, not now. That is fine too.",
        }.get(outcome, "")
        if outcome == "snoozed" and self._on_snooze is not None:
            message = f"kindbreak: snoozed; {self._on_snooze()}."
        if message and self._say is not None:
            self._say(message)
        return row


# -- kindbreak log ----------------------------------------------------------------------------


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
        age_s = now_wall - float(last["wall"])
        if 0 <= age_s <= LOG_LINK_WINDOW_S and not is_answered(store, int(last["id"])):
            row_id = int(last["id"])
            title = str(last["title"])
            kind = kind or str(last["kind"])
    score = fresh_score(store, now_wall)
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


__all__ = [
    "ActionRecorder",
    "LoggedPractice",
    "PauseState",
    "SentPrompt",
    "clear_pause",
    "fresh_score",
    "log_practice",
    "parse_duration",
    "pause_message",
    "read_pause",
    "uptake_weights",
    "write_pause",
]
