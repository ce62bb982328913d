"""The days of ``kindbreak demo --week`` (:func:`kindbreak.commands.demo.run_week`).

The days are the bundled recordings ``week-mon.jsonl`` ... ``week-fri.jsonl`` (real beats of
one person of the Stress-Predict study; ``fixtures/README.md``). Each is placed at the local
time of day its header names, in the person's time zone (the ``prompts.timezone`` setting, else
the system's), so quiet hours, the daily cap and the report's days fall as on a real week.
Every day runs through :func:`kindbreak.app.run_session`, the path a strap runs, one after the
other on the same log: the baseline learned on Monday carries over, and so do the cooldown and
what the chooser learned from the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from kindbreak.demo.person import Answer
from kindbreak.live.summary import SessionReport

WEEK_DAYS = ("mon", "tue", "wed", "thu", "fri")
WEEK_SEED = 13
SOURCE_KIND = "demo"


@dataclass(frozen=True, slots=True)
class DayRun:
    name: str
    recording: Path
    start_wall: float
    report: SessionReport
    answers: tuple[Answer, ...]


def local_start(recording: Path, zone: tzinfo | None) -> float:
    """The recording's start as the same local time of day on the same date in ``zone``
    (None: the system's zone)."""
    from kindbreak.devices.recording import RecordingReader
    from kindbreak.errors import InputFileError

    reader = RecordingReader(recording)
    reader.close()
    start = reader.header.start_wall
    if start is None:
        raise InputFileError(recording, "names no start time; the demo week needs one", line=1)
    naive = start.replace(tzinfo=None)
    local = naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()
    return local.timestamp()
