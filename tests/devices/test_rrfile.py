"""RR text and CSV files (kindbreak.devices.rrfile) and their errors through `kindbreak analyze`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.devices.rrfile import read_rr_file
from kindbreak.errors import InputFileError
from support.data import REPO


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def analyze(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(["analyze", str(path), "--json"])
    out, err = capsys.readouterr()
    return rc, out, err


# -- RR text ------------------------------------------------------------------------------------


def test_rr_text_with_comments_and_blank_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rr.txt",
        "# exported by Elite HRV\n\n800\n  810  \n# a comment line\n"
        "790 # trailing comment\n\n820\n",
    )
    s = read_rr_file(path)
    assert s.rr_ms == (800.0, 810.0, 790.0, 820.0)
    assert s.t_s == pytest.approx((0.8, 1.61, 2.4, 3.22), abs=1e-12)
    assert s.gap_before == (False, False, False, False)


def test_rr_text_in_seconds_is_converted(tmp_path: Path) -> None:
    s = read_rr_file(write(tmp_path, "rr.txt", "0.800\n0.8125\n1.0\n"))
    assert s.rr_ms == (800.0, 812.5, 1000.0)
    assert s.t_s == pytest.approx((0.8, 1.6125, 2.6125), abs=1e-12)


def test_rr_text_with_bom_and_crlf(tmp_path: Path) -> None:
    s = read_rr_file(write(tmp_path, "rr.txt", "\ufeff800\r\n810\r\n"))
    assert s.rr_ms == (800.0, 810.0)


def test_rr_text_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "rr.txt", "# five beats\n800\n810\n790\n820\n780\n")
    rc, out, err = analyze(path, capsys)
    assert (rc, err) == (0, "")
    summary = json.loads(out)["summary"]
    assert summary["n_beats"] == 5
    assert summary["mean_rr_ms"] == 800.0
    assert summary["mean_hr_bpm"] == 75.0
    # Successive differences 10, -20, 30, -40: RMSSD = sqrt(3000/4).
    assert summary["rmssd_ms"] == pytest.approx(27.3861, abs=1e-4)
    assert summary["sdnn_ms"] == pytest.approx(15.8114, abs=1e-4)
    assert summary["duration_s"] == 4.0


# -- CSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["rr_ms", "ibi_ms", "rr", "ibi", "RR", "IBI_ms", " Rr_Ms "])
def test_csv_rr_column_names(tmp_path: Path, column: str) -> None:
    path = write(tmp_path, "beats.csv", f"beat,{column},note\n1,800,a\n2,812.5,b\n3,790,c\n")
    s = read_rr_file(path)
    assert s.rr_ms == (800.0, 812.5, 790.0)
    assert s.t_s == pytest.approx((0.8, 1.6125, 2.4025), abs=1e-12)


@pytest.mark.parametrize("time_col", ["time_s", "t_rel_s", "timestamp", "t_s"])
def test_csv_with_time_column(tmp_path: Path, time_col: str) -> None:
    # Times are shifted so the first interval starts at 0; a jump (a dropped beat) is kept.
    path = write(
        tmp_path,
        "beats.csv",
        f"{time_col},rr_ms,gap_before\n1700000010.8,800,0\n1700000011.61,810,0\n"
        "1700000014.0,790,1\n",
    )
    s = read_rr_file(path)
    assert s.rr_ms == (800.0, 810.0, 790.0)
    assert s.t_s == pytest.approx((0.8, 1.61, 4.0), abs=1e-6)
    assert s.gap_before == (False, False, True)


def test_csv_stress_predict_shape(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "S99.csv",
        "unix_time_s,t_rel_s,ibi_ms,gap_before,label_stress\n"
        "1600000000.5,12.0,750.0,1,0\n1600000001.2,12.7,700.0,0,0\n\n"
        "1600000001.9,13.4,700.0,0,1\n",
    )
    s = read_rr_file(path)
    assert s.rr_ms == (750.0, 700.0, 700.0)
    assert s.t_s == pytest.approx((0.75, 1.45, 2.15), abs=1e-9)
    assert s.gap_before == (True, False, False)


def test_csv_with_semicolons(tmp_path: Path) -> None:
    s = read_rr_file(write(tmp_path, "b.csv", "rr_ms;t_rel_s\n800;1.0\n810;1.81\n"))
    assert s.rr_ms == (800.0, 810.0)
    assert s.t_s == pytest.approx((0.8, 1.61))


# -- errors through the CLI: exit 2, one line naming the file (and line), no traceback ---------


@pytest.mark.parametrize(
    ("name", "content", "line", "words"),
    [
        ("empty.txt", "", None, "is empty"),
        ("blank.txt", "\n \n\t\n", None, "is empty"),
        ("comments.txt", "# nothing\n# here\n", None, "no intervals"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "binary"),
        ("latin1.txt", "800\n810\n# caf\xe9\n".encode("latin-1"), 3, "not UTF-8"),
        ("nocol.csv", "time_s,heart_rate\n1.0,72\n2.0,73\n", 1, "no RR column"),
        ("neg.txt", "800\n810\n-790\n", 3, "-790 ms is not positive"),
        ("zero.txt", "800\n0\n", 2, "0 ms is not positive"),
        ("neg.csv", "rr_ms\n800\n-5\n", 3, "not positive"),
        ("absurd.txt", "800\n60000\n810\n", 2, "60000 ms is absurd"),
        ("absurd.csv", "ibi_ms\n800\n810\n60000\n", 4, "absurd"),
        ("word.txt", "800\n810\nabc\n", 3, "'abc' is not a number"),
        ("word.csv", "rr_ms\n800\nn/a\n", 3, "'n/a' is not a number"),
        ("inf.txt", "800\ninf\n", 2, "not a finite number"),
        ("short.csv", "t_s,rr_ms\n1.0,800\n2.0\n", 3, "fewer than the header"),
        ("header.csv", "rr_ms\n", None, "no intervals"),
        ("badtime.csv", "t_s,rr_ms\n1.0,800\nlater,810\n", 3, "time 'later' is not a number"),
        ("back.csv", "t_s,rr_ms\n5.0,800\n4.0,810\n", 3, "time goes backwards"),
    ],
)
def test_bad_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes,
    line: int | None,
    words: str,
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(InputFileError) as info:
        read_rr_file(path)
    assert info.value.line == line
    assert words in info.value.problem

    rc, out, err = analyze(path, capsys)
    assert rc == 2
    assert out == ""
    first, *rest = err.splitlines()
    where = f"{path}, line {line}:" if line is not None else f"{path}:"
    assert first.startswith(f"kindbreak: {where}")
    assert words in first
    assert all(r.startswith("  hint: ") for r in rest) and len(rest) <= 1
    assert "Traceback" not in err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nope.txt"
    rc, out, err = analyze(path, capsys)
    assert rc == 2
    assert err.splitlines()[0] == f"kindbreak: {path}: no such file"
    assert out == ""


def test_directory_is_not_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = analyze(tmp_path, capsys)
    assert rc == 2
    assert err.startswith(f"kindbreak: {tmp_path}: is a directory")


def test_backwards_time_after_blank_line_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "t_s,rr_ms\n5.0,800\n\n4.0,810\n")
    with pytest.raises(InputFileError) as info:
        read_rr_file(path)
    assert info.value.line == 4


def test_errors_as_a_subprocess_have_no_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, "neg.txt", "800\n-790\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run(
        [sys.executable, "-m", "kindbreak", "analyze", str(bad), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines()[0] == (
        f"kindbreak: {bad}, line 2: interval -790 ms is not positive"
    )
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 2  # the message and its hint
