"""CLI subcommands ``report``, ``export`` and ``import``. Registered by :mod:`kindbreak.cli`.

Nothing heavy at module level: numpy, matplotlib and rich are imported inside the handlers, so
``kindbreak --help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kindbreak.paths import Paths


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-02"
        ) from None


def _days(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if n < 1:
        raise argparse.ArgumentTypeError("--days must be at least 1")
    return n


def _when(text: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; write it as ISO 8601, e.g. 2026-03-02T09:00+01:00"
        ) from None
    return dt if dt.tzinfo is not None else dt.astimezone()


def _paths(args: argparse.Namespace) -> Paths:
    from kindbreak.paths import default_paths

    return default_paths(args.data_dir, args.config_dir)


def _zone(paths: Paths) -> tzinfo:
    from zoneinfo import ZoneInfo

    from kindbreak.config import load_settings

    settings = load_settings(paths.config_file)
    if settings.prompts.timezone:
        return ZoneInfo(settings.prompts.timezone)
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local


def cmd_report(args: argparse.Namespace) -> int:
    from kindbreak.report.model import build_report
    from kindbreak.store.db import Store

    paths = _paths(args)
    tz = _zone(paths)
    if paths.db.exists() or paths.db.is_symlink():
        with Store(paths.db, readonly=True) as store:
            report = build_report(store, tz, since=args.since, days=args.days)
    else:  # no log yet: say so, without creating one
        report = build_report(None, tz, since=args.since, days=args.days)
    if args.html is not None:
        from kindbreak.report.html import write_html

        out = Path(args.html)
        write_html(report, out)
        sys.stderr.write(f"kindbreak: wrote {out} (readable by you alone)\n")
        return 0
    from kindbreak.report.terminal import render

    render(report, sys.stdout)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kindbreak.report.export import pick_session, private_output, write_rr, write_windows_csv
    from kindbreak.store.db import Store

    paths = _paths(args)
    out = Path(args.out) if args.out else None
    if not (paths.db.exists() or paths.db.is_symlink()):
        from kindbreak.errors import UsageError

        raise UsageError(
            f"there is no kindbreak log in {paths.data_dir} yet, so nothing to export",
            hint="Record with `kindbreak monitor` or bring files in with `kindbreak import`; "
            "--data-dir chooses another log.",
        )
    with Store(paths.db, readonly=True) as store:
        if args.format == "csv":
            if args.session is not None:
                pick_session(store, args.session)  # an unknown session is an error
            with private_output(out, sys.stdout) as fh:
                n = write_windows_csv(store, fh, session_id=args.session)
            what = f"{n} windows"
        else:
            sid = pick_session(store, args.session)
            with private_output(out, sys.stdout) as fh:
                n = write_rr(store, fh, sid)
            what = f"{n} beat intervals of session {sid}"
    if out is not None:
        sys.stderr.write(f"kindbreak: wrote {what} to {out}\n")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from kindbreak.app import pipeline_settings
    from kindbreak.config import load_settings
    from kindbreak.offline.importer import describe, import_file
    from kindbreak.store.db import Store

    paths = _paths(args)
    settings = load_settings(paths.config_file)
    start = args.start.timestamp() if args.start is not None else None
    status = 0
    with Store(paths.db) as store:
        for name in args.files:
            result = import_file(store, Path(name), pipeline_settings(settings), start_wall=start)
            sys.stdout.write(describe(result) + "\n")
    return status


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
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
    r.set_defaults(func=cmd_report)

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
    e.set_defaults(func=cmd_export)

    i = sub.add_parser(
        "import",
        parents=[common],
        help="bring past recordings into the log (FIT, RR text/CSV, kindbreak .jsonl)",
        description="Run past recordings through the same pipeline as monitor and store them. "
        "Reads Garmin FIT files with HRV, RR text and CSV exports (Elite HRV, Polar, Kubios) "
        "and kindbreak recordings. Importing a file twice adds nothing.",
    )
    i.add_argument("files", nargs="+", metavar="FILE")
    i.add_argument(
        "--start",
        type=_when,
        metavar="TIME",
        help="when the recording started (ISO 8601), for files that do not say",
    )
    i.set_defaults(func=cmd_import)
