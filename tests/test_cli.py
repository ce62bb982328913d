"""The command line starts light: `kindbreak --help` imports no heavy library."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import kindbreak
from kindbreak.cli import build_parser, main
from support.data import REPO

HEAVY = ("numpy", "scipy", "pandas", "neurokit2", "matplotlib")

PROBE = """
import json, sys
from kindbreak.cli import main
argv = json.loads(sys.argv[1])
try:
    rc = main(argv)
except SystemExit as exc:
    rc = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(json.dumps({{"rc": rc, "heavy": heavy}}), file=sys.stderr)
"""


def fresh_python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=60
    )


def run_probe(argv: list[str]) -> tuple[int, list[str], str]:
    proc = fresh_python("-c", PROBE.format(heavy=set(HEAVY)), json.dumps(argv))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["rc"], report["heavy"], proc.stdout


def subcommands() -> list[str]:
    action = build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    return sorted(action.choices)


def test_help_imports_nothing_heavy() -> None:
    rc, heavy, out = run_probe(["--help"])
    assert rc == 0
    assert heavy == []
    assert "usage: kindbreak" in out
    for name in ("analyze", "monitor", "demo"):
        assert name in out


def test_every_subcommand_help_is_light() -> None:
    # One interpreter for all of them: each `--help` exits before running anything.
    names = subcommands()
    assert {"analyze", "monitor", "demo"} <= set(names)
    code = (
        "import sys\n"
        "from kindbreak.cli import main\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        main([name, '--help'])\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, (name, exc.code)\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r})\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = fresh_python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "HEAVY []"
    for name in names:
        assert f"usage: kindbreak {name}" in proc.stdout


def test_version() -> None:
    proc = fresh_python("-m", "kindbreak", "--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"kindbreak {kindbreak.__version__}"
    assert kindbreak.__version__ == "0.1.0"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: kindbreak" in capsys.readouterr().out


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["analyze", "x.txt", "--jsno"])
    assert info.value.code == 2
    assert "unrecognized arguments: --jsno" in capsys.readouterr().err
