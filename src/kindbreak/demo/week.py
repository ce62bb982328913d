"""``kindbreak demo --week``: five recorded workdays replayed into one demo log, on five
consecutive weekdays, with a simulated person answering the prompts.

The days are the bundled recordings ``week-mon.jsonl`` ... ``week-fri.jsonl`` (real beats of
one person of the Stress-Predict study; ``fixtures/README.md``). Each is placed at the local
time of day its header names, in the person's time zone (the ``prompts.timezone`` setting, else
the system's), so quiet hours, the daily cap and the report's days fall as on a real week.
Every day runs through :func:`kindbreak.app.run_session`, the path a strap runs, one after the
other on the same log: the baseline learned on Monday carries over, and so do the cooldown and
what the chooser learned from the answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import TextIO

from kindbreak.config import Settings
from kindbreak.demo.person import Answer, SimulatedPerson
from kindbreak.live.summary import SessionReport
from kindbreak.paths import Paths

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


def week_recordings() -> list[Path]:
    from kindbreak.commands.demo import bundled_recording

    return [bundled_recording(f"week-{day}.jsonl") for day in WEEK_DAYS]


def local_start(recording: Path, zone: tzinfo | None) -> float:
    """The recording's start as the same local time of day on the same date in ``zone``
    (None: the system's zone)."""
    from kindbreak.devices.recording import RecordingReader

    reader = RecordingReader(recording)
    reader.close()
    start = reader.header.start_wall
    if start is None:
        raise ValueError(f"{recording}: the demo week's recordings name their start")
    naive = start.replace(tzinfo=None)
    local = naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()
    return local.timestamp()


async def run_week(
    *,
    paths: Paths,
    settings: Settings,
    recordings: Sequence[Path],
    notifier_kind: str,
    quiet: bool,
    stream: TextIO,
    zone: tzinfo | None,
    seed: int = WEEK_SEED,
) -> list[DayRun]:
    """Replay each day in turn into the log at ``paths``; returns what each day was."""
    from kindbreak import app

    person = SimulatedPerson(seed, zone)
    days: list[DayRun] = []
    for k, recording in enumerate(recordings):
        start = local_start(recording, zone)
        source, clock = app.make_replay(recording, math.inf, wall_start_s=start)
        before = len(person.answers)
        person.keep_last_on_screen = k == len(recordings) - 1
        report = await app.run_session(
            paths=paths,
            settings=settings,
            source=source,
            clock=clock,
            source_kind=SOURCE_KIND,
            notifier_kind=notifier_kind,
            quiet=quiet,
            duration_s=None,
            total_s=app.recording_duration_s(recording),
            stream=stream,
            seed=seed + k,
            person=person,
        )
        name = recording.stem.removeprefix("week-")
        days.append(DayRun(name, recording, start, report, tuple(person.answers[before:])))
    return days
