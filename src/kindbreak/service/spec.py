"""What the background service runs, with absolute paths, and the checks before installing it.

The service runs ``python -m kindbreak monitor --wait --quiet`` with the Python that runs
kindbreak now (``sys.executable``: a virtual environment's or pipx's interpreter, not resolved
through its symbolic link, which would leave the environment), on the remembered strap, waiting
for it while it is off or away. ``--data-dir`` and ``--config-dir`` are passed only when the
person gave them to ``service install`` (or set ``KINDBREAK_CONFIG_DIR``), so the service and a
monitor started by hand share the same log, settings and log file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from kindbreak.errors import ServiceError
from kindbreak.paths import Paths

MONITOR_ARGS = ("monitor", "--wait", "--quiet")
CHECK_TIMEOUT_S = 60.0
HELLO_NAME = "service-hello"
"""A mark in the state folder: ``service install`` leaves it, the service's first monitor shows
one notification ("kindbreak is on") and takes it away, so the person sees at once that the
background service reaches their desktop."""


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    argv: tuple[str, ...]
    """The command line, absolute interpreter first."""
    paths: Paths
    """Where that monitor keeps its log, settings and log file."""

    @property
    def python(self) -> str:
        return self.argv[0]

    @property
    def display(self) -> str:
        """The command line as a person would type it."""
        import shlex

        return shlex.join(self.argv)


def service_spec(
    paths: Paths,
    *,
    data_dir: Path | None = None,
    config_dir: Path | None = None,
    python: str | None = None,
) -> ServiceSpec:
    """The service's command line for the monitor that ``paths`` describe."""
    exe = python if python is not None else sys.executable
    if not exe or not os.path.isabs(exe):
        raise ServiceError(
            f"cannot tell which Python runs kindbreak (sys.executable is {exe!r})",
            hint="Run `kindbreak service install` from the kindbreak you installed "
            "(for example `~/.venv/bin/kindbreak service install`).",
        )
    argv = [exe, "-m", "kindbreak", *MONITOR_ARGS]
    if data_dir is not None:
        argv += ["--data-dir", str(Path(data_dir).expanduser().absolute())]
    if config_dir is not None:
        argv += ["--config-dir", str(Path(config_dir).expanduser().absolute())]
    return ServiceSpec(tuple(argv), paths)


def check_it_runs(spec: ServiceSpec) -> str:
    """Run ``python -m kindbreak --version`` as the service will (no PYTHONPATH, from the
    home folder) and return its answer; a ServiceError when it does not run."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    argv = [spec.python, "-m", "kindbreak", "--version"]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT_S,
            check=False,
            env=env,
            cwd=Path.home(),
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceError(f"the service's Python {spec.python} does not run ({exc})") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ServiceError(
            f"`{' '.join(argv)}` fails outside this shell ({last})",
            hint="Install kindbreak into that Python's environment (pip install kindbreak, or "
            "pipx install kindbreak) rather than running it from a source folder.",
        )
    return done.stdout.strip()


def require_device(paths: Paths) -> str:
    """The remembered strap (address or name); the service has nothing to watch without one."""
    from kindbreak.config import load_settings
    from kindbreak.errors import NoDeviceChosen

    device = load_settings(paths.config_file).device
    target = device.address or device.name
    if not target:
        raise NoDeviceChosen(
            "no strap is remembered yet, so the service would have nothing to watch",
            hint="Find your strap with `kindbreak scan`, run `kindbreak monitor --device "
            "ADDRESS` once (it is remembered), then `kindbreak service install` again.",
        )
    return target


def mark_hello(paths: Paths) -> None:
    """Ask the next ``monitor --wait`` to say hello on the desktop (see :data:`HELLO_NAME`)."""
    from kindbreak.paths import ensure_private_dir
    from kindbreak.safefile import atomic_write_text, data_error

    ensure_private_dir(paths.state_dir)
    atomic_write_text(paths.state_dir / HELLO_NAME, "installed\n", error=data_error)


def take_hello(paths: Paths) -> bool:
    """True once after :func:`mark_hello` (the mark is removed); False otherwise."""
    try:
        (paths.state_dir / HELLO_NAME).unlink()
    except FileNotFoundError:
        return False
    except OSError:
        return False  # a read-only state folder: no hello rather than one at every start
    return True
