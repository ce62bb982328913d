"""Command line: parses the arguments and hands them, typed, to one module of
:mod:`kindbreak.commands`. Imports nothing heavy at start: ``kindbreak --help`` answers at once.

Errors from :mod:`kindbreak.errors` become one line and a hint on stderr, with exit status 2
for bad input or usage and 1 for runtime failures; ``--debug`` shows the traceback.

A new command: a module in ``commands/`` with ``run(ctx, ...)``, and here one ``_add_...``
function (its arguments and a small handler that calls ``run``), listed in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from kindbreak import __version__
from kindbreak.commands.context import Context
from kindbreak.commands.output import Output
from kindbreak.errors import EXIT_INTERRUPTED, InputFileError, KindbreakError, UsageError

log = logging.getLogger("kindbreak")

Handler = Callable[[argparse.Namespace, Context], int]


class _Parser(argparse.ArgumentParser):
    """Usage errors as every other error: one line naming the problem, one hint, exit 2."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix("kindbreak").strip()
        text = f"{where}: {message}" if where else message
        self.exit(2, f"kindbreak: {text}\n  hint: see `{self.prog} --help`\n")


if TYPE_CHECKING:
    SubParsers: TypeAlias = argparse._SubParsersAction[_Parser]

NOTIFIER_HELP = "auto (desktop if available), desktop, plyer or terminal"
# Kept in step with kindbreak.prompts.library.KINDS (not imported here: --help stays light).
PRACTICE_KINDS = ("touch", "breath", "body", "phrase", "humanity", "journal")


# -- argument types -------------------------------------------------------------------------------


MAX_OPTION_VALUE = 1e9
"""No number option means anything above this (seconds: 31 years; speed; minutes)."""


def _positive(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    if v > MAX_OPTION_VALUE:
        raise argparse.ArgumentTypeError(f"{text!r} is too large (at most {MAX_OPTION_VALUE:g})")
    return v


def _data_dir(text: str) -> Path:
    """``--data-dir``: a folder (it may not exist yet), never empty, never a file."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a folder, e.g. --data-dir ~/kindbreak")
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder")
    return path


MIN_YEAR, MAX_YEAR = 1980, 2099
"""Dates and times given on the command line lie in these years (a log holds no others)."""
MAX_DAYS = 3660
"""A report covers at most ten years."""


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-02"
        ) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"{text!r} is not between {MIN_YEAR} and {MAX_YEAR}")
    return day


def _days(text: str) -> int:
    if len(text.strip()) > 12:
        raise argparse.ArgumentTypeError(f"--days must be at most {MAX_DAYS} (ten years)")
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if n < 1:
        raise argparse.ArgumentTypeError("--days must be at least 1")
    if n > MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days must be at most {MAX_DAYS} (ten years)")
    return n


def _when(text: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; write it as ISO 8601, e.g. 2026-03-02T09:00+01:00"
        ) from None
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"{text!r} is not between {MIN_YEAR} and {MAX_YEAR}")
    return dt  # a time without a zone is in the person's zone (the import command knows it)


def _optional_path(text: str | None) -> Path | None:
    return Path(text) if text else None


# -- the commands: arguments and handlers, in the order --help lists them --------------------------


def _add_demo(sub: SubParsers, common: _Parser) -> None:
    d = sub.add_parser(
        "demo",
        parents=[common],
        help="replay a bundled workday recording end to end (--week: a whole week)",
        description="Replays a recorded workday into a fresh demo log through the live code "
        "path, with real prompts. --week replays five recorded workdays whose prompts a "
        "simulated person answers, then writes the week's HTML report.",
    )
    d.add_argument("--recording", help=argparse.SUPPRESS)
    d.add_argument(
        "--week",
        action="store_true",
        help="five workdays, Monday to Friday, with simulated answers; then the HTML report",
    )
    d.add_argument(
        "--open", action="store_true", help="with --week: open the report in your browser"
    )
    d.add_argument("--notifier", default=None, help=NOTIFIER_HELP)
    d.add_argument("--quiet", action="store_true", help="no progress line")
    d.set_defaults(func=_demo, log_file=True)


def _demo(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import demo

    if args.week:
        if args.recording:
            raise UsageError("--week replays its own five recordings; leave out --recording")
        return demo.run_week(ctx, notifier=args.notifier, quiet=args.quiet, open_report=args.open)
    if args.open:
        raise UsageError("--open opens the week's report; use it with --week")
    recording = _optional_path(args.recording)
    return demo.run(ctx, recording=recording, notifier=args.notifier, quiet=args.quiet)


def _add_monitor(sub: SubParsers, common: _Parser) -> None:
    m = sub.add_parser(
        "monitor", parents=[common], help="watch your heart rate live and offer breaks"
    )
    m.add_argument("--device", help="address or name of your strap (remembered)")
    src = m.add_mutually_exclusive_group()
    src.add_argument("--replay", metavar="FILE", help="replay a recording instead of a live strap")
    src.add_argument("--simulate", action="store_true", help="use a simulated strap")
    m.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        help="replay speed: 1 = real time, 60 = an hour a minute, 0 = as fast as possible",
    )
    m.add_argument("--duration", type=_positive, metavar="S", help="stop cleanly after S seconds")
    m.add_argument(
        "--wait",
        action="store_true",
        help="while the strap is off or out of range, wait for it quietly (looking again "
        "every few seconds, backing off to every 5 minutes) instead of stopping; what "
        "`kindbreak service` runs",
    )
    m.add_argument("--notifier", default=None, help=NOTIFIER_HELP)
    m.add_argument("--quiet", action="store_true", help="no live status line")
    m.set_defaults(func=_monitor, log_file=True)


def _monitor(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import monitor

    return monitor.run(
        ctx,
        replay=_optional_path(args.replay),
        simulate=args.simulate,
        speed=args.speed,
        device=args.device,
        duration_s=args.duration,
        notifier=args.notifier,
        quiet=args.quiet,
        wait=args.wait,
    )


def _add_analyze(sub: SubParsers, common: _Parser) -> None:
    a = sub.add_parser(
        "analyze",
        parents=[common],
        help="analyse a recording or RR file offline",
        description="Accepts a kindbreak recording (.jsonl), RR text (one interval in ms per "
        "line) or a CSV with an rr_ms/ibi_ms/rr/ibi column.",
    )
    a.add_argument("file")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument(
        "--correction",
        choices=("none", "auto"),
        default="none",
        help="artifact correction for the whole-recording summary: none (as recorded, like "
        "Kubios' default) or auto (Lipponen & Tarvainen); windows are always corrected",
    )
    a.set_defaults(func=_analyze)


def _analyze(args: argparse.Namespace, ctx: Context) -> int:
    path = Path(args.file)
    if not path.exists():  # before the heavy imports and the settings: a typo answers at once
        raise InputFileError(path, "no such file")
    from kindbreak.commands import analyze

    return analyze.run(ctx, path, as_json=args.json, correction=args.correction)


def _add_scan(sub: SubParsers, common: _Parser) -> None:
    sc = sub.add_parser("scan", parents=[common], help="find heart-rate straps nearby")
    sc.add_argument(
        "--timeout", type=_positive, default=8.0, metavar="S", help="scan for S seconds"
    )
    sc.add_argument("--details", action="store_true", help="connect to read battery and position")
    sc.add_argument("--json", action="store_true", help="print JSON")
    sc.set_defaults(func=_scan)


def _scan(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import scan

    return scan.run(ctx, timeout_s=args.timeout, as_json=args.json, details=args.details)


def _add_record(sub: SubParsers, common: _Parser) -> None:
    r = sub.add_parser("record", parents=[common], help="record a strap's raw data to a file")
    r.add_argument("--device", help="address or name (default: your remembered strap)")
    r.add_argument("--out", required=True, metavar="FILE", help="the recording to write (.jsonl)")
    r.add_argument("--duration", type=_positive, metavar="S", help="stop after S seconds")
    r.add_argument(
        "--force", action="store_true", help="replace FILE if it exists (once connected)"
    )
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=_record, log_file=True)


def _record(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import record

    return record.run(
        ctx,
        device=args.device,
        out=Path(args.out),
        duration_s=args.duration,
        quiet=args.quiet,
        force=args.force,
    )


def _add_baseline(sub: SubParsers, common: _Parser) -> None:
    b = sub.add_parser("baseline", parents=[common], help="show your calm baseline")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=_baseline)


def _baseline(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import baseline

    return baseline.run(ctx, as_json=args.json)


def _add_log(sub: SubParsers, common: _Parser) -> None:
    lg = sub.add_parser(
        "log",
        parents=[common],
        help="log a practice: done or skipped",
        description="Answers the last prompt if it came within the last 2 hours and is not "
        "answered yet; otherwise logs a practice you took on your own.",
    )
    lg.add_argument("outcome", choices=("done", "skipped"))
    lg.add_argument("--note", default="", metavar="TEXT", help="a few words for your log")
    lg.add_argument("--kind", choices=PRACTICE_KINDS, help="what you did (default: the prompt's)")
    lg.set_defaults(func=_log)


def _log(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import log as log_command

    return log_command.run(ctx, outcome=args.outcome, note=args.note, kind=args.kind)


def _add_pause(sub: SubParsers, common: _Parser) -> None:
    pa = sub.add_parser("pause", parents=[common], help="pause prompts (e.g. 30m, 2h, 1h30m)")
    pa.add_argument(
        "duration", nargs="?", metavar="DURATION", help="30m, 2h, 1h30m; none: until resume"
    )
    pa.set_defaults(func=_pause)


def _pause(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import pause

    return pause.run(ctx, duration=args.duration)


def _add_resume(sub: SubParsers, common: _Parser) -> None:
    re_ = sub.add_parser("resume", parents=[common], help="end a pause")
    re_.set_defaults(func=_resume)


def _resume(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import resume

    return resume.run(ctx)


def _add_breathe(sub: SubParsers, common: _Parser) -> None:
    br = sub.add_parser("breathe", parents=[common], help="a paced breathing guide (logged)")
    br.add_argument("--minutes", type=_positive, default=3.0, metavar="N", help="default 3")
    br.add_argument(
        "--rate", type=_positive, default=6.0, metavar="BPM", help="breaths a minute, default 6"
    )
    br.add_argument(
        "--with-strap", action="store_true", help="show your remembered strap's heart rate"
    )
    br.set_defaults(func=_breathe)


def _breathe(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import breathe

    return breathe.run(ctx, minutes=args.minutes, rate_bpm=args.rate, with_strap=args.with_strap)


def _add_report(sub: SubParsers, common: _Parser) -> None:
    r = sub.add_parser(
        "report",
        parents=[common],
        help="review stress against the breaks you took",
        description="A summary per day of stress, prompts and breaks, and whether breaks "
        "helped. Without --since: the last N days of your log (default 7).",
    )
    r.add_argument("--since", type=_date, metavar="DATE", help="first day (YYYY-MM-DD)")
    r.add_argument("--days", type=_days, metavar="N", help="number of days (default 7)")
    r.add_argument(
        "--html", metavar="FILE", help="write one self-contained HTML page with plots instead"
    )
    r.set_defaults(func=_report)


def _report(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import report

    return report.run(ctx, since=args.since, days=args.days, html=_optional_path(args.html))


def _add_export(sub: SubParsers, common: _Parser) -> None:
    e = sub.add_parser(
        "export",
        parents=[common],
        help="export windows as CSV, or beat intervals as RR text (Kubios)",
    )
    e.add_argument(
        "--format",
        choices=("csv", "rr"),
        default="csv",
        help="csv: windows with markers; rr: one interval in ms per line (default csv)",
    )
    e.add_argument("--out", metavar="FILE", help="write here (0600) instead of to stdout")
    e.add_argument(
        "--session",
        type=int,
        metavar="ID",
        help="only this session (rr: default the latest session with beats)",
    )
    e.set_defaults(func=_export)


def _export(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import export

    return export.run(
        ctx, format=args.format, out=_optional_path(args.out), session_id=args.session
    )


def _add_import(sub: SubParsers, common: _Parser) -> None:
    i = sub.add_parser(
        "import",
        parents=[common],
        help="bring past recordings into the log (FIT, RR text/CSV, kindbreak .jsonl)",
        description="Run past recordings through the same pipeline as monitor and store them. "
        "Reads Garmin FIT files with HRV, RR text and CSV exports (Elite HRV, Polar, Kubios) "
        "and kindbreak recordings. A folder brings in every such file in it and its "
        "subfolders, under one progress bar; a file that cannot be read is named on one line "
        "and the others are imported. Importing a file twice adds nothing.",
    )
    i.add_argument("files", nargs="+", metavar="PATH", help="files, or folders of them")
    i.add_argument(
        "--start",
        type=_when,
        metavar="TIME",
        help="when the recording started (ISO 8601), for files that do not say",
    )
    i.set_defaults(func=_import)


def _import(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import import_

    return import_.run(ctx, files=[Path(name) for name in args.files], start=args.start)


def _add_status(sub: SubParsers, common: _Parser) -> None:
    st = sub.add_parser(
        "status",
        parents=[common],
        help="how you are now: the running monitor, heart rate, stress, today's prompts",
        description="Asks the monitor running on this log (started in another terminal or by "
        "`kindbreak service`): the strap, link and battery, the last heart rate, RMSSD, "
        "stress score and band with their age, today's prompts and breaks, and when the next "
        "prompt may come. Exits 0 while a monitor runs, 3 when none does.",
    )
    st.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")
    st.set_defaults(func=_status)


def _status(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import status

    return status.run(ctx, as_json=args.json)


def _add_service(sub: SubParsers, common: _Parser) -> None:
    sv = sub.add_parser(
        "service",
        parents=[common],
        help="run the monitor in the background from login (install, uninstall, status)",
        description="A systemd user service (Linux) or launchd agent (macOS) that runs "
        "`kindbreak monitor --wait --quiet` on your remembered strap from login, all day: it "
        "waits quietly while the strap is off or away, restarts after a failure, and logs to "
        "the system log and kindbreak's log file. `status` exits 0 when it runs, 3 when not.",
    )
    sv.add_argument("action", choices=("install", "uninstall", "status"))
    sv.set_defaults(func=_service)


def _service(args: argparse.Namespace, ctx: Context) -> int:
    from kindbreak.commands import service

    config_dir = args.config_dir or _optional_path(os.environ.get("KINDBREAK_CONFIG_DIR"))
    return service.run(ctx, action=args.action, data_dir=args.data_dir, config_dir=config_dir)


COMMANDS = (
    _add_demo,
    _add_monitor,
    _add_status,
    _add_service,
    _add_analyze,
    _add_scan,
    _add_record,
    _add_baseline,
    _add_log,
    _add_pause,
    _add_resume,
    _add_breathe,
    _add_report,
    _add_export,
    _add_import,
)


# -- the parser and main ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--data-dir", type=_data_dir, help="where the log lives (default: your user data dir)"
    )
    common.add_argument("--config-dir", type=Path, help=argparse.SUPPRESS)
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")

    p = _Parser(
        prog="kindbreak",
        description="Notice stress rising in your heartbeat and take a kind break.",
    )
    p.add_argument("--version", action="version", version=f"kindbreak {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub, common)
    return p


def _first_kindbreak_error(group: BaseExceptionGroup[BaseException]) -> KindbreakError | None:
    for exc in group.exceptions:
        if isinstance(exc, KindbreakError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first_kindbreak_error(exc)
            if found is not None:
                return found
    return None


def _context(args: argparse.Namespace, output: Output) -> Context:
    from kindbreak.paths import default_paths

    ctx = Context(default_paths(args.data_dir, args.config_dir), output)
    if getattr(args, "log_file", False):
        ctx.keep_log_file(args.debug)
    return ctx


def main(argv: Sequence[str] | None = None, output: Output | None = None) -> int:
    os.umask(0o077)  # health data: everything we create is the user's alone
    output = output if output is not None else Output()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "func", None)
    if handler is None:
        parser.print_help()
        return 2
    args.debug = getattr(args, "debug", False)
    try:
        try:
            return int(handler(args, _context(args, output)))
        except BaseExceptionGroup as group:
            # A task of a session's TaskGroup failed: report the error it raised, not the group.
            raise _first_kindbreak_error(group) or group from group
    except KindbreakError as exc:
        if args.debug:
            import traceback

            traceback.print_exc()
        if log.handlers:  # the commands that keep a log file record their errors there too
            log.error("%s", exc)
        output.error(exc)
        return exc.exit_status
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error.
        output.err.close()
        return 0
    except KeyboardInterrupt:
        output.say("\nkindbreak: stopped")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
