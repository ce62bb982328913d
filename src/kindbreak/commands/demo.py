"""``kindbreak demo``: replay the bundled workday into a fresh demo log, with real prompts;
``kindbreak demo --week``: five recorded workdays whose prompts a simulated person answers,
then the HTML report of that week (:mod:`kindbreak.demo.week`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kindbreak.commands.context import Context
from kindbreak.errors import EXIT_INTERRUPTED, UsageError

if TYPE_CHECKING:
    from kindbreak.config import Settings
    from kindbreak.demo.week import DayRun
    from kindbreak.paths import Paths
    from kindbreak.report.model import Report

DEMO_RECORDING = "workday.jsonl"
DEMO_SEED = 7


def bundled_recording(name: str) -> Path:
    """A recording shipped inside the package (``kindbreak/data``), installed or in a checkout."""
    from importlib.resources import files

    candidate = files("kindbreak") / "data" / name
    if candidate.is_file():
        return Path(str(candidate))  # a plain file: kindbreak is never imported from a zip
    raise UsageError(
        f"the bundled recording {name} is missing from this installation",
        hint="Reinstall kindbreak, or pass a recording: kindbreak monitor --replay FILE --speed 0",
    )


def run(ctx: Context, *, recording: Path | None, notifier: str | None, quiet: bool) -> int:
    """Replay the bundled workday as fast as the machine allows into a fresh demo log."""
    import asyncio
    import math
    import time

    from kindbreak import app
    from kindbreak.clock import local_zone
    from kindbreak.devices.recording import recording_duration_s
    from kindbreak.live.summary import session_summary
    from kindbreak.paths import Paths, ensure_private_dir

    recording = recording if recording is not None else bundled_recording(DEMO_RECORDING)
    settings = ctx.settings
    demo_dir = ctx.paths.data_dir / "demo"
    _refuse_while_a_demo_runs(demo_dir)
    _clear(demo_dir)
    ensure_private_dir(demo_dir)
    paths = Paths(data_dir=demo_dir, config_dir=ctx.paths.config_dir, state_dir=ctx.paths.state_dir)
    source, clock = app.make_replay(recording, math.inf)
    out = ctx.output
    out.say(f"kindbreak demo: replaying {recording.name} ({source.info.name}) into {demo_dir}")
    t0 = time.perf_counter()
    report = asyncio.run(
        app.run_session(
            paths=paths,
            settings=settings,
            source=source,
            clock=clock,
            source_kind="demo",
            notifier_kind=notifier or settings.prompts.notifier,
            quiet=quiet,
            duration_s=None,
            total_s=recording_duration_s(recording),
            stream=out.err,
            seed=DEMO_SEED,
        )
    )
    out.say_block(session_summary(report, local_zone(settings.prompts.timezone)))
    out.say(f"demo finished in {time.perf_counter() - t0:.1f} s of wall time; log: {paths.db}")
    out.say(
        f"Look back at it: kindbreak report --data-dir {demo_dir} "
        "(add --html report.html for the full page)"
    )
    out.say(f"The recording itself: kindbreak analyze {recording}")
    return EXIT_INTERRUPTED if report.stopped_by == "SIGINT" else 0


def _refuse_while_a_demo_runs(demo_dir: Path) -> None:
    """Clearing the folder would pull the log from under a demo that runs there (and its lock:
    the session itself takes the lock, once the folder is fresh)."""
    from kindbreak.errors import MonitorRunning
    from kindbreak.store.db import DB_NAME
    from kindbreak.store.lock import monitor_holder

    if demo_dir.is_dir() and not demo_dir.is_symlink():
        holder = monitor_holder(demo_dir / DB_NAME)
        if holder is not None:
            raise MonitorRunning(demo_dir / DB_NAME, holder.pid, holder.since_wall)


def _clear(demo_dir: Path) -> None:
    """Remove the previous demo's folder (a link there is removed, never followed)."""
    import shutil

    from kindbreak.safefile import data_error, os_problem

    try:
        if demo_dir.is_symlink() or demo_dir.is_file():
            demo_dir.unlink()
        elif demo_dir.exists():
            shutil.rmtree(demo_dir)
    except OSError as exc:
        raise data_error(demo_dir, f"cannot be cleared: {os_problem(exc)}", exc) from exc


WEEK_DIR = "demo-week"


def week_recordings() -> list[Path]:
    from kindbreak.demo.week import WEEK_DAYS

    return [bundled_recording(f"week-{day}.jsonl") for day in WEEK_DAYS]


async def replay_week(
    *,
    paths: Paths,
    settings: Settings,
    recordings: Sequence[Path],
    notifier_kind: str,
    quiet: bool,
    stream: TextIO,
    zone: tzinfo,
    seed: int | None = None,
) -> list[DayRun]:
    """Replay each day in turn into the log at ``paths``, a simulated person answering
    (:mod:`kindbreak.demo.week`); returns what each day was."""
    import math

    from kindbreak import app
    from kindbreak.demo.person import SimulatedPerson
    from kindbreak.demo.week import SOURCE_KIND, WEEK_SEED, DayRun, local_start
    from kindbreak.devices.recording import recording_duration_s

    seed = WEEK_SEED if seed is None else seed
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
            total_s=recording_duration_s(recording),
            stream=stream,
            seed=seed + k,
            person=person,
        )
        name = recording.stem.removeprefix("week-")
        days.append(DayRun(name, recording, start, report, tuple(person.answers[before:])))
        if report.stopped_by is not None:  # Ctrl-C: the days after this one are not replayed
            break
    return days


def run_week(ctx: Context, *, notifier: str | None, quiet: bool, open_report: bool) -> int:
    """Five recorded workdays into a fresh demo log, answered by a simulated person; then the
    week's HTML report (its path printed; opened in the browser with ``open_report``)."""
    import asyncio
    import time

    from kindbreak.clock import local_zone
    from kindbreak.paths import Paths, ensure_private_dir
    from kindbreak.report.effects import describe

    t0 = time.perf_counter()
    settings = ctx.settings
    recordings = week_recordings()
    demo_dir = ctx.paths.data_dir / WEEK_DIR
    _clear(demo_dir)
    ensure_private_dir(demo_dir)
    paths = Paths(data_dir=demo_dir, config_dir=ctx.paths.config_dir, state_dir=ctx.paths.state_dir)
    out = ctx.output
    out.say(f"kindbreak demo --week: five recorded workdays, Monday to Friday, into {demo_dir}")
    out.say(
        "  The heartbeats are real: one person of the Stress-Predict study (S19) all week, "
        "that person's\n  28 recorded minutes played in a different order each day. The "
        "answers to the prompts are\n  simulated: a seeded stand-in presses Did it, Snooze or "
        "Not now as a person might, and the\n  log marks them as simulated."
    )
    zone = local_zone(settings.prompts.timezone)
    days = asyncio.run(
        replay_week(
            paths=paths,
            settings=settings,
            recordings=recordings,
            notifier_kind=notifier or settings.prompts.notifier,
            quiet=quiet,
            stream=out.err,
            zone=zone,
        )
    )
    if days[-1].report.stopped_by is not None:
        out.say(f"demo --week stopped after {len(days)} of {len(recordings)} days; log: {paths.db}")
        return EXIT_INTERRUPTED
    out.say("")
    for day in days:
        out.say(_day_line(day, zone))
        for line in _answer_lines(day, zone):
            out.say(line)
    html = demo_dir / "report.html"
    monday = datetime.fromtimestamp(days[0].start_wall, zone).date()
    report = _write_week_report(paths, html, zone, since=monday, days=len(days))
    n_prompts = sum(len(d.report.prompts) for d in days)
    n_done = sum(1 for d in days for a in d.answers if a.action == "done")
    out.say("")
    out.say(
        f"The week: {n_prompts} prompts; the simulated person took {n_done} breaks and let "
        f"{n_prompts - n_done} pass."
    )
    out.say(f"Did the breaks help? {describe(report.help)[0]}")
    out.say(
        "  The beats were recorded before these prompts, so whatever difference shows is what "
        "the\n  recordings carry, not an effect of the breaks; the report says so too."
    )
    out.say(f"demo --week finished in {time.perf_counter() - t0:.1f} s of wall time")
    out.print(f"The week's report: {html}")
    out.say(f"In the terminal: kindbreak report --data-dir {demo_dir}")
    if open_report:
        import webbrowser

        if not webbrowser.open(html.as_uri()):
            out.note("found no browser to open it with; open the file above yourself")
    return 0


def _day_line(day: DayRun, zone: tzinfo) -> str:
    from kindbreak.durations import format_duration

    start = datetime.fromtimestamp(day.start_wall, zone)
    r = day.report
    n = len(r.prompts)
    held = f", {len(r.held)} held back by the cooldown" if r.held else ""
    return (
        f"{start:%a %d %b %H:%M}  {format_duration(r.duration_s)} of beats, "
        f"{r.episodes} stress episodes, {n} prompt{'s' if n != 1 else ''}{held}"
    )


def _answer_lines(day: DayRun, zone: tzinfo) -> list[str]:
    answers = list(day.answers)
    lines = []
    for p in day.report.prompts:
        answer = next((a for a in answers if a.prompt.id == p.prompt_id), None)
        if answer is not None:
            answers.remove(answer)
        words = answer.words if answer is not None else "not shown"
        when = datetime.fromtimestamp(p.wall, zone)
        lines.append(f"    {when:%H:%M}  {p.title} ({p.kind}): {words}")
    return lines


def _write_week_report(paths: Paths, html: Path, zone: tzinfo, *, since: date, days: int) -> Report:
    from kindbreak.report.html import write_html
    from kindbreak.report.model import build_report
    from kindbreak.store.db import Store

    with Store(paths.db, readonly=True) as store:
        report = build_report(store, zone, since=since, days=days)
    write_html(report, html)
    return report
