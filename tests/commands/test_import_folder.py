"""``kindbreak import`` of folders and several files: every file once, one progress bar, one
line per file that cannot be read, and a second import adds nothing."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.commands import import_
from kindbreak.commands.context import Context
from kindbreak.commands.output import Output
from support.fit_writer import fit_file


def _rr(n: int, base: int) -> list[int]:
    return [base + (i % 7) * 11 - (i % 3) * 5 for i in range(n)]


def _counts(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        beats = conn.execute("SELECT count(*) FROM beats").fetchone()[0]
    finally:
        conn.close()
    return sessions, beats


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    """A folder as a watch export looks: FIT files, a subfolder with an RR text, files that
    are not recordings (skipped), a hidden folder (skipped) and one broken FIT file."""
    root = tmp_path / "garmin"
    (root / "2026-03" / ".cache").mkdir(parents=True)
    (root / "a.fit").write_bytes(fit_file(_rr(400, 850)))
    (root / "b.FIT").write_bytes(fit_file(_rr(500, 900)))
    (root / "2026-03" / "c.txt").write_text("\n".join(str(v) for v in _rr(600, 800)) + "\n")
    (root / "2026-03" / ".cache" / "d.fit").write_bytes(fit_file(_rr(300, 870)))
    (root / "notes.md").write_text("my runs\n")
    (root / "broken.fit").write_bytes(fit_file(_rr(450, 880), corrupt_crc=True))
    return root


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_folder_imports_every_recording_once_and_names_the_unreadable_one(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    code, out, err = _run(["import", str(export), "--data-dir", str(data)], capsys)
    assert code == 2  # one file could not be read; the others are in
    assert out.count("imported as session") == 3
    assert "a.fit" in out and "b.FIT" in out and "c.txt" in out
    assert "d.fit" not in out + err and "notes.md" not in out + err
    broken = [line for line in err.splitlines() if "broken.fit" in line]
    assert len(broken) == 1 and "CRC" in broken[0]
    assert "4 files: 3 imported, 0 already in your log, 1 could not be read." in err
    assert _counts(data / "kindbreak.sqlite3") == (3, 400 + 500 + 600)

    # Twice: nothing added, each file says so.
    code, out, err = _run(["import", str(export), "--data-dir", str(data)], capsys)
    assert code == 2
    assert out.count("already in your log") == 3 and "imported as session" not in out
    assert "4 files: 0 imported, 3 already in your log, 1 could not be read." in err
    assert _counts(data / "kindbreak.sqlite3") == (3, 1500)


def test_several_files_and_folders_each_file_once(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    (export / "broken.fit").unlink()
    extra = tmp_path / "e.fit"
    extra.write_bytes(fit_file(_rr(350, 820)))
    argv = ["import", str(export / "a.fit"), str(export), str(extra), "--data-dir", str(data)]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert out.count("imported as session") == 4  # a.fit named twice, imported once
    assert "4 files: 4 imported, 0 already in your log." in err
    assert _counts(data / "kindbreak.sqlite3") == (4, 400 + 500 + 600 + 350)


def test_a_folder_without_recordings_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "photos"
    empty.mkdir()
    (empty / "x.jpg").write_bytes(b"\xff\xd8")
    code, _, err = _run(["import", str(empty), "--data-dir", str(tmp_path / "d")], capsys)
    assert code == 2
    assert "photos: no FIT, RR text/CSV or recording files in this folder" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_one_progress_bar_over_all_the_files(export: Path, tmp_path: Path) -> None:
    from kindbreak.config import Settings
    from kindbreak.paths import default_paths

    err = _Terminal()
    out = io.StringIO()
    ctx = Context(
        paths=default_paths(str(tmp_path / "data"), str(tmp_path / "config")),
        given_settings=Settings(),
        output=Output(out=out, err=err),
    )
    code = import_.run(ctx, files=[export], start=None, progress=True)
    assert code == 2
    shown = err.getvalue()
    assert "importing 4 files" in shown
    # No bar of its own for any one file, and the lines went above the bar.
    assert "importing a.fit" not in shown and "importing c.txt" not in shown
    assert out.getvalue().count("imported as session") == 3
    assert shown.count("broken.fit") == 1
