"""``kindbreak service install|uninstall|status`` through the CLI, into a private home, with
``systemctl`` / ``launchctl`` replaced on PATH by scripts that record their arguments."""

from __future__ import annotations

import io
import plistlib
import stat
import sys
from pathlib import Path

from kindbreak.cli import main
from kindbreak.commands import service as service_command
from kindbreak.commands.context import Context
from kindbreak.commands.output import Output
from kindbreak.paths import default_paths
from kindbreak.service.launchd import LABEL, render_plist
from kindbreak.service.spec import MONITOR_ARGS, service_spec
from kindbreak.service.systemd import read_exec_start
from support.service import STRAP_NAME, parse_unit, remember_strap

RUNNING = """\
LoadState=loaded
UnitFileState=enabled
ActiveState=active
SubState=running
MainPID=4242
ExecMainStartTimestamp=Mon 2026-03-02 09:01:12 CET
ActiveEnterTimestamp=Mon 2026-03-02 09:01:12 CET
NRestarts=1
Result=success
ExecMainStatus=0
"""

GAVE_UP = """\
LoadState=loaded
UnitFileState=enabled
ActiveState=failed
SubState=failed
MainPID=0
NRestarts=5
Result=start-limit-hit
ExecMainStatus=1
"""


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), Output(out, err))
    return rc, out.getvalue(), err.getvalue()


def unit_path(home: Path) -> Path:
    return home / ".config" / "systemd" / "user" / "kindbreak.service"


def test_install_writes_the_unit_and_enables_it(home, systemctl):
    remember_strap(home)

    rc, out, err = cli("service", "install")

    assert (rc, err) == (0, "")
    unit = unit_path(home)
    assert stat.S_IMODE(unit.stat().st_mode) == 0o600
    sections = parse_unit(unit.read_text())
    assert read_exec_start(unit.read_text()) == [sys.executable, "-m", "kindbreak", *MONITOR_ARGS]
    assert sections["Install"]["WantedBy"] == ["graphical-session.target"]
    assert systemctl.calls == [
        ["--user", "show-environment"],
        ["--user", "is-active", "graphical-session.target"],
        ["--user", "daemon-reload"],
        ["--user", "enable", "kindbreak.service"],
        ["--user", "restart", "kindbreak.service"],
    ]
    assert "installed and started" in out
    assert STRAP_NAME in out
    assert "journalctl --user -u kindbreak" in out
    assert not list(unit.parent.glob(".*tmp"))  # written atomically, no temporary left


def test_install_without_a_graphical_session_starts_at_login(home, systemctl):
    remember_strap(home)
    systemctl.answer("--user is-active graphical-session.target", stdout="inactive\n", rc=3)

    rc, out, _ = cli("service", "install")

    assert rc == 0
    assert parse_unit(unit_path(home).read_text())["Install"]["WantedBy"] == ["default.target"]
    assert "when you log in" in out


def test_install_passes_a_data_dir_it_was_given(home, systemctl, tmp_path):
    remember_strap(home)

    rc, _, _ = cli("service", "install", "--data-dir", str(tmp_path / "log here"))

    assert rc == 0
    words = read_exec_start(unit_path(home).read_text())
    assert words is not None
    assert words[-2:] == ["--data-dir", str(tmp_path / "log here")]


def test_install_carries_kindbreak_config_dir(home, systemctl, tmp_path, monkeypatch):
    remember_strap(tmp_path / "elsewhere")
    monkeypatch.setenv("KINDBREAK_CONFIG_DIR", str(tmp_path / "elsewhere/.config/kindbreak"))

    rc, _, _ = cli("service", "install")

    assert rc == 0
    words = read_exec_start(unit_path(home).read_text())
    assert words is not None
    assert words[-2:] == ["--config-dir", str(tmp_path / "elsewhere/.config/kindbreak")]


def test_install_refuses_without_a_remembered_strap(home, systemctl):
    rc, out, err = cli("service", "install")

    assert rc == 2
    assert out == ""
    assert "no strap is remembered" in err
    assert "kindbreak monitor --device" in err
    assert not unit_path(home).exists()
    assert systemctl.calls == []


def test_install_says_what_to_run_when_systemd_does_not_answer(home, systemctl):
    remember_strap(home)
    systemctl.answer("--user show-environment", stdout="Failed to connect to bus\n", rc=1)

    rc, _, err = cli("service", "install")

    assert rc == 1
    assert "systemd user manager does not answer (Failed to connect to bus)" in err
    assert f"{sys.executable} -m kindbreak monitor --wait --quiet" in err
    assert not unit_path(home).exists()


def test_a_failing_systemctl_is_reported_with_its_own_words(home, systemctl):
    remember_strap(home)
    systemctl.answer("--user enable kindbreak.service", stdout="Access denied\n", rc=1)

    rc, _, err = cli("service", "install")

    assert rc == 1
    assert "enabling kindbreak.service failed" in err
    assert "Access denied" in err


# What `service status` asks systemctl (the stand-in answers it).
SHOW_UNIT = (
    "--user show kindbreak.service --property=LoadState,UnitFileState,ActiveState,"
    "SubState,MainPID,ExecMainStartTimestamp,ActiveEnterTimestamp,NRestarts,Result,"
    "ExecMainStatus"
)


def test_status_of_a_running_service(home, systemctl):
    remember_strap(home)
    cli("service", "install")
    systemctl.answer(
        SHOW_UNIT,
        stdout=RUNNING,
    )

    rc, out, _ = cli("service", "status")

    assert rc == 0
    assert "running since Mon 2026-03-02 09:01:12 CET (pid 4242), restarted 1 times" in out
    assert "(enabled)" in out
    assert f"{sys.executable} -m kindbreak monitor --wait --quiet" in out


def test_status_when_systemd_gave_up(home, systemctl):
    remember_strap(home)
    cli("service", "install")
    systemctl.answer(
        SHOW_UNIT,
        stdout=GAVE_UP,
    )

    rc, out, _ = cli("service", "status")

    assert rc == service_command.NOT_RUNNING
    assert "not running: it failed (start-limit-hit)" in out
    assert "journalctl --user -u kindbreak -n 30" in out


def test_status_warns_when_the_python_it_runs_is_gone(home, systemctl, tmp_path):
    unit = unit_path(home)
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/gone/venv/bin/python -m kindbreak monitor --wait\n")

    rc, out, _ = cli("service", "status")

    assert rc == service_command.NOT_RUNNING
    assert "/gone/venv/bin/python no longer exists" in out
    assert "kindbreak service install` again" in out


def test_status_and_uninstall_when_not_installed(home, systemctl):
    rc, out, _ = cli("service", "status")
    assert rc == service_command.NOT_RUNNING
    assert "not installed" in out

    rc, out, _ = cli("service", "uninstall")
    assert rc == 0
    assert "not installed; nothing to remove" in out
    assert systemctl.calls == [["--user", "show-environment"]]


def test_uninstall_stops_disables_and_removes_it(home, systemctl):
    remember_strap(home)
    cli("service", "install")
    before = len(systemctl.calls)

    rc, out, _ = cli("service", "uninstall")

    assert rc == 0
    assert "stopped and removed" in out
    assert not unit_path(home).exists()
    assert systemctl.calls[before:] == [
        ["--user", "show-environment"],
        ["--user", "disable", "--now", "kindbreak.service"],
        ["--user", "daemon-reload"],
        ["--user", "reset-failed", "kindbreak.service"],
    ]


# -- macOS: launchd ----------------------------------------------------------------------------


def run_service(action: str, platform: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(default_paths(), Output(out, err))
    from kindbreak.errors import KindbreakError

    try:
        rc = service_command.run(
            ctx, action=action, data_dir=None, config_dir=None, platform=platform
        )
    except KindbreakError as exc:
        ctx.output.error(exc)
        rc = exc.exit_status
    return rc, out.getvalue(), err.getvalue()


def test_launchd_agent_keys(tmp_path):
    spec = service_spec(default_paths(tmp_path / "data"))
    agent = plistlib.loads(render_plist(spec))

    assert agent["Label"] == LABEL
    assert agent["ProgramArguments"] == [sys.executable, "-m", "kindbreak", *MONITOR_ARGS]
    assert agent["RunAtLoad"] is True
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    assert agent["ThrottleInterval"] == 30
    assert agent["LimitLoadToSessionType"] == "Aqua"
    assert agent["Umask"] == 0o077
    assert agent["StandardOutPath"] == agent["StandardErrorPath"]
    assert agent["StandardOutPath"].endswith("service.log")


def test_launchd_install_status_uninstall(home, launchctl):
    import os

    remember_strap(home)
    plist = home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    target = f"gui/{os.getuid()}/{LABEL}"

    rc, out, err = run_service("install", "darwin")

    assert (rc, err) == (0, "")
    assert stat.S_IMODE(plist.stat().st_mode) == 0o600
    assert plistlib.loads(plist.read_bytes())["Label"] == LABEL
    assert launchctl.calls == [
        ["bootout", target],
        ["bootstrap", f"gui/{os.getuid()}", str(plist)],
        ["enable", target],
    ]
    assert "installed and started" in out

    launchctl.answer(
        f"print {target}",
        stdout=f"{target} = {{\n\tactive count = 1\n\tstate = running\n\tpid = 777\n"
        "\tlast exit code = (never exited)\n}\n",
    )
    rc, out, _ = run_service("status", "darwin")
    assert rc == 0
    assert "running (pid 777)" in out

    rc, out, _ = run_service("uninstall", "darwin")
    assert rc == 0
    assert not plist.exists()
    assert launchctl.calls[-1] == ["bootout", target]


def test_other_systems_get_the_command_to_start_at_login(home):
    remember_strap(home)

    rc, out, err = run_service("install", "win32")

    assert rc == 1
    assert out == ""
    assert "works with systemd (Linux) and launchd (macOS), and this is win32" in err
    assert f"{sys.executable} -m kindbreak monitor --wait --quiet" in err
    assert "Task Scheduler" in err


def test_monitor_wait_is_for_a_strap_only(tmp_path):
    rc, _, err = cli("monitor", "--simulate", "--wait", "--data-dir", str(tmp_path))
    assert rc == 2
    assert "--wait is for a strap" in err
