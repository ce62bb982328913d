"""Faults: the log shared with a running monitor, kill -9 at random moments, a huge RR file.

Run: ``.venv/bin/python benchmarks/faults.py`` (about 10 minutes on 2 cores; ``--only`` picks
parts). Prints:

1. ``kindbreak log done`` called 100 times (4 at once) while ``monitor --replay`` runs the
   bundled 64-minute workday at 30x: how many failed (goal 0 of 100), the slowest call, and
   whether the monitor and the log came through whole. ``--src DIR`` runs another source tree
   (for example an old checkout's ``src``) to compare.
2. ``kill -9`` of ``monitor --replay`` at 20 random moments (seeded): after each, the log's
   ``PRAGMA integrity_check``, whether the stored beats are exactly the first beats of the
   recording (nothing lost in the middle, nothing half-written), how many, and whether
   ``kindbreak log`` and ``report`` work on that log at once.
3. ``analyze`` and ``import`` of an RR text file of 1,000,000 lines (9 days of beats; goal:
   peak memory under 300 MB), each in its own process: peak resident memory and wall time.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKDAY = REPO / "src" / "kindbreak" / "data" / "workday.jsonl"


def env_for(src: Path, home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(src),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "LANG": "C.UTF-8",
    }


def kindbreak(*args: str) -> list[str]:
    return [sys.executable, "-m", "kindbreak", *args]


def wait_for_session(db: Path, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the monitor ended before it started a session")
        if db.exists():
            try:
                with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
                    if conn.execute("SELECT count(*) FROM beats").fetchone()[0] > 0:
                        return
            except sqlite3.Error:
                pass
        time.sleep(0.05)
    raise RuntimeError("no session after a minute")


# -- 1. log while a monitor writes -----------------------------------------------------------------


def concurrent_log(src: Path, calls: int = 100, parallel: int = 4) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        data = home / "data"
        env = env_for(src, home)
        monitor = subprocess.Popen(
            kindbreak(
                *("monitor", "--replay", str(WORKDAY), "--speed", "30"),
                *("--data-dir", str(data), "--notifier", "terminal", "--quiet"),
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        db = data / "kindbreak.sqlite3"
        wait_for_session(db, monitor)

        def one(_: int) -> tuple[int, float, str, bool]:
            t0 = time.perf_counter()
            p = subprocess.run(
                kindbreak("log", "done", "--data-dir", str(data)),
                capture_output=True,
                text=True,
                env=env,
            )
            during = monitor.poll() is None
            first = p.stderr.splitlines()[0] if p.stderr else ""
            return p.returncode, time.perf_counter() - t0, first, during

        t0 = time.perf_counter()
        with ThreadPoolExecutor(parallel) as pool:
            results = list(pool.map(one, range(calls)))
        spent = time.perf_counter() - t0
        _, monitor_err = monitor.communicate(timeout=600)
        failed = [r for r in results if r[0] != 0]
        during = sum(r[3] for r in results)
        with closing(sqlite3.connect(db)) as conn:
            practices = conn.execute("SELECT count(*) FROM practices").fetchone()[0]
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            ended = conn.execute("SELECT count(*) FROM sessions WHERE ended_wall IS NOT NULL")
            n_ended = ended.fetchone()[0]
    print(f"1. kindbreak log done x{calls} ({parallel} at once) during monitor --replay --speed 30")
    print(f"   source tree: {src}")
    print(f"   failed: {len(failed)} of {calls} (goal 0); {during} calls ran while the monitor ran")
    for msg in sorted({r[2] for r in failed})[:3]:
        print(f"     e.g. {msg[:150]}")
    times = sorted(r[1] for r in results)
    print(
        f"   call time: median {statistics.median(times):.2f} s, slowest {times[-1]:.2f} s "
        f"({spent:.0f} s for all)"
    )
    print(
        f"   monitor exit {monitor.returncode}, sessions closed {n_ended}, practices stored "
        f"{practices} (= successes {calls - len(failed)}), integrity {integrity}"
    )
    if monitor.returncode:
        print(f"   monitor said: {monitor_err.decode()[-300:]}")


# -- 2. kill -9 ------------------------------------------------------------------------------------


def expected_beats() -> list[tuple[float, float]]:
    from kindbreak.devices.recording import RecordingReader
    from kindbreak.signal.pipeline import Pipeline

    pipeline = Pipeline()
    beats: list[tuple[float, float]] = []
    last = 0.0
    for item in RecordingReader(WORKDAY):
        last = item.t_s
        beats.extend((b.t_s, b.rr_ms) for b in pipeline.feed(item).beats)
    beats.extend((b.t_s, b.rr_ms) for b in pipeline.finish(last).beats)
    return beats


def kill_nine(src: Path, moments: int = 20, seed: int = 14) -> None:
    rng = random.Random(seed)
    expected = expected_beats()
    # The whole replay at speed 0 takes a few seconds; kill anywhere within it.
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        t0 = time.perf_counter()
        subprocess.run(
            kindbreak(
                *("monitor", "--replay", str(WORKDAY), "--speed", "0"),
                *("--data-dir", str(home / "full"), "--notifier", "terminal", "--quiet"),
            ),
            env=env_for(src, home),
            capture_output=True,
            check=True,
        )
        full_s = time.perf_counter() - t0
    rows = []
    for i in range(moments):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            data = home / "data"
            env = env_for(src, home)
            delay = rng.uniform(0.0, 1.0)
            proc = subprocess.Popen(
                kindbreak(
                    *("monitor", "--replay", str(WORKDAY), "--speed", "0"),
                    *("--data-dir", str(data), "--notifier", "terminal", "--quiet"),
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            db = data / "kindbreak.sqlite3"
            wait_for_session(db, proc)
            # A random moment of the replay, from the first stored beat to the end.
            time.sleep(delay * full_s * 0.8)
            proc.kill()
            proc.wait()
            with closing(sqlite3.connect(db)) as conn:
                integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
                stored = conn.execute("SELECT t_s, rr_ms FROM beats ORDER BY rowid").fetchall()
                windows = conn.execute("SELECT count(*) FROM windows").fetchone()[0]
            prefix = stored == expected[: len(stored)]
            log_rc = subprocess.run(
                kindbreak("log", "done", "--data-dir", str(data)), env=env, capture_output=True
            ).returncode
            report_rc = subprocess.run(
                kindbreak("report", "--data-dir", str(data)), env=env, capture_output=True
            ).returncode
            rows.append(
                (
                    i,
                    delay,
                    proc.returncode,
                    integrity,
                    prefix,
                    len(stored),
                    windows,
                    log_rc,
                    report_rc,
                )
            )
    print(
        f"2. kill -9 of monitor --replay (speed 0, {full_s:.1f} s for the whole day) at "
        f"{moments} random moments (seed {seed})"
    )
    print("   kill  moment  integrity  beats-are-a-prefix  beats  windows  log  report")
    for i, delay, _rc, integ, prefix, n, w, lrc, rrc in rows:
        print(
            f"   {i + 1:4d}  {delay:6.2f}  {integ:>9}  {prefix!s:>18}  {n:5d}  {w:7d}  "
            f"{lrc:3d}  {rrc:6d}"
        )
    ok = sum(r[3] == "ok" for r in rows)
    pre = sum(r[4] for r in rows)
    usable = sum(r[7] == 0 and r[8] == 0 for r in rows)
    kept = [r[5] for r in rows]
    print(
        f"   integrity ok {ok}/{moments}; stored beats exactly the recording's first beats "
        f"{pre}/{moments}; log and report work after {usable}/{moments}"
    )
    print(
        f"   beats kept: {min(kept)} to {max(kept)} of {len(expected)} (median "
        f"{statistics.median(kept):.0f}); by design at most 1 s of session time is lost"
    )


# -- 3. a huge RR file -----------------------------------------------------------------------------


def write_rr(path: Path, lines: int, seed: int = 1) -> float:
    rng = random.Random(seed)
    total_ms = 0.0
    with path.open("w") as fh:
        for i in range(lines):
            rr = 800.0 + 60.0 * math.sin(i / 40.0) + rng.gauss(0.0, 25.0)
            total_ms += rr
            fh.write(f"{rr:.1f}\n")
    return total_ms / 1000.0


def measured(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """(exit status, wall s, peak RSS MiB, stderr tail) of a child, from wait4's rusage."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    rss_mib = usage.ru_maxrss / 1024.0 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    return proc.returncode, wall, rss_mib, err.decode()[-300:]


def huge_file(src: Path, lines: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        rr = home / "rr.txt"
        span_s = write_rr(rr, lines)
        env = env_for(src, home)
        size_mb = rr.stat().st_size / 1e6
        print(
            f"3. an RR text file of {lines:,} lines ({size_mb:.1f} MB, {span_s / 86400:.1f} "
            "days of beats), each command in its own process"
        )
        for name, cmd in (
            ("analyze --json", kindbreak("analyze", str(rr), "--json")),
            ("import", kindbreak("import", str(rr), "--data-dir", str(home / "data"))),
        ):
            rc, wall, rss, err = measured(cmd, env)
            print(
                f"   {name:<15} exit {rc}, peak memory {rss:6.0f} MiB (goal < 300), "
                f"time {wall / 60:.0f} min {wall % 60:02.0f} s"
            )
            if rc:
                print(f"     {err.strip()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", choices=("log", "kill", "huge"))
    ap.add_argument("--src", type=Path, default=REPO / "src", help="source tree to run")
    ap.add_argument("--lines", type=int, default=1_000_000, help="lines of the huge RR file")
    args = ap.parse_args()
    print(
        f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if args.only in (None, "log"):
        concurrent_log(args.src)
    if args.only in (None, "kill"):
        kill_nine(args.src)
    if args.only in (None, "huge"):
        huge_file(args.src, args.lines)


if __name__ == "__main__":
    main()
