"""The generated systemd user unit: parsed back and checked key by key, accepted by systemd's
own checker (``systemd-analyze verify``), and its command line quoted so systemd runs exactly
the words we mean."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindbreak.paths import Paths
from kindbreak.service.spec import MONITOR_ARGS, service_spec
from kindbreak.service.systemd import (
    DEFAULT_TARGET,
    GRAPHICAL_TARGET,
    quote,
    read_exec_start,
    render_unit,
    split_exec,
)
from support.dbus import require_or_skip
from support.service import parse_unit


def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "data", tmp_path / "config", tmp_path / "state")


def test_unit_runs_the_monitor_waiting_for_the_strap_with_the_desktop_session(tmp_path):
    spec = service_spec(paths(tmp_path))
    unit = parse_unit(render_unit(spec, wanted_by=GRAPHICAL_TARGET, version="9.9"))

    assert set(unit) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    assert split_exec(service["ExecStart"][0]) == [sys.executable, "-m", "kindbreak", *MONITOR_ARGS]
    assert MONITOR_ARGS == ("monitor", "--wait", "--quiet")
    assert os.path.isabs(split_exec(service["ExecStart"][0])[0])
    # Restarts on failure, 30 s apart, at most 5 starts in 15 minutes; usage errors not at all.
    assert service["Restart"] == ["on-failure"]
    assert service["RestartSec"] == ["30"]
    assert service["RestartPreventExitStatus"] == ["2"]
    assert unit["Unit"]["StartLimitIntervalSec"] == ["900"]
    assert unit["Unit"]["StartLimitBurst"] == ["5"]
    # Logs to the journal under kindbreak's name; files private; a clean stop is waited for.
    assert service["StandardOutput"] == service["StandardError"] == ["journal"]
    assert service["SyslogIdentifier"] == ["kindbreak"]
    assert service["UMask"] == ["0077"]
    assert service["TimeoutStopSec"] == ["30"]
    assert service["Type"] == ["exec"]
    # Starts with the desktop session (its bus and display are known by then), ends with it.
    assert unit["Unit"]["After"] == unit["Unit"]["PartOf"] == [GRAPHICAL_TARGET]
    assert unit["Install"]["WantedBy"] == [GRAPHICAL_TARGET]


def test_without_a_graphical_session_target_it_starts_at_login(tmp_path):
    spec = service_spec(paths(tmp_path))
    unit = parse_unit(render_unit(spec, wanted_by=DEFAULT_TARGET, version="9.9"))

    assert unit["Install"]["WantedBy"] == [DEFAULT_TARGET]
    assert "After" not in unit["Unit"] and "PartOf" not in unit["Unit"]


def test_data_and_config_folders_given_at_install_are_passed_as_absolute_paths(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    spec = service_spec(paths(tmp_path), data_dir=Path("my data"), config_dir=Path("cfg"))
    words = read_exec_start(render_unit(spec, wanted_by=DEFAULT_TARGET, version="9.9"))

    assert words == [
        sys.executable,
        "-m",
        "kindbreak",
        *MONITOR_ARGS,
        "--data-dir",
        str(tmp_path / "my data"),
        "--config-dir",
        str(tmp_path / "cfg"),
    ]


def test_quoting_escapes_specifiers_variables_and_spaces():
    assert quote("/usr/bin/python3") == "/usr/bin/python3"
    assert quote("/home/a b/.venv/bin/python") == '"/home/a b/.venv/bin/python"'
    assert quote("/data/100%") == '"/data/100%%"'
    assert quote("/x/$HOME") == '"/x/$$HOME"'
    assert quote('/x/"q"\\') == '"/x/\\"q\\"\\\\"'
    assert quote("") == '""'


@given(st.lists(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF)), max_size=6))
def test_quoted_words_split_back_to_the_same_words(words):
    assert split_exec(" ".join(quote(w) for w in words)) == words


def test_a_control_character_in_a_path_is_refused():
    from kindbreak.errors import ServiceError

    with pytest.raises(ServiceError, match="control character"):
        quote("/tmp/a\nb")


@pytest.mark.parametrize("target", [GRAPHICAL_TARGET, DEFAULT_TARGET])
def test_systemd_itself_accepts_the_unit(tmp_path, target):
    """``systemd-analyze verify --user`` reads the unit with systemd's own parser: an unknown
    key, a bad value or a command that is not executable would be printed."""
    tool = shutil.which("systemd-analyze")
    require_or_skip(tool is not None, "systemd-analyze not found (apt install systemd)")
    assert tool is not None
    spec = service_spec(paths(tmp_path), data_dir=tmp_path / "a b%")
    unit = tmp_path / "kindbreak.service"
    unit.write_text(render_unit(spec, wanted_by=target, version="9.9"))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"}
    done = subprocess.run(
        [tool, "verify", "--user", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""
    assert done.stdout.strip() == ""


def test_systemd_analyze_notices_a_broken_unit(tmp_path):
    """The check above can fail: a wrong value is reported."""
    tool = shutil.which("systemd-analyze")
    require_or_skip(tool is not None, "systemd-analyze not found (apt install systemd)")
    assert tool is not None
    spec = service_spec(paths(tmp_path))
    unit = tmp_path / "kindbreak.service"
    unit.write_text(
        render_unit(spec, wanted_by=DEFAULT_TARGET, version="9.9").replace(
            "Restart=on-failure", "Restart=sometimes"
        )
    )
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    done = subprocess.run(
        [tool, "verify", "--user", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        timeout=60,
        check=False,
    )
    assert "sometimes" in done.stderr
