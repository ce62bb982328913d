"""``kindbreak service install|uninstall|status``: the monitor as a background service that
starts with the desktop session (systemd user unit on Linux, launchd agent on macOS).

Other systems get a message naming the command to start at login instead. ``status`` exits 0
when the service runs and 3 when it is not installed or not running (as ``systemctl is-active``
and LSB scripts do), so scripts can ask.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kindbreak.commands.context import Context
from kindbreak.errors import ServiceError

if TYPE_CHECKING:
    from kindbreak.service.spec import ServiceSpec
    from kindbreak.service.systemd import SystemdUser

NOT_RUNNING = 3


def run(
    ctx: Context,
    *,
    action: str,
    data_dir: Path | None,
    config_dir: Path | None,
    platform: str | None = None,
) -> int:
    from kindbreak.service.spec import service_spec

    spec = service_spec(ctx.paths, data_dir=data_dir, config_dir=config_dir)
    platform = platform if platform is not None else sys.platform
    if platform.startswith("linux"):
        return _systemd(ctx, action, spec)
    if platform == "darwin":
        return _launchd(ctx, action, spec)
    raise _unsupported(
        spec, f"it works with systemd (Linux) and launchd (macOS), and this is {platform}"
    )


def _unsupported(spec: ServiceSpec, why: str) -> ServiceError:
    return ServiceError(
        f"cannot install the background service: {why}",
        hint=f"Start `{spec.display}` when you log in instead (Linux: a .desktop file in "
        "~/.config/autostart; Windows: Task Scheduler, trigger 'At log on'); it waits for "
        "your strap quietly all day.",
    )


def _home(path: Path) -> str:
    """``~/...`` for paths in the home folder (shorter to read)."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


# -- Linux: systemd ---------------------------------------------------------------------------


def _systemd(ctx: Context, action: str, spec: ServiceSpec) -> int:
    from kindbreak import __version__
    from kindbreak.service.spec import check_it_runs, mark_hello, require_device
    from kindbreak.service.systemd import GRAPHICAL_TARGET, SystemdUser, render_unit

    manager = SystemdUser()
    out = ctx.output
    if action == "status":
        return _systemd_status(ctx, manager, spec)
    if action == "uninstall":
        why = manager.unavailable()
        if why is not None and manager.unit_path.exists():
            raise ServiceError(f"cannot remove kindbreak.service: {why}")
        if manager.uninstall():
            out.print(f"kindbreak service: stopped and removed ({_home(manager.unit_path)}).")
        else:
            out.print("kindbreak service: not installed; nothing to remove.")
        return 0
    device = require_device(spec.paths)
    why = manager.unavailable()
    if why is not None:
        raise _unsupported(spec, why)
    check_it_runs(spec)
    target = manager.session_target()
    mark_hello(spec.paths)  # before it starts: its first monitor says hello on the desktop
    manager.install(render_unit(spec, wanted_by=target, version=__version__))
    starts = (
        "with your desktop session; stops when you log out"
        if target == GRAPHICAL_TARGET
        else "when you log in (this desktop does not run graphical-session.target)"
    )
    out.print("kindbreak service: installed and started (a notification says hello when it runs).")
    out.print(f"  unit     {_home(manager.unit_path)}")
    out.print(f"  runs     {spec.display}")
    out.print(f"  watches  {device} (your remembered strap; it waits while the strap is off)")
    out.print(f"  starts   {starts}; restarts after a failure")
    out.print(f"  logs     journalctl --user -u kindbreak, and {_home(spec.paths.log_file)}")
    out.print("How you are now: `kindbreak status`. Remove it: `kindbreak service uninstall`.")
    return 0


def _systemd_status(ctx: Context, manager: SystemdUser, spec: ServiceSpec) -> int:
    from kindbreak.service.systemd import START_LIMIT_BURST

    out = ctx.output
    st = manager.status()
    if not st.installed:
        out.print("kindbreak service: not installed.")
        out.print("  `kindbreak service install` runs the monitor from login, all day.")
        return NOT_RUNNING
    active, sub = st.get("ActiveState"), st.get("SubState")
    running = active == "active"
    pid = st.get("MainPID")
    if running:
        since = st.get("ExecMainStartTimestamp") or st.get("ActiveEnterTimestamp")
        restarts = st.get("NRestarts") or "0"
        head = f"running since {since} (pid {pid}), restarted {restarts} times"
    elif not st.properties:
        head = "installed, but the systemd user manager does not answer"
    elif active == "failed" or st.get("Result") not in ("", "success"):
        head = (
            f"not running: it failed ({st.get('Result') or sub}); systemd starts it at most "
            f"{START_LIMIT_BURST} times in 15 minutes"
        )
    else:
        head = f"installed, not running ({active or 'unknown'}/{sub or 'unknown'})"
    out.print(f"kindbreak service: {head}")
    state = st.get("UnitFileState")
    out.print(f"  unit     {_home(st.path)}" + (f" ({state})" if state else ""))
    if st.exec_start:
        out.print(f"  runs     {shlex.join(st.exec_start)}")
        python = Path(st.exec_start[0])
        if not python.exists():
            out.print(
                f"  warning  {python} no longer exists (a moved or removed environment?): "
                "run `kindbreak service install` again"
            )
    out.print(f"  logs     journalctl --user -u kindbreak, and {_home(spec.paths.log_file)}")
    if not running:
        out.print(
            "  why: `journalctl --user -u kindbreak -n 30`; again: "
            "`systemctl --user restart kindbreak`"
        )
    return 0 if running else NOT_RUNNING


# -- macOS: launchd ---------------------------------------------------------------------------


def _launchd(ctx: Context, action: str, spec: ServiceSpec) -> int:
    from kindbreak.service.launchd import LaunchAgent, service_log
    from kindbreak.service.spec import check_it_runs, mark_hello, require_device

    agent = LaunchAgent()
    out = ctx.output
    if action == "uninstall":
        if agent.uninstall():
            out.print(f"kindbreak service: stopped and removed ({_home(agent.plist_path)}).")
        else:
            out.print("kindbreak service: not installed; nothing to remove.")
        return 0
    if action == "status":
        st = agent.status()
        if not st.installed:
            out.print("kindbreak service: not installed.")
            out.print("  `kindbreak service install` runs the monitor from login, all day.")
            return NOT_RUNNING
        running = st.pid is not None
        if running:
            head = f"running (pid {st.pid})"
        elif st.loaded:
            head = f"loaded, not running (last exit code {st.last_exit or 'unknown'})"
        else:
            head = "installed, not loaded (it loads at your next login)"
        out.print(f"kindbreak service: {head}")
        out.print(f"  agent    {_home(st.path)}")
        if st.program:
            out.print(f"  runs     {shlex.join(st.program)}")
        out.print(f"  logs     {_home(service_log(spec))}, and {_home(spec.paths.log_file)}")
        return 0 if running else NOT_RUNNING
    device = require_device(spec.paths)
    why = agent.unavailable()
    if why is not None:
        raise _unsupported(spec, why)
    check_it_runs(spec)
    mark_hello(spec.paths)
    agent.install(spec)
    out.print("kindbreak service: installed and started (a notification says hello when it runs).")
    out.print(f"  agent    {_home(agent.plist_path)}")
    out.print(f"  runs     {spec.display}")
    out.print(f"  watches  {device} (your remembered strap; it waits while the strap is off)")
    out.print("  starts   when you log in; restarts after a failure")
    out.print(f"  logs     {_home(service_log(spec))}, and {_home(spec.paths.log_file)}")
    out.print("How you are now: `kindbreak status`. Remove it: `kindbreak service uninstall`.")
    return 0
