"""Command line. Imports nothing heavy at start: ``kindbreak --help`` answers at once.

Errors from :mod:`kindbreak.errors` become one line and a hint on stderr, with exit status 2
for bad input or usage and 1 for runtime failures; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from kindbreak import __version__
from kindbreak.errors import KindbreakError, UsageError

if TYPE_CHECKING:
    from kindbreak.config import Settings
    from kindbreak.paths import Paths

log = logging.getLogger("kindbreak")

Handler = Callable[[argparse.Namespace], int]


def _bundled_fixture(name: str) -> Path:
    """A recording shipped with kindbreak: in the source tree, or installed package data."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "fixtures" / name, here.parent / "data" / name):
        if candidate.exists():
            return candidate
    raise UsageError(
        f"the bundled recording {name} is missing from this installation",
        hint="Reinstall kindbreak, or pass a recording: kindbreak monitor --replay FILE --speed 0",
    )


def _context(args: argparse.Namespace) -> tuple[Paths, Settings]:
    from kindbreak.config import load_settings
    from kindbreak.paths import default_paths

    paths = default_paths(args.data_dir, args.config_dir)
    return paths, load_settings(paths.config_file)


def _setup_logging(paths: Paths, debug: bool) -> None:
    from kindbreak.logfile import LogFileHandler
    from kindbreak.paths import ensure_private_dir

    root = logging.getLogger("kindbreak")
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    try:
        ensure_private_dir(paths.state_dir)
        root.addHandler(LogFileHandler(paths.log_file))
    except KindbreakError as exc:
        # Monitoring goes on without a log file; say so once.
        sys.stderr.write(f"kindbreak: no log file: {exc}\n")
    if debug:
        sh = logging.StreamHandler(sys.stderr)
        sh.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(sh)


# -- commands -----------------------------------------------------------------------------------


def cmd_analyze(args: argparse.Namespace) -> int:
    import json

    from kindbreak.errors import InputFileError

    path = Path(args.file)
    if not path.exists():  # before the heavy imports: a typo answers at once
        raise InputFileError(path, "no such file")

    from kindbreak.offline.analysis import analyze_file
    from kindbreak.report.text import analysis_text

    _, settings = _context(args)
    from kindbreak.app import pipeline_settings

    result = analyze_file(Path(args.file), pipeline_settings(settings), correction=args.correction)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(analysis_text(result))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from kindbreak.app import run_demo

    paths, settings = _context(args)
    _setup_logging(paths, args.debug)
    recording = Path(args.recording) if args.recording else _bundled_fixture("workday.jsonl")
    return run_demo(paths, settings, recording, notifier=args.notifier, quiet=args.quiet)


def cmd_monitor(args: argparse.Namespace) -> int:
    from kindbreak.app import run_monitor

    paths, settings = _context(args)
    _setup_logging(paths, args.debug)
    return run_monitor(
        paths,
        settings,
        replay=Path(args.replay) if args.replay else None,
        simulate=args.simulate,
        speed=args.speed,
        device=args.device,
        duration_s=args.duration,
        notifier=args.notifier,
        quiet=args.quiet,
    )


def cmd_scan(args: argparse.Namespace) -> int:
    from kindbreak.app import run_scan

    _, settings = _context(args)
    return run_scan(args.timeout, args.json, args.details, settings)


def cmd_record(args: argparse.Namespace) -> int:
    from kindbreak.app import run_record

    paths, settings = _context(args)
    _setup_logging(paths, args.debug)
    return run_record(
        paths,
        settings,
        device=args.device,
        out=Path(args.out),
        duration_s=args.duration,
        quiet=args.quiet,
    )


def cmd_baseline(args: argparse.Namespace) -> int:
    from kindbreak.baselines import show_baseline

    paths, _ = _context(args)
    return show_baseline(paths, as_json=args.json)


def cmd_log(args: argparse.Namespace) -> int:
    from kindbreak.app import run_log

    paths, settings = _context(args)
    return run_log(paths, settings, outcome=args.outcome, note=args.note, kind=args.kind)


def cmd_pause(args: argparse.Namespace) -> int:
    from kindbreak.app import run_pause

    paths, settings = _context(args)
    return run_pause(paths, settings, args.duration)


def cmd_resume(args: argparse.Namespace) -> int:
    from kindbreak.app import run_resume

    paths, _ = _context(args)
    return run_resume(paths)


def cmd_breathe(args: argparse.Namespace) -> int:
    from kindbreak.app import run_breathe

    paths, settings = _context(args)
    return run_breathe(
        paths,
        settings,
        minutes=args.minutes,
        rate_bpm=args.rate,
        with_strap=args.with_strap,
    )


# Kept in step with kindbreak.prompts.library.KINDS (not imported here: --help stays light).
_PRACTICE_KINDS = ("touch", "breath", "body", "phrase", "humanity", "journal")


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


# -- parser -------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Usage errors as every other error: one line naming the problem, one hint, exit 2."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix("kindbreak").strip()
        text = f"{where}: {message}" if where else message
        self.exit(2, f"kindbreak: {text}\n  hint: see `{self.prog} --help`\n")


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

    notifier_help = "auto (desktop if available), desktop, plyer or terminal"

    d = sub.add_parser(
        "demo", parents=[common], help="replay a bundled workday recording end to end"
    )
    d.add_argument("--recording", help=argparse.SUPPRESS)
    d.add_argument("--notifier", default=None, help=notifier_help)
    d.add_argument("--quiet", action="store_true", help="no progress line")
    d.set_defaults(func=cmd_demo)

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
    m.add_argument("--notifier", default=None, help=notifier_help)
    m.add_argument("--quiet", action="store_true", help="no live status line")
    m.set_defaults(func=cmd_monitor)

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
    a.set_defaults(func=cmd_analyze)

    sc = sub.add_parser("scan", parents=[common], help="find heart-rate straps nearby")
    sc.add_argument(
        "--timeout", type=_positive, default=8.0, metavar="S", help="scan for S seconds"
    )
    sc.add_argument("--details", action="store_true", help="connect to read battery and position")
    sc.add_argument("--json", action="store_true", help="print JSON")
    sc.set_defaults(func=cmd_scan)

    r = sub.add_parser("record", parents=[common], help="record a strap's raw data to a file")
    r.add_argument("--device", help="address or name (default: your remembered strap)")
    r.add_argument("--out", required=True, metavar="FILE", help="the recording to write (.jsonl)")
    r.add_argument("--duration", type=_positive, metavar="S", help="stop after S seconds")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=cmd_record)

    b = sub.add_parser("baseline", parents=[common], help="show your calm baseline")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_baseline)

    lg = sub.add_parser(
        "log",
        parents=[common],
        help="log a practice: done or skipped",
        description="Answers the last prompt if it came within the last 2 hours and is not "
        "answered yet; otherwise logs a practice you took on your own.",
    )
    lg.add_argument("outcome", choices=("done", "skipped"))
    lg.add_argument("--note", default="", metavar="TEXT", help="a few words for your log")
    lg.add_argument("--kind", choices=_PRACTICE_KINDS, help="what you did (default: the prompt's)")
    lg.set_defaults(func=cmd_log)

    pa = sub.add_parser("pause", parents=[common], help="pause prompts (e.g. 30m, 2h, 1h30m)")
    pa.add_argument(
        "duration", nargs="?", metavar="DURATION", help="30m, 2h, 1h30m; none: until resume"
    )
    pa.set_defaults(func=cmd_pause)

    re_ = sub.add_parser("resume", parents=[common], help="end a pause")
    re_.set_defaults(func=cmd_resume)

    br = sub.add_parser("breathe", parents=[common], help="a paced breathing guide (logged)")
    br.add_argument("--minutes", type=_positive, default=3.0, metavar="N", help="default 3")
    br.add_argument(
        "--rate", type=_positive, default=6.0, metavar="BPM", help="breaths a minute, default 6"
    )
    br.add_argument(
        "--with-strap", action="store_true", help="show your remembered strap's heart rate"
    )
    br.set_defaults(func=cmd_breathe)

    _report_commands(sub, common)
    return p


def _report_commands(
    sub: argparse._SubParsersAction[_Parser], common: argparse.ArgumentParser
) -> None:
    from kindbreak.report.commands import add_commands

    add_commands(sub, common)


def _first_kindbreak_error(group: BaseExceptionGroup[BaseException]) -> KindbreakError | None:
    for exc in group.exceptions:
        if isinstance(exc, KindbreakError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first_kindbreak_error(exc)
            if found is not None:
                return found
    return None


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # health data: everything we create is the user's alone
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    args.debug = getattr(args, "debug", False)
    try:
        try:
            return int(args.func(args))
        except BaseExceptionGroup as group:
            # A task of a session's TaskGroup failed: report the error it raised, not the group.
            raise _first_kindbreak_error(group) or group from group
    except KindbreakError as exc:
        if args.debug:
            import traceback

            traceback.print_exc()
        if log.handlers:  # the commands that keep a log file record their errors there too
            log.error("%s", exc)
        sys.stderr.write(f"kindbreak: {exc}\n")
        if exc.hint:
            sys.stderr.write(f"  hint: {exc.hint}\n")
        return exc.exit_status
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("\nkindbreak: stopped\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
