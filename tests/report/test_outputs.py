"""Export (CSV, RR text), the HTML page, the empty log, and the CLI commands."""

from __future__ import annotations

import base64
import csv
import io
import os
import re
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest

from kindbreak.cli import build_parser, main
from kindbreak.commands import export
from kindbreak.commands.context import Context
from kindbreak.errors import UsageError
from kindbreak.offline.importer import import_file
from kindbreak.paths import default_paths
from kindbreak.report.export import pick_session, write_rr, write_windows_csv
from kindbreak.report.html import render_html, write_html
from kindbreak.report.model import EMPTY_MESSAGE, build_report
from kindbreak.report.terminal import render
from kindbreak.store.db import Store
from support.data import REPO
from support.report_store import Built


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


# -- export --------------------------------------------------------------------------------------


def test_csv_export_has_every_window(built: Built) -> None:
    buf = io.StringIO()
    with Store(built.db) as store:
        n = write_windows_csv(store, buf)
        total = store.count("windows")
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert n == len(rows) == total
    conn = sqlite3.connect(built.db)
    scores = [
        r[0]
        for r in conn.execute(
            "SELECT score FROM windows w JOIN sessions s"
            " ON s.id=w.session_id ORDER BY s.started_wall + w.end_s"
        )
    ]
    conn.close()
    for r, s in zip(rows, scores, strict=True):
        assert (r["stress_score"] == "") == (s is None)
        if s is not None:
            assert float(r["stress_score"]) == pytest.approx(s, abs=1e-4)
    assert {"rmssd_ms", "band", "start_utc", "marker_lf_hf"} <= set(rows[0])
    assert rows[0]["start_utc"].startswith("2026-03-02T09:")
    # Each scored window carries the recent calm state it was scored against.
    for r in rows:
        assert (r["ref_hr_bpm"] == "") == (r["stress_score"] == "")
        assert (r["spread_bpm"] == "") == (r["stress_score"] == "")


def test_rr_export_is_one_interval_per_line_and_reimports(built: Built, tmp_path: Path) -> None:
    with Store(built.db) as store:
        sid = pick_session(store, None)
        assert sid == built.session_ids[-1]
        buf = io.StringIO()
        n = write_rr(store, buf, sid)
        expected = [
            r["rr_ms"]
            for r in store.query("SELECT rr_ms FROM beats WHERE session_id=? ORDER BY t_s", (sid,))
        ]
    lines = buf.getvalue().splitlines()
    assert n == len(lines) == len(expected)
    assert all(re.fullmatch(r"\d+(\.\d+)?", ln) for ln in lines)
    assert [float(x) for x in lines] == pytest.approx(expected, abs=1e-3)
    path = tmp_path / "rr.txt"
    path.write_text(buf.getvalue())
    with Store(tmp_path / "log.sqlite3") as store:
        res = import_file(store, path, start_wall=0.0)
    assert res.beats == len(expected)


def test_export_cli_writes_private_files(
    store_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(store_copy.parent)
    out = store_copy.parent / "windows.csv"
    code, _, err = _run(["export", "--data-dir", data, "--out", str(out)], capsys)
    assert code == 0 and _private(out) and "windows" in err
    rr = store_copy.parent / "rr.txt"
    code, _, _ = _run(
        ["export", "--format", "rr", "--session", "1", "--data-dir", data, "--out", str(rr)], capsys
    )
    assert code == 0 and _private(rr)
    with pytest.raises(UsageError, match="no session 99"):
        export.run(Context(default_paths(Path(data))), format="rr", out=None, session_id=99)


# -- HTML ----------------------------------------------------------------------------------------


def test_html_report_is_self_contained(built: Built, tmp_path: Path) -> None:
    with Store(built.db) as store:
        report = build_report(store, UTC)
    path = tmp_path / "report.html"
    write_html(report, path)
    assert _private(path)
    page = path.read_text()
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:|//)""", page)
    assert "@import" not in page and "url(" not in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 1 + len(report.days)  # the effect plot and a timeline per day
    assert report.help.n_breaks and report.help.n_ignored
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    h = report.help
    assert f"{abs(h.score.mean_drop):.1f} points" in page
    assert f"{h.score.ci_low:+.1f} to {h.score.ci_high:+.1f}" in page
    assert "Mon 2026-03-02" in page and "What calms you" in page
    assert "dashed green line is your recent calm heart rate" in page


def test_the_timeline_draws_the_recent_calm_state(built: Built) -> None:
    from kindbreak.report.html import timeline_figure

    with Store(built.db) as store:
        report = build_report(store, UTC)
    day = next(d for d in report.days if d.windows)
    fig = timeline_figure(day, report)
    ax_hr = fig.axes[0]
    (calm,) = [ln for ln in ax_hr.get_lines() if ln.get_label() == "your recent calm"]
    drawn = [y for y in calm.get_ydata() if y == y]
    refs = [w.ref_hr_bpm for w in day.windows if w.ref_hr_bpm is not None]
    assert drawn == pytest.approx(refs)


def test_html_escapes_what_people_typed() -> None:
    from kindbreak.report.model import report_from
    from kindbreak.store.queries import PromptRec

    odd = PromptRec(1, None, 1_772_442_000.0, "x", "<i>odd</i>", "t", "manual", None, True, None)
    page = render_html(report_from([], [odd], [], UTC))
    assert "&lt;i&gt;odd&lt;/i&gt;" in page and "<i>odd" not in page
    assert "No heart data recorded this day." in page


# -- empty log -----------------------------------------------------------------------------------


def test_empty_log_is_said_kindly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    code, out, _ = _run(["report", "--data-dir", str(data)], capsys)
    assert code == 0 and "empty so far" in out and "kindbreak import" in out
    assert not (data / "kindbreak.sqlite3").exists()  # looking does not create a log
    html = tmp_path / "r.html"
    code, _, _ = _run(["report", "--data-dir", str(data), "--html", str(html)], capsys)
    assert code == 0 and _private(html) and "empty so far" in html.read_text()
    # an existing but empty log says the same
    with Store(tmp_path / "log.sqlite3") as store:
        report = build_report(store, UTC)
    buf = io.StringIO()
    render(report, buf, color=False)
    assert " ".join(buf.getvalue().split()) == EMPTY_MESSAGE


# -- commands ------------------------------------------------------------------------------------


def test_report_and_import_commands(
    store_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(store_copy.parent)
    code, out, _ = _run(["report", "--data-dir", data, "--since", "2026-03-03"], capsys)
    assert code == 0 and "Tue 3 Mar" in out and "Mon 2 Mar" not in out
    from support.fit_writer import fit_file

    fit = tmp_path / "watch.fit"
    fit.write_bytes(fit_file([850 + (i % 7) * 10 for i in range(400)]))
    code, out, _ = _run(["import", str(fit), "--data-dir", data], capsys)
    assert code == 0 and "imported as session 3" in out and "400 beats" in out
    code, out, _ = _run(["import", str(fit), "--data-dir", data], capsys)
    assert code == 0 and "already in your log" in out


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["report", "--since", "March"])
    assert exc.value.code == 2


def test_commands_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, kindbreak.commands.report, kindbreak.commands.export\n"
        "import kindbreak.commands.import_\n"
        "heavy = [m for m in ('numpy', 'matplotlib', 'rich', 'fitdecode', 'scipy')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
