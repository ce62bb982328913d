"""``kindbreak export``: windows with markers as CSV, or a session's beat intervals as RR text
(one interval in ms per line, as Kubios reads)."""

from __future__ import annotations

from pathlib import Path

from kindbreak.commands.context import Context


def run(ctx: Context, *, format: str, out: Path | None, session_id: int | None) -> int:
    from kindbreak.errors import UsageError
    from kindbreak.report.export import pick_session, private_output, write_rr, write_windows_csv
    from kindbreak.store.db import Store

    paths = ctx.paths
    if not (paths.db.exists() or paths.db.is_symlink()):
        raise UsageError(
            f"there is no kindbreak log in {paths.data_dir} yet, so nothing to export",
            hint="Record with `kindbreak monitor` or bring files in with `kindbreak import`; "
            "--data-dir chooses another log.",
        )
    stdout = ctx.output.out
    with Store(paths.db, readonly=True) as store:
        if format == "csv":
            if session_id is not None:
                pick_session(store, session_id)  # an unknown session is an error
            with private_output(out, stdout) as fh:
                n = write_windows_csv(store, fh, session_id=session_id)
            what = f"{n} windows"
        else:
            sid = pick_session(store, session_id)
            with private_output(out, stdout) as fh:
                n = write_rr(store, fh, sid)
            what = f"{n} beat intervals of session {sid}"
    if out is not None:
        ctx.output.note(f"wrote {what} to {out}")
    return 0
