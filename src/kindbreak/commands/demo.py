"""``kindbreak demo``: replay the bundled workday into a fresh demo log, with real prompts."""

from __future__ import annotations

from pathlib import Path

from kindbreak.commands.context import Context
from kindbreak.errors import UsageError

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
    return 0


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
