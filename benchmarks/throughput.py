"""Throughput of the signal pipeline: offline analysis, live replay CPU, memory, correctness.

Run: ``.venv/bin/python benchmarks/throughput.py``. Prints:

1. ``python -c "import neurokit2"`` (the floor: any analysis that uses NeuroKit2 pays it),
   measured in this run, and ``analyze_file`` of 8 hours of beats (~34,000) written to an RR
   text file; the target is at most twice the import.
2. The markers of a sample of the analysis' windows against NeuroKit2 (``nk.hrv_time``) on the
   same NN intervals: the largest relative difference per marker.
3. Live monitoring at real-time speed: CPU seconds the pipeline spends per second of replayed
   signal (8 h of 0x2A37 notifications through ``Pipeline.feed``), as % of one core.
4. Memory: tracemalloc of an accelerated replay, traced memory after hour 1 and after hour 8.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from kindbreak.offline.analysis import analyze_file
from kindbreak.signal.artifacts import correct_rr
from kindbreak.signal.hrv import neurokit_markers
from kindbreak.signal.pipeline import Pipeline
from kindbreak.stream import Notification, encode_measurement

HOURS = 8.0


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


def import_floor_s() -> tuple[float, float]:
    """Wall and CPU (user + sys of the child) seconds of ``import neurokit2``."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import neurokit2"], check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def notifications(rr: np.ndarray) -> list[Notification]:
    """One notification per beat, arriving at the beat (what a strap sends at rest)."""
    t = np.cumsum(rr) / 1000.0
    return [
        Notification(float(ti), encode_measurement(round(60000 / r), rr_ms=(float(r),)))
        for ti, r in zip(t, rr, strict=True)
    ]


def main() -> int:
    rr = synth_rr(HOURS)
    print(f"8 h of beats: {rr.size} intervals")
    wall_imp, cpu_imp = import_floor_s()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "eight_hours.txt"
        path.write_text("\n".join(f"{v:.1f}" for v in rr) + "\n")
        t0, c0 = time.perf_counter(), time.process_time()
        analysis = analyze_file(path)
        wall_an, cpu_an = time.perf_counter() - t0, time.process_time() - c0
    print("\n1. Offline analysis (analyze_file) vs the NeuroKit2 import floor")
    print(f"{'':34} {'wall s':>8} {'CPU s':>8}")
    label = 'python -c "import neurokit2"'
    print(f"{label:34} {wall_imp:8.2f} {cpu_imp:8.2f}")
    print(f"{'analyze_file, 8 h':34} {wall_an:8.2f} {cpu_an:8.2f}")
    print(f"{'ratio (target <= 2)':34} {wall_an / wall_imp:8.2f} {cpu_an / cpu_imp:8.2f}")
    print(f"windows: {len(analysis.windows)}, episodes: {len(analysis.episodes)}")

    print("\n2. Window markers vs NeuroKit2 hrv_time (same corrected NN, 12 windows)")
    beats = analysis.beats
    t = np.array([b.t_s for b in beats])
    r = np.array([b.rr_ms for b in beats])
    worst: dict[str, float] = {}
    picks = np.linspace(0, len(analysis.windows) - 1, 12).astype(int)
    for i in picks:
        w = analysis.windows[int(i)]
        m = (t > w.start_s) & (t <= w.end_s)
        c = correct_rr(r[m], t[m])
        # NeuroKit2 leaves out differences whose beat times do not chain; the window has no
        # gap, so give it the chained times of the corrected intervals.
        chained = c.t_s[0] + np.cumsum(c.rr_ms) / 1000.0 - c.rr_ms[0] / 1000.0
        ref = neurokit_markers(c.rr_ms, chained)
        for name in ("mean_rr_ms", "mean_hr_bpm", "sdnn_ms", "rmssd_ms", "pnn50_pct"):
            ours = getattr(w.markers, name)
            theirs = getattr(ref, name)
            rel = abs(ours - theirs) / abs(theirs) if theirs else abs(ours - theirs)
            worst[name] = max(worst.get(name, 0.0), rel)
    for name, rel in worst.items():
        print(f"  {name:14} max relative difference {100 * rel:.2e} %")

    print("\n3. Live replay CPU (8 h of notifications through Pipeline.feed)")
    notes = notifications(rr)
    pipe = Pipeline()
    c0 = time.process_time()
    for n in notes:
        pipe.feed(n)
    cpu = time.process_time() - c0
    span = notes[-1].t_s - notes[0].t_s
    print(
        f"  CPU {cpu:.2f} s for {span / 3600:.2f} h of signal: "
        f"{100 * cpu / span:.3f} % of one core (target < 2 %)"
    )

    print("\n4. Memory of an accelerated replay (tracemalloc)")
    tracemalloc.start()
    pipe = Pipeline()
    marks: dict[int, float] = {}
    for n in notes:
        pipe.feed(n)
        hour = int(n.t_s // 3600)
        if hour in (1, 8) or n is notes[-1]:
            marks.setdefault(hour, tracemalloc.get_traced_memory()[0] / 1024)
    final = tracemalloc.get_traced_memory()[0] / 1024
    tracemalloc.stop()
    h1 = marks.get(1, math.nan)
    print(
        f"  traced after hour 1: {h1:.0f} KiB; at the end (hour {span / 3600:.1f}): "
        f"{final:.0f} KiB; growth {final - h1:+.0f} KiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
