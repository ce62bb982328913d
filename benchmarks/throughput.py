"""Throughput of kindbreak's signal work: analyze, import, live monitoring; correctness against
NeuroKit2; memory.

Run: ``.venv/bin/python benchmarks/throughput.py [--repeat N]`` (about a minute). Every timing is
a ratio of two things measured in the same run, repeated N times (default 3) with the medians
printed, because the machine may be shared: what matters is the ratio, not the seconds.

1. ``kindbreak analyze FILE`` as a person runs it (a child process: start-up, imports, reading
   the file, the pipeline, the summary, the output) on 8 hours and on 7 days of beats written as
   RR text, beside ``python -c "import neurokit2"`` (what any analysis that used NeuroKit2 would
   pay before its first beat); the text output (the default) and ``--json`` (which prints every
   window's markers, so computes their band powers, which the text does not show). Wall and CPU
   seconds and peak memory (max RSS) of each child.
   Targets: 8 h within 0.25x the NeuroKit2 import; 7 days within 5x the 8 hours; peak memory
   of 7 days within 1.5x that of 8 hours. Also: seconds per day of beats (the 7 days' time less
   the 8 hours', per day of difference).
2. ``kindbreak import FOLDER`` of 30 FIT files (one hour of beats each) into a fresh log.
3. Window markers against NeuroKit2 (``nk.hrv_time``) on the same NN intervals, for 12 windows
   of the 8-hour analysis; the NN of a window is its definition, ``correct_rr(..., ongoing=True)``
   of every beat up to the window's end (what the stream cleaner must give), and the analysis'
   markers must be those of exactly these intervals.
4. Live monitoring: CPU the pipeline spends per second of signal (8 h of 0x2A37 notifications
   through ``Pipeline.feed``), as % of one core. Target: under 0.1 %.
5. Memory of an accelerated replay (tracemalloc): traced memory after hour 1 and at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kindbreak.offline.analysis import analyze_file
from kindbreak.signal.artifacts import correct_rr
from kindbreak.signal.hrv import compute_markers, neurokit_markers
from kindbreak.signal.pipeline import Pipeline
from kindbreak.stream import Notification, encode_measurement

ROOT = Path(__file__).resolve().parents[1]
HOURS = 8.0
WEEK_HOURS = 7 * 24.0
FIT_FILES = 30
FIT_HOURS = 1.0


def synth_rr(hours: float, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 / 0.85)
    k = np.arange(n)
    hr = 68 + 3 * np.sin(2 * np.pi * k / 5000) + 6 * (np.sin(2 * np.pi * k / 9000) > 0.9)
    rr = 60000 / hr + 30 * np.sin(2 * np.pi * k / 4.2) + 15 * np.sin(2 * np.pi * k / 11)
    rr += rng.normal(0, 10, n)
    bad = rng.random(n) < 0.003
    rr[bad] *= 0.7
    rr = rr[np.cumsum(rr) / 1000 <= hours * 3600]
    return np.round(rr, 1)


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    max_rss_mib: float


# Run in each child: its own peak resident memory (VmHWM of its process image) is written to
# stderr as it exits. (The rusage of a child counts the memory of this process it was forked
# from before it started the program, so it cannot tell a small child's peak.)
_PEAK = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM'):\n"
    "            sys.stderr.write('\\nPEAK ' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "mod, sys.argv = sys.argv[1], sys.argv[1:]\n"
    "if mod == '-c':\n"
    "    exec(sys.argv[1])\n"
    "else:\n"
    "    runpy.run_module(mod, run_name='__main__', alter_sys=True)\n"
)


def child(argv: list[str], env: dict[str, str]) -> Run:
    """Run ``python -m MODULE ARGS`` or ``python -c CODE`` (``argv`` without the interpreter);
    its wall time, CPU time (user + system) and peak resident memory."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _PEAK, *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {err}")
    peak_kib = int(err.rsplit("PEAK ", 1)[1].split()[0])
    return Run(wall, usage.ru_utime + usage.ru_stime, peak_kib / 1024.0)


def write_rr(path: Path, rr: np.ndarray) -> None:
    with path.open("w") as fh:
        for lo in range(0, rr.size, 100_000):
            fh.write("\n".join(f"{v:.1f}" for v in rr[lo : lo + 100_000]) + "\n")


def write_fit_folder(folder: Path) -> int:
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from datetime import UTC, datetime, timedelta

    from fit_writer import fit_file  # the tests' FIT encoder (file_id + hrv messages)

    folder.mkdir()
    beats = 0
    for i in range(FIT_FILES):
        rr = synth_rr(FIT_HOURS, seed=100 + i)
        start = datetime(2026, 1, 5, 7, 0, tzinfo=UTC) + timedelta(days=i)
        (folder / f"activity-{i:02d}.fit").write_bytes(fit_file(rr.tolist(), created=start))
        beats += rr.size
    return beats


def med(values: list[float]) -> float:
    return statistics.median(values)


def offline(repeat: int, tmp: Path) -> tuple[Path, int]:
    env = dict(os.environ)
    for var, sub in (("XDG_CONFIG_HOME", "c"), ("XDG_DATA_HOME", "d"), ("XDG_STATE_HOME", "s")):
        env[var] = str(tmp / sub)
    kb = ["kindbreak"]  # python -m kindbreak
    day = synth_rr(HOURS)
    week = synth_rr(WEEK_HOURS)
    day_file, week_file = tmp / "eight_hours.txt", tmp / "seven_days.txt"
    write_rr(day_file, day)
    write_rr(week_file, week)
    fit_dir = tmp / "fit"
    fit_beats = write_fit_folder(fit_dir)
    print(
        f"8 h: {day.size} beats ({day_file.stat().st_size / 1e6:.2f} MB of RR text); "
        f"7 days: {week.size} beats ({week_file.stat().st_size / 1e6:.1f} MB); "
        f"{FIT_FILES} FIT files of {FIT_HOURS:g} h: {fit_beats} beats"
    )
    floor: list[Run] = []
    runs: dict[str, list[Run]] = {k: [] for k in ("8 h", "7 days", "8 h json", "7 days json")}
    fits: list[Run] = []
    for r in range(repeat):
        floor.append(child(["-c", "import neurokit2"], env))
        runs["8 h"].append(child([*kb, "analyze", str(day_file)], env))
        runs["7 days"].append(child([*kb, "analyze", str(week_file)], env))
        runs["8 h json"].append(child([*kb, "analyze", "--json", str(day_file)], env))
        runs["7 days json"].append(child([*kb, "analyze", "--json", str(week_file)], env))
        data = tmp / f"log{r}"
        fits.append(child([*kb, "import", str(fit_dir), "--data-dir", str(data)], env))
        print(f"  repeat {r + 1}/{repeat} done")

    print("\n1. `kindbreak analyze FILE` (a child process, RR text) beside the NeuroKit2 import")
    print("   (text: the summary, windows counted, episodes; --json: every window's markers)")
    print(f"{'':30} {'wall s':>8} {'CPU s':>8} {'max RSS MiB':>12}   (median of {repeat})")
    for label, rs in (('python -c "import neurokit2"', floor), *runs.items()):
        print(
            f"{(label if label[0] == 'p' else 'analyze, ' + label):30}"
            f" {med([x.wall_s for x in rs]):8.3f} {med([x.cpu_s for x in rs]):8.3f}"
            f" {med([x.max_rss_mib for x in rs]):12.1f}"
        )

    def ratio(a: list[Run], b: list[Run], field: str) -> list[float]:
        return [getattr(x, field) / getattr(y, field) for x, y in zip(a, b, strict=True)]

    ratios: dict[str, tuple[list[float], list[float]]] = {}
    for mode, sfx in (("text", ""), ("--json", " json")):
        hrs, wk = runs["8 h" + sfx], runs["7 days" + sfx]
        ratios[f"{mode}: 8 h / NeuroKit2 import (<= 0.25)"] = (
            ratio(hrs, floor, "wall_s"),
            ratio(hrs, floor, "cpu_s"),
        )
        ratios[f"{mode}: 7 days / 8 h (<= 5)"] = (ratio(wk, hrs, "wall_s"), ratio(wk, hrs, "cpu_s"))
        ratios[f"{mode}: peak memory 7 days / 8 h (<= 1.5)"] = (
            ratio(wk, hrs, "max_rss_mib"),
            [],
        )
    print(f"\n{'ratio, same run':42} {'wall':>6} {'CPU':>6}   each repeat (wall)")
    for label, (wall, cpu) in ratios.items():
        c = f"{med(cpu):6.2f}" if cpu else f"{'':6}"
        each = " ".join(f"{v:.2f}" for v in wall)
        print(f"{label:42} {med(wall):6.2f} {c}   {each}")
    days = (WEEK_HOURS - HOURS) / 24.0
    for mode, sfx in (("text", ""), ("--json", " json")):
        hrs, wk = runs["8 h" + sfx], runs["7 days" + sfx]
        per_wall = [(w.wall_s - e.wall_s) / days for w, e in zip(wk, hrs, strict=True)]
        per_cpu = [(w.cpu_s - e.cpu_s) / days for w, e in zip(wk, hrs, strict=True)]
        print(
            f"{mode}: seconds per day of beats (7 days less 8 h, per day): wall "
            f"{med(per_wall):.3f}, CPU {med(per_cpu):.3f}; "
            f"{week.size / med([w.wall_s for w in wk]):,.0f} beats/s over the 7 days"
        )

    print(f"\n2. `kindbreak import FOLDER` of {FIT_FILES} FIT files into a fresh log")
    print(
        f"  wall {med([x.wall_s for x in fits]):.2f} s, CPU {med([x.cpu_s for x in fits]):.2f} s"
        f", max RSS {med([x.max_rss_mib for x in fits]):.1f} MiB: "
        f"{fit_beats / med([x.wall_s for x in fits]):,.0f} beats/s, "
        f"{med([x.wall_s for x in fits]) / FIT_FILES:.3f} s per file"
    )
    return day_file, day.size


def against_neurokit(day_file: Path) -> None:
    print("\n3. Window markers vs NeuroKit2 hrv_time (NN by definition, 12 windows of the 8 h)")
    analysis = analyze_file(day_file)
    t = np.frombuffer(analysis.beats.t_s, dtype=np.float64)
    r = np.frombuffer(analysis.beats.rr_ms, dtype=np.float64)
    g = np.frombuffer(analysis.beats.gap_before, dtype=np.int8).astype(bool)
    worst: dict[str, float] = {}
    same = True
    picks = np.linspace(0, len(analysis.windows) - 1, 12).astype(int)
    for i in picks:
        w = analysis.windows[int(i)]
        upto = t <= w.end_s
        c = correct_rr(r[upto], t[upto], g[upto], ongoing=True)
        inside = (c.t_s > w.start_s) & (c.t_s <= w.end_s)
        nn, nt, brk = c.rr_ms[inside], c.t_s[inside], c.breaks[inside]
        same &= repr(compute_markers(nn, nt, breaks=brk)) == repr(w.markers)
        # NeuroKit2 leaves out differences whose beat times do not chain; the window has no
        # gap, so give it the chained times of the corrected intervals.
        chained = nt[0] + np.cumsum(nn) / 1000.0 - nn[0] / 1000.0
        ref = neurokit_markers(nn, chained)
        for name in ("mean_rr_ms", "mean_hr_bpm", "sdnn_ms", "rmssd_ms", "pnn50_pct"):
            ours = getattr(w.markers, name)
            theirs = getattr(ref, name)
            rel = abs(ours - theirs) / abs(theirs) if theirs else abs(ours - theirs)
            worst[name] = max(worst.get(name, 0.0), rel)
    print(f"  the analysis' windows are the markers of correct_rr up to their end: {same}")
    for name, rel in worst.items():
        print(f"  {name:14} max relative difference {100 * rel:.2e} %")


def notifications(rr: np.ndarray) -> list[Notification]:
    """One notification per beat, arriving at the beat (what a strap sends at rest)."""
    t = np.cumsum(rr) / 1000.0
    return [
        Notification(float(ti), encode_measurement(round(60000 / r), rr_ms=(float(r),)))
        for ti, r in zip(t, rr, strict=True)
    ]


def live(repeat: int) -> None:
    notes = notifications(synth_rr(HOURS))
    span = notes[-1].t_s - notes[0].t_s
    shares = []
    for _ in range(repeat):
        pipe = Pipeline()
        c0 = time.process_time()
        for n in notes:
            pipe.feed(n)
        shares.append(100 * (time.process_time() - c0) / span)
    print("\n4. Live monitoring (8 h of notifications through Pipeline.feed)")
    print(
        f"  CPU {med(shares) * span / 100:.2f} s for {span / 3600:.2f} h of signal: "
        f"{med(shares):.4f} % of one core (target < 0.1 %); each repeat: "
        + " ".join(f"{v:.4f}" for v in shares)
    )

    print("\n5. Memory of an accelerated replay (tracemalloc)")
    tracemalloc.start()
    pipe = Pipeline()
    marks: dict[int, float] = {}
    for n in notes:
        pipe.feed(n)
        hour = int(n.t_s // 3600)
        if hour == 1:
            marks.setdefault(hour, tracemalloc.get_traced_memory()[0] / 1024)
    final = tracemalloc.get_traced_memory()[0] / 1024
    tracemalloc.stop()
    h1 = marks.get(1, math.nan)
    print(
        f"  traced after hour 1: {h1:.0f} KiB; at the end (hour {span / 3600:.1f}): "
        f"{final:.0f} KiB; growth {final - h1:+.0f} KiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        day_file, _ = offline(args.repeat, Path(tmp))
        against_neurokit(day_file)
    live(args.repeat)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
