"""Helpers of the fault suite: kindbreak in a child process, and the faults a child can meet
without root tricks (a read-only folder, a full disk)."""

from __future__ import annotations

import ctypes
import os
import resource
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from kindbreak.store.db import Store
from support.data import REPO

"""The demo's recording (64 minutes), shipped inside the package."""
IS_ROOT = os.geteuid() == 0
ON_CI = os.environ.get("CI") == "true"

# Capabilities that let root ignore file modes (linux/capability.h).
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3
PR_CAPBSET_DROP = 24


def child_env(home: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(REPO / "src"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "LANG": "C.UTF-8",
        # A child under RLIMIT_FSIZE (a full disk) would otherwise leave a truncated .pyc in
        # src/ that breaks every later import of that module ("marshal data too short").
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


def drop_file_capabilities() -> None:
    """In a child about to exec: as root, give up the capabilities that bypass file modes, so
    a folder made read-only with chmod is read-only for the child too (no effect for others)."""
    if not IS_ROOT:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def file_size_limit(limit_bytes: int) -> Callable[[], None]:
    """A child's ``preexec_fn`` that makes every file it writes stop growing at
    ``limit_bytes``: writes past it fail as on a full disk (EFBIG; Python ignores SIGXFSZ)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply


def run_kindbreak(
    args: Sequence[str],
    home: Path,
    *,
    preexec: Callable[[], None] | None = None,
    timeout_s: float = 120.0,
    stdin: str | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kindbreak", *args],
        capture_output=True,
        text=True,
        env=child_env(home, **env),
        cwd=home,
        timeout=timeout_s,
        input=stdin,
        preexec_fn=preexec,
    )


def readonly_preexec(folder: Path) -> Callable[[], None]:
    """``preexec_fn`` for children that must meet ``folder`` read-only (after
    :func:`make_readonly`); checks that the barrier holds, else fails on CI and skips here."""
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(folder / '.probe')!r}, 'w')"],
        capture_output=True,
        preexec_fn=drop_file_capabilities,
    )
    if probe.returncode == 0:
        (folder / ".probe").unlink()
        message = f"cannot make {folder} read-only for a child process here"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    return drop_file_capabilities


def make_readonly(*paths: Path) -> None:
    """chmod folders 0500 and files 0400 (the test's cleanup restores them)."""
    for p in paths:
        p.chmod(0o500 if p.is_dir() else 0o400)


def restore_writable(*paths: Path) -> None:
    for p in paths:
        if p.exists():
            p.chmod(0o700 if p.is_dir() else 0o600)


def one_line_error(
    proc: subprocess.CompletedProcess[str], status: int, *words: str, alone: bool = True
) -> tuple[str, str]:
    """The child failed with ``status``: one line naming the problem and at most one hint
    line, no traceback (``alone``: nothing else on stderr; else the last error line counts,
    after a monitor's own messages). Returns (message line, hint)."""
    err = proc.stderr
    assert proc.returncode == status, (proc.returncode, err, proc.stdout)
    assert "Traceback" not in err and "Logging error" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("kindbreak: ")]
    assert errors, err
    first = errors[-1]
    if alone:
        assert lines[0] == first, err
    for w in words:
        assert w in first, (w, first)
    after = lines[lines.index(first) + 1 :]
    assert len(after) <= 1 and all(a.startswith("  hint: ") for a in after), err
    return first, after[0][len("  hint: ") :] if after else ""


# -- a small log to break --------------------------------------------------------------------

T0 = 1_772_441_700.0


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def small_log(data: Path, *, beats: int = 40, prompt_wall: float = T0 + 20.0) -> Path:
    """A log with one session of beats and one prompt, as a monitor leaves it."""
    db = data / "kindbreak.sqlite3"
    with Store(db) as store:
        sid = store.start_session(started_wall=T0, source="ble", device_name="Polar H10")
        store.add_beats(sid, [(0.8 * (i + 1), 800.0 + i % 7, False) for i in range(beats)])
        store.add_prompt(
            session_id=sid,
            wall=prompt_wall,
            t_s=20.0,
            prompt_id="breath-1",
            kind="breath",
            title="A slow breath",
            trigger="stress",
            notifier="terminal",
            score=80.0,
            shown=True,
        )
        store.end_session(sid, T0 + 40.0)
    return db
