"""The pause file: how ``kindbreak pause`` in one process reaches a monitor running in another.

``pause.json`` in the data dir (mode 0600, written atomically): the monitor's prompt sink reads
it before each prompt and on every scheduler tick. A missing file means "not paused"; a damaged
one counts as no pause, logged. Nothing here reads the system clock: wall times are passed in.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from kindbreak.durations import format_duration

log = logging.getLogger("kindbreak")

PAUSE_FILE = "pause.json"


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


def pause_message(state: PauseState, zone: tzinfo) -> str:
    if state.until_wall is None:
        return "Prompts paused until you run `kindbreak resume`. Take the time you need."
    until = datetime.fromtimestamp(state.until_wall, zone)
    span = format_duration(state.until_wall - state.since_wall)
    return (
        f"Prompts paused for {span}, until {until.strftime('%H:%M')}. "
        "`kindbreak resume` ends it sooner."
    )
