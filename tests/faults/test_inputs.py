"""Every input bounded: hostile or absurd files and options are refused in one line with the
file and line and exit status 2, quickly, and nothing reaches the log."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.devices.inputfile import MAX_LINE_BYTES
from kindbreak.errors import PromptFileError
from kindbreak.offline.analysis import analyze_file
from kindbreak.prompts.library import load_library
from support.data import FIXTURES

HEADER = (
    '{"format": "kindbreak-recording", "version": 1, "device": {"name": "Polar H10"}, '
    '"start_wall": "%s"}\n'
)


def rr_csv(tmp_path: Path, name: str, times: list[str]) -> Path:
    path = tmp_path / name
    rows = "".join(f"{t},800\n" for t in times)
    path.write_text("time_s,rr_ms\n" + rows)
    return path


def fails(argv: list[str], capsys: pytest.CaptureFixture[str], status: int = 2) -> str:
    """Run the CLI in-process: ``status``, nothing on stdout, one line and one hint."""
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == status, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 2 and lines[1].startswith("  hint: "), err
    assert lines[0].startswith("kindbreak: ")
    return lines[0]


def assert_no_log(data: Path) -> None:
    db = data / "kindbreak.sqlite3"
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM beats").fetchone()[0] == 0


# -- absurd times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("times", "line", "words"),
    [
        # The cases: 1e300 hung analyze and import at 100 % CPU; a 1e9 s jump made
        # analyze allocate 29.8 GiB and import store a 16-million-minute session.
        (["1.0", "1.8", "1e300"], 4, "time 1e+300 s is not a plausible time for a beat"),
        (["1.0", "1.8", "1000000002.6"], 4, "days after the start; kindbreak reads recordings"),
        (["1.0", "-3.0"], 3, "time -3 is negative"),
        (["-5", "1.0"], 2, "time -5 is negative"),
    ],
)
def test_absurd_csv_times_are_refused_by_analyze_and_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], times: list[str], line: int, words: str
) -> None:
    path = rr_csv(tmp_path, "beats.csv", times)
    data = tmp_path / "data"
    for cmd in (["analyze", str(path)], ["import", str(path), "--data-dir", str(data)]):
        first = fails(cmd, capsys)
        assert first.startswith(f"kindbreak: {path}, line {line}: ")
        assert words in first
    assert_no_log(data)


def test_a_fourteen_day_gap_is_the_limit(tmp_path: Path) -> None:
    ok = rr_csv(tmp_path, "ok.csv", ["1.0", "1.8", str(14 * 86400.0)])
    assert len(analyze_file(ok).beats) == 3
    late = rr_csv(tmp_path, "late.csv", ["1.0", "1.8", str(14 * 86400.0 + 2.0)])
    with pytest.raises(Exception, match="line 4: the beat at"):
        analyze_file(late)


@pytest.mark.parametrize(
    ("start", "words"),
    [
        ("0001-01-01T00:00:00+00:00", "start_wall 0001-01-01T00:00:00+00:00 is not a plausible"),
        ("0001-01-01T00:00:00", "is not a plausible time for a recording"),
        ("9999-12-31T23:59:59+00:00", "is not a plausible time for a recording"),
    ],
)
def test_a_recording_from_year_1_is_refused_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], start: str, words: str
) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text((HEADER % start) + '{"t": 1.0, "hex": "0048"}\n')
    data = tmp_path / "data"
    for cmd in (
        ["analyze", str(path)],
        ["import", str(path), "--data-dir", str(data)],
        ["monitor", "--replay", str(path), "--speed", "0", "--data-dir", str(data), "--quiet"],
    ):
        first = fails(cmd, capsys)
        assert first.startswith(f"kindbreak: {path}, line 1: ")
        assert words in first
    assert_no_log(data)


def test_a_recording_time_jump_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "jump.jsonl"
    path.write_text(
        (HEADER % "2026-03-02T09:00:00+00:00")
        + '{"t": 1.0, "hex": "0048"}\n{"t": 1000000001.0, "hex": "0048"}\n'
    )
    first = fails(["analyze", str(path)], capsys)
    assert first.startswith(f'kindbreak: {path}, line 3: "t" 1e+09 s is 1.16e+04 days after')


# -- huge or endless input ------------------------------------------------------------------------


def test_a_csv_field_over_128_kib_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("rr_ms,note\n800,ok\n810," + "x" * 140_000 + "\n")
    first = fails(["analyze", str(path)], capsys)
    assert first == (
        f"kindbreak: {path}, line 3: the line is longer than {MAX_LINE_BYTES // 1024} KiB; "
        "no recording, RR or CSV line is that long"
    )


def test_a_quoted_field_spanning_lines_hits_the_csv_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text('rr_ms,note\n800,"' + ("y" * 1000 + "\n") * 140 + '"\n')
    first = fails(["analyze", str(path)], capsys)
    assert first.startswith(f"kindbreak: {path}, line ")
    assert "is not valid CSV (field larger than field limit" in first


def test_a_file_without_line_breaks_is_refused_without_reading_it_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "one-line.txt"
    path.write_text("800 " * 1_000_000)  # 4 MB, no newline
    first = fails(["analyze", str(path)], capsys)
    assert first.startswith(f"kindbreak: {path}, line 1: the line is longer than 64 KiB")


@pytest.mark.parametrize("cmd", ["analyze", "import"])
def test_dev_zero_and_pipes_are_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cmd: str
) -> None:
    """`analyze /dev/zero` read forever before."""
    extra = ["--data-dir", str(tmp_path / "data")] if cmd == "import" else []
    first = fails([cmd, "/dev/zero", *extra], capsys)
    assert first == "kindbreak: /dev/zero: is a device, not a file"
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    first = fails([cmd, str(fifo), *extra], capsys)
    assert first == f"kindbreak: {fifo}: is a pipe, not a file"
    first = fails(["monitor", "--replay", "/dev/zero", *extra], capsys)
    assert first == "kindbreak: /dev/zero: is a device, not a recording"


# -- the wrong kind of file -----------------------------------------------------------------------


def test_analyze_of_a_fit_file_points_to_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "activity.fit"
    path.write_bytes(bytes([14, 0x20]) + b"\x00" * 6 + b".FIT" + b"\x00" * 40)
    rc = main(["analyze", str(path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.splitlines() == [
        f"kindbreak: {path}: is a Garmin FIT file; analyze reads recordings, RR text and CSV",
        "  hint: Bring it into your log with `kindbreak import FILE`, then see it in "
        "`kindbreak report`.",
    ]


def test_replay_of_a_csv_says_it_is_not_a_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = rr_csv(tmp_path, "beats.csv", ["1.0", "1.8"])
    rc = main(["monitor", "--replay", str(path), "--data-dir", str(tmp_path / "d"), "--quiet"])
    first, hint = capsys.readouterr().err.splitlines()
    assert rc == 2
    assert first.startswith(f"kindbreak: {path}, line 1: is not a kindbreak recording")
    assert "`kindbreak analyze FILE` and `kindbreak import FILE`" in hint


# -- settings and prompts -------------------------------------------------------------------------


def test_deeply_nested_config_toml_is_one_line(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A RecursionError with 3000 lines of traceback before."""
    config = isolated_home / "config" / "kindbreak" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    rr = rr_csv(tmp_path, "beats.csv", ["1.0", "1.8"])
    first = fails(["analyze", str(rr)], capsys)
    assert first == (
        f"kindbreak: {config}: is not valid settings: its tables or arrays are nested too deeply"
    )


def test_deeply_nested_prompts_toml_is_one_error(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.toml"
    prompts.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(PromptFileError, match="nested too deeply"):
        load_library(prompts)


def test_deeply_nested_prompts_toml_stops_monitor_in_one_line(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = isolated_home / "config" / "kindbreak" / "prompts.toml"
    prompts.parent.mkdir(parents=True)
    prompts.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    argv = ["monitor", "--replay", str(FIXTURES / "short.jsonl"), "--speed", "0", "--quiet"]
    rc = main([*argv, "--notifier", "terminal", "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"kindbreak: {prompts}: its tables or arrays are nested too deeply" in err
    assert "Traceback" not in err and "RecursionError" not in err


def test_a_huge_config_is_refused(isolated_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = isolated_home / "config" / "kindbreak" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    rr = isolated_home / "beats.csv"
    rr.write_text("rr_ms\n800\n")
    assert "is larger than 1024 KiB" in fails(["analyze", str(rr)], capsys)


def test_escape_sequences_in_a_user_prompt_never_reach_the_terminal(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.toml"
    prompts.write_text(
        "[[prompt]]\n"
        'id = "evil"\n'
        'kind = "breath"\n'
        'title = "Breathe \\u001b]0;pwned\\u0007 now"\n'
        'body = "A slow breath."\n'
        "\n"
        "[[prompt]]\n"
        'id = "fine"\n'
        'kind = "breath"\n'
        'title = "Breathe"\n'
        'body = "In, and out.\\nAgain."\n'
    )
    lib = load_library(prompts)
    assert "evil" not in lib and "fine" in lib
    (warning,) = [w for w in lib.warnings if w.path == prompts]
    assert warning.line == 4
    assert "control characters" in str(warning)


# -- options --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["report", "--days", "1000000000"], "--days must be at most 3660"),
        (["report", "--since", "9999-12-31"], "'9999-12-31' is not between 1980 and 2099"),
        (["monitor", "--speed", "nan"], "argument --speed: 'nan' is not a finite number"),
        (["monitor", "--duration", "nan"], "argument --duration: 'nan' is not a finite number"),
        (["monitor", "--duration", "inf"], "'inf' is not a finite number"),
        (["breathe", "--minutes", "1e308"], "is too large"),
        (["log", "done", "--data-dir", ""], "argument --data-dir: is empty"),
        (["import", "x", "--start", "0001-01-01"], "'0001-01-01' is not between 1980 and 2099"),
    ],
)
def test_absurd_options_are_usage_errors(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    first, hint = capsys.readouterr().err.splitlines()
    assert first.startswith("kindbreak: ") and words in first
    assert hint.startswith("  hint: see `kindbreak ")


def test_data_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("mine\n")
    with pytest.raises(SystemExit) as info:
        main(["log", "done", "--data-dir", str(f)])
    assert info.value.code == 2
    assert f"'{f}' is a file, not a folder" in capsys.readouterr().err
    assert f.read_text() == "mine\n"


def test_pause_with_a_5000_digit_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = fails(["pause", "9" * 5000 + "m", "--data-dir", str(tmp_path)], capsys)
    assert first == "kindbreak: '99999999999999999999...' is not a duration"


# -- the progress bar reads bytes ----------------------------------------------------------------


def test_analyze_reports_progress_in_bytes_up_to_the_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kindbreak.devices import rrfile

    # Plain RR text is parsed a block of bytes at a time: progress after every block (small
    # blocks here, so a small file spans several).
    monkeypatch.setattr(rrfile, "BLOCK_BYTES", 2048)
    BLOCK_BYTES = rrfile.BLOCK_BYTES
    path = tmp_path / "rr.txt"
    path.write_text("".join(f"{800 + i % 40}\n" for i in range(3000)))
    size = path.stat().st_size
    assert size > 2 * BLOCK_BYTES
    seen: list[int] = []
    analyze_file(path, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == size
    # The first values decide the unit (ms or s), so the first update may span blocks.
    assert len(seen) >= size // BLOCK_BYTES - 2
    assert all(b - a <= 2 * BLOCK_BYTES for a, b in itertools.pairwise(seen))
    # Line by line (a CSV), after every line.
    csv_path = tmp_path / "rr.csv"
    csv_path.write_text("rr_ms\n" + "".join(f"{800 + i % 40}\n" for i in range(3000)))
    seen = []
    analyze_file(csv_path, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == csv_path.stat().st_size
    assert len(seen) == 3001


def test_fixture_recording_still_reads(tmp_path: Path) -> None:
    result = analyze_file(FIXTURES / "short.jsonl")
    assert len(result.beats) > 400
    assert json.dumps(result.to_json(), allow_nan=False)
