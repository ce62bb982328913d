"""Files never clobbered or followed: whole-file writes go through an unpredictable temporary
name in the target folder and a rename, a link at the target is replaced (never written
through), an interrupted write leaves the old file whole."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.config import load_settings, remember_device
from kindbreak.errors import OutputFileError
from kindbreak.safefile import atomic_writer, create_file, open_append
from support.faults import small_log


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture()
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text("someone else's file\n")
    os.chmod(path, 0o644)
    return path


def untouched(victim: Path) -> bool:
    return victim.read_text() == "someone else's file\n" and mode(victim) == 0o644


def test_report_html_never_writes_through_a_planted_temporary_name(
    tmp_path: Path, victim: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's case: a link planted at OUT.tmpPID made `report --html` overwrite and chmod
    its target. The temporary name is unpredictable now; the old one is planted anyway."""
    data = tmp_path / "data"
    small_log(data)
    out = tmp_path / "report.html"
    for pid in range(os.getpid() - 5, os.getpid() + 5):
        (tmp_path / f".report.html.tmp{pid}").symlink_to(victim)
    assert main(["report", "--html", str(out), "--data-dir", str(data)]) == 0
    assert untouched(victim)
    assert mode(out) == 0o600 and out.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("cmd", [["report", "--html"], ["export", "--out"]])
def test_a_link_at_the_output_is_replaced_not_followed(
    tmp_path: Path, victim: Path, cmd: list[str]
) -> None:
    data = tmp_path / "data"
    small_log(data)
    out = tmp_path / "out.file"
    out.symlink_to(victim)
    assert main([*cmd, str(out), "--data-dir", str(data)]) == 0
    assert untouched(victim)
    assert not out.is_symlink() and mode(out) == 0o600


def test_export_to_a_directory_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    small_log(data)
    folder = tmp_path / "exports"
    folder.mkdir()
    assert main(["export", "--out", str(folder), "--data-dir", str(data)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"kindbreak: {folder}: is a directory, not a file",
        f"  hint: {OutputFileError.hint}",
    ]
    assert list(folder.iterdir()) == []


def test_a_device_is_never_an_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    small_log(data)
    assert main(["export", "--out", "/dev/null", "--data-dir", str(data)]) == 2
    assert "/dev/null: is not a plain file" in capsys.readouterr().err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("old page\n")
    with pytest.raises(KeyboardInterrupt), atomic_writer(out) as fh:
        fh.write("half a new pa")
        raise KeyboardInterrupt
    assert out.read_text() == "old page\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_temporary_names_are_unpredictable_and_exclusive(tmp_path: Path) -> None:
    names = set()
    for _ in range(5):
        seen: list[str] = []
        with atomic_writer(tmp_path / "a.txt") as fh:
            seen = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            fh.write("x")
        names.update(seen)
    assert len(names) == 5  # a fresh random name each time
    assert all(n.startswith(".a.txt.") for n in names)


def test_create_file_never_truncates_or_follows(tmp_path: Path, victim: Path) -> None:
    existing = tmp_path / "rec.jsonl"
    existing.write_text("keep me\n")
    with pytest.raises(OutputFileError, match="already exists"):
        create_file(existing)
    assert existing.read_text() == "keep me\n"
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "elsewhere" / "made.jsonl")
    with pytest.raises(OutputFileError, match="already exists"):
        create_file(dangling)
    assert not (tmp_path / "elsewhere").exists()
    link = tmp_path / "link.jsonl"
    link.symlink_to(victim)
    with create_file(link, replace=True) as fh:
        fh.write("new\n")
    assert untouched(victim) and link.read_text() == "new\n" and mode(link) == 0o600


def test_the_log_file_never_follows_a_link(tmp_path: Path, victim: Path) -> None:
    link = tmp_path / "kindbreak.log"
    link.symlink_to(victim)
    with pytest.raises(OutputFileError, match="symbolic link"):
        open_append(link)
    assert untouched(victim)
    loose = tmp_path / "loose.log"
    loose.write_text("")
    os.chmod(loose, 0o644)
    os.close(open_append(loose))
    assert mode(loose) == 0o600


def test_pause_file_and_settings_are_written_whole_and_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert main(["pause", "30m", "--data-dir", str(data)]) == 0
    assert mode(data / "pause.json") == 0o600
    assert main(["resume", "--data-dir", str(data)]) == 0
    assert not (data / "pause.json").exists()
    config = tmp_path / "config" / "config.toml"
    remember_device(config, "A0:9E:1A:7E:3A:1B", "Polar H10")
    assert mode(config) == 0o600 and mode(config.parent) == 0o700
    assert load_settings(config).device.name == "Polar H10"


def test_demo_removes_a_link_at_its_folder_without_following_it(tmp_path: Path) -> None:
    from support.data import FIXTURES

    data = tmp_path / "data"
    data.mkdir()
    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine\n")
    (data / "demo").symlink_to(elsewhere)
    argv = ["demo", "--recording", str(FIXTURES / "short.jsonl"), "--notifier", "terminal"]
    assert main([*argv, "--quiet", "--data-dir", str(data)]) == 0
    assert (elsewhere / "keep.txt").read_text() == "mine\n"
    assert (data / "demo").is_dir() and not (data / "demo").is_symlink()
