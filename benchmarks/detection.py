"""Stress detection benchmark: real wrist data (Stress-Predict) and seeded synthetic days.

Run: ``.venv/bin/python benchmarks/detection.py`` (about a minute). Prints two tables; the
latest figures are copied into ``benchmarks/README.md``.

Stress-Predict: every subject's beats go through the real :class:`Pipeline` with
``feed_beat`` (times relative to the first beat, the CSV's ``gap_before``). A window's label is
the majority label of the beats in its last 60 s (the span its recent heart rate covers);
windows whose quality is poor carry no score and are left out of the metrics (the share kept is
printed). Per subject: balanced accuracy of the window's ``stressed`` (detector state) and AUC
of its ``score``, beside the naive rule (mean HR of the last 60 s minus the median HR of the
first 5 minutes, above 3 bpm) on the same windows. LOSO: the score's few parameters are chosen
on the other subjects by grid search and applied to the held-out one.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from kindbreak.signal.baseline import Baseline
from kindbreak.signal.detector import Detector, DetectorParams, EventKind
from kindbreak.signal.pipeline import Pipeline, PipelineSettings, WindowResult
from kindbreak.signal.score import ScoreParams, stress_score

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "stress-predict"
LABEL_SPAN_S = 60.0


# -- metrics -----------------------------------------------------------------------------


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count half); nan with one class."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return math.nan
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size)
    sorted_s = s[order]
    i = 0
    while i < s.size:
        j = i
        while j + 1 < s.size and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def balanced_accuracy(pred: Sequence[bool], labels: Sequence[bool]) -> float:
    p = np.asarray(pred, dtype=bool)
    y = np.asarray(labels, dtype=bool)
    if y.all() or (~y).all():
        return math.nan
    return 0.5 * (float((p & y).sum() / y.sum()) + float((~p & ~y).sum() / (~y).sum()))


# -- Stress-Predict ----------------------------------------------------------------------


@dataclass
class Subject:
    name: str
    t_s: np.ndarray
    rr_ms: np.ndarray
    gap: np.ndarray
    label: np.ndarray


def load_subject(path: Path) -> Subject:
    d = np.loadtxt(path, delimiter=",", skiprows=1)
    return Subject(path.stem, d[:, 1] - d[0, 1], d[:, 2], d[:, 3] > 0, d[:, 4] > 0)


@dataclass
class Scored:
    """The scored windows of one subject, with what is needed to re-score them."""

    windows: list[WindowResult]
    labels: np.ndarray
    naive: np.ndarray
    baseline: Baseline | None
    n_windows: int


def run_subject(sub: Subject, settings: PipelineSettings) -> Scored:
    pipe = Pipeline(settings)
    windows: list[WindowResult] = []
    for t, rr, gap in zip(sub.t_s, sub.rr_ms, sub.gap, strict=True):
        windows.extend(pipe.feed_beat(float(t), float(rr), gap_before=bool(gap)).windows)
    windows.extend(pipe.finish(float(sub.t_s[-1])).windows)
    first5 = 60000.0 / sub.rr_ms[sub.t_s <= 300.0]
    naive_base = float(np.median(first5)) if first5.size else math.nan
    kept, labels, naive = [], [], []
    for w in windows:
        if w.score is None:
            continue
        span = (sub.t_s > w.end_s - LABEL_SPAN_S) & (sub.t_s <= w.end_s)
        if not span.any():
            continue
        kept.append(w)
        labels.append(float(sub.label[span].mean()) >= 0.5)
        naive.append(60000.0 / float(sub.rr_ms[span].mean()) - naive_base)
    return Scored(kept, np.array(labels), np.array(naive), pipe.baseline, len(windows))


def rescore(sc: Scored, score: ScoreParams, det: DetectorParams) -> tuple[np.ndarray, np.ndarray]:
    """Scores and detector states of the kept windows under other parameters (the same
    functions the pipeline calls, applied to the windows it produced)."""
    assert sc.baseline is not None
    detector = Detector(det)
    scores, stressed = [], []
    for w in sc.windows:
        s = stress_score(w.recent_hr_bpm, w.markers.rmssd_ms, sc.baseline, score)
        detector.update(w.end_s, s)
        scores.append(s)
        stressed.append(detector.stressed)
    return np.array(scores), np.array(stressed)


def grid() -> list[tuple[ScoreParams, DetectorParams]]:
    out = []
    for mid in (2.0, 3.0, 4.0, 5.0):
        for k in (0.0, 2.0, 4.0):
            out.append(
                (replace(ScoreParams(), midpoint_bpm=mid, hrv_bpm_per_ln=k), DetectorParams())
            )
    return out


def stress_predict(settings: PipelineSettings) -> dict[str, float]:
    files = sorted(DATA.glob("S*.csv"))
    if not files:
        sys.exit(f"no Stress-Predict files in {DATA}")
    runs = {f.stem: run_subject(load_subject(f), settings) for f in files}
    candidates = grid()
    # Per-candidate, per-subject (BA, AUC) for LOSO selection.
    table: dict[int, dict[str, tuple[float, float]]] = {}
    for ci, (sp, dp) in enumerate(candidates):
        table[ci] = {}
        for name, sc in runs.items():
            if len(sc.windows) < 4 or sc.baseline is None:
                continue
            s, st = rescore(sc, sp, dp)
            table[ci][name] = (balanced_accuracy(st, sc.labels), auc(s, sc.labels))
    print("\nStress-Predict (wrist PPG), window label = majority label of the beats in the")
    print("window's last 60 s; metrics over good (scored) windows")
    print(
        f"{'subject':8} {'windows':>8} {'scored':>7} {'BA':>6} {'AUC':>6} {'naive BA':>9} "
        f"{'naive AUC':>10} {'LOSO BA':>8} {'LOSO AUC':>9}"
    )
    rows = []
    oracle: list[float] = []
    for name, sc in runs.items():
        labels = sc.labels
        if len(sc.windows) < 4:
            print(f"{name:8} {sc.n_windows:8d} {len(sc.windows):7d}   (too few scored windows)")
            continue
        ba = balanced_accuracy([w.stressed for w in sc.windows], labels)
        au = auc([w.score or 0.0 for w in sc.windows], labels)
        nba = balanced_accuracy(sc.naive > 3.0, labels)
        # Upper bound for any heart-rate threshold: the best threshold chosen per subject
        # with hindsight (an oracle no real detector has).
        oracle.append(
            max(balanced_accuracy(sc.naive > th, labels) for th in np.arange(-5.0, 20.0, 0.25))
        )
        nau = auc(sc.naive, labels)

        # LOSO: the candidate with the best mean (BA + AUC) on the other subjects.
        def others(ci: int, held: str = name) -> float:
            vals = [
                sum(v) for n, v in table[ci].items() if n != held and all(map(math.isfinite, v))
            ]
            return statistics.fmean(vals)

        best = max(table, key=others)
        lba, lau = table[best].get(name, (math.nan, math.nan))
        rows.append((ba, au, nba, nau, lba, lau))
        print(
            f"{name:8} {sc.n_windows:8d} {len(sc.windows):7d} {ba:6.3f} {au:6.3f} {nba:9.3f} "
            f"{nau:10.3f} {lba:8.3f} {lau:9.3f}"
        )
    m = np.nanmean(np.array(rows), axis=0)
    print(
        f"upper bound for heart-rate thresholds: best threshold per subject, chosen with "
        f"hindsight: mean BA {np.nanmean(oracle):.3f}"
    )
    n_all = sum(sc.n_windows for sc in runs.values())
    n_kept = sum(len(sc.windows) for sc in runs.values())
    print(
        f"{'mean':8} {n_all:8d} {n_kept:7d} {m[0]:6.3f} {m[1]:6.3f} {m[2]:9.3f} {m[3]:10.3f} "
        f"{m[4]:8.3f} {m[5]:9.3f}"
    )
    return {
        "ba": m[0],
        "auc": m[1],
        "naive_ba": m[2],
        "naive_auc": m[3],
        "loso_ba": m[4],
        "loso_auc": m[5],
    }


# -- synthetic days ----------------------------------------------------------------------


@dataclass
class Day:
    """A seeded synthetic recording: beats, contact gaps and stress episodes (s)."""

    t_s: np.ndarray
    rr_ms: np.ndarray
    gap: np.ndarray
    episodes: list[tuple[float, float]]
    gaps: list[tuple[float, float]]


def synth_day(seed: int, hours: float, *, episodes: int = 0, calm_start_s: float = 900.0) -> Day:
    """Seated desk work: HR 60-75 bpm drifting slowly (SD ~1.5 bpm, ~30 min correlation),
    respiratory (0.25 Hz) and Mayer-wave (0.1 Hz) oscillations, beat noise; artifacts (0.3 %
    ectopic beats, 0.2 % missed, 0.2 % extra); contact gaps of 10 s to 5 min about twice an
    hour. Stress episodes of 5-15 min raise HR by 6-12 bpm over ~45 s and lower RMSSD by
    20-40 %."""
    rng = np.random.default_rng(seed)
    total_s = hours * 3600.0
    hr0 = rng.uniform(60.0, 75.0)
    # Slow drift: an Ornstein-Uhlenbeck process sampled every 10 s.
    n_drift = int(total_s / 10.0) + 2
    drift = np.zeros(n_drift)
    a = math.exp(-10.0 / 1800.0)
    for i in range(1, n_drift):
        drift[i] = a * drift[i - 1] + math.sqrt(1 - a * a) * 1.5 * rng.standard_normal()
    eps: list[tuple[float, float, float, float]] = []
    if episodes:
        slot = (total_s - calm_start_s) / episodes
        for k in range(episodes):
            dur = rng.uniform(300.0, 900.0)
            start = calm_start_s + k * slot + rng.uniform(0.0, max(slot - dur - 600.0, 1.0))
            eps.append((start, start + dur, rng.uniform(6.0, 12.0), rng.uniform(0.6, 0.8)))
    gaps: list[tuple[float, float]] = []
    for _ in range(int(rng.poisson(2.0 * hours))):
        g0 = rng.uniform(0.0, total_s)
        gaps.append((g0, g0 + rng.uniform(10.0, 300.0)))
    t = 0.0
    ts, rrs, gapf = [], [], []
    phase_r = phase_m = 0.0
    pending_gap = False
    while t < total_s:
        hr = hr0 + float(np.interp(t, np.arange(n_drift) * 10.0, drift))
        amp = 1.0
        for s0, s1, dhr, damp in eps:
            if s0 <= t < s1 + 60.0:
                ramp = min(1.0, (t - s0) / 45.0) * (
                    1.0 if t < s1 else max(0.0, 1 - (t - s1) / 60.0)
                )
                hr += dhr * ramp
                amp *= 1.0 - (1.0 - damp) * ramp
        base_rr = 60000.0 / hr
        rr = base_rr + amp * (28.0 * math.sin(phase_r) + 18.0 * math.sin(phase_m))
        rr += amp * 9.0 * rng.standard_normal()
        phase_r += 2 * math.pi * 0.25 * rr / 1000.0
        phase_m += 2 * math.pi * 0.1 * rr / 1000.0
        t += rr / 1000.0
        if any(g0 <= t < g1 for g0, g1 in gaps):
            pending_gap = True
            continue
        u = rng.random()
        if u < 0.003 and rrs:  # ectopic: early beat, compensatory pause
            early = 0.7 * rr
            ts.append(t - rr / 1000.0 + early / 1000.0)
            rrs.append(early)
            gapf.append(pending_gap)
            ts.append(t)
            rrs.append(rr - early + rr)
            t += rr / 1000.0
            gapf.append(False)
        elif u < 0.005:  # missed beat: this interval and the next merge
            t += rr / 1000.0
            ts.append(t)
            rrs.append(2 * rr)
            gapf.append(pending_gap)
        elif u < 0.007:  # extra beat: a spurious detection splits the interval
            ts.append(t - 0.6 * rr / 1000.0)
            rrs.append(0.4 * rr)
            gapf.append(pending_gap)
            ts.append(t)
            rrs.append(0.6 * rr)
            gapf.append(False)
        else:
            ts.append(t)
            rrs.append(rr)
            gapf.append(pending_gap)
        pending_gap = False
    return Day(np.array(ts), np.array(rrs), np.array(gapf), [(e[0], e[1]) for e in eps], gaps)


def run_day(day: Day, settings: PipelineSettings) -> list[tuple[float, EventKind]]:
    pipe = Pipeline(settings)
    events: list[tuple[float, EventKind]] = []
    for t, rr, gap in zip(day.t_s, day.rr_ms, day.gap, strict=True):
        for ev in pipe.feed_beat(float(t), float(rr), gap_before=bool(gap)).events:
            events.append((ev.t_s, ev.kind))
    for ev in pipe.finish(float(day.t_s[-1])).events:
        events.append((ev.t_s, ev.kind))
    return events


def synthetic_benchmark(
    settings: PipelineSettings, *, calm_days: int = 4, stress_days: int = 8
) -> dict[str, float]:
    calm_hours = 0.0
    false_calm = 0
    in_gap = 0
    for seed in range(calm_days):
        day = synth_day(1000 + seed, 8.0)
        calm_hours += 8.0
        rising = [t for t, k in run_day(day, settings) if k is EventKind.RISING]
        false_calm += len(rising)
        in_gap += sum(any(g0 <= t < g1 for g0, g1 in day.gaps) for t in rising)
    delays: list[float] = []
    n_eps = caught = false_stress = 0
    stress_calm_s = 0.0
    for seed in range(stress_days):
        day = synth_day(2000 + seed, 4.0, episodes=5)
        rising = [t for t, k in run_day(day, settings) if k is EventKind.RISING]
        stress_calm_s += 4 * 3600.0 - sum(e1 - e0 + 300.0 for e0, e1 in day.episodes)
        used: set[float] = set()
        for e0, e1 in day.episodes:
            n_eps += 1
            hits = [t for t in rising if e0 <= t <= e1 + 60.0]
            if hits:
                caught += 1
                delays.append(hits[0] - e0)
                used.update(hits)
        false_stress += sum(
            1
            for t in rising
            if t not in used and not any(e0 <= t <= e1 + 300.0 for e0, e1 in day.episodes)
        )
        in_gap += sum(any(g0 <= t < g1 for g0, g1 in day.gaps) for t in rising)
    per8 = 8.0 * false_calm / calm_hours
    per8_stress = 8.0 * 3600.0 * false_stress / stress_calm_s
    med = statistics.median(delays) if delays else math.nan
    print("\nSynthetic (seeded): calm 8-h days, and 4-h days with five 5-15 min episodes")
    print(f"{'measure':44} {'value':>10} {'target':>10}")
    print(f"{'episodes caught':44} {f'{caught}/{n_eps}':>10} {'>= 90 %':>10}")
    print(f"{'  share':44} {100.0 * caught / n_eps:9.1f}% {'':>10}")
    print(f"{'median delay onset -> prompt (s)':44} {med:10.0f} {'<= 120':>10}")
    p90 = float(np.percentile(delays, 90)) if delays else math.nan
    print(f"{'90th percentile delay (s)':44} {p90:10.0f} {'':>10}")
    print(f"{'false prompts per 8 calm hours (calm days)':44} {per8:10.2f} {'<= 1':>10}")
    print(f"{'false prompts per 8 calm hours (stress days)':44} {per8_stress:10.2f} {'<= 1':>10}")
    print(f"{'prompts during contact loss':44} {in_gap:10d} {'0':>10}")
    print(f"({calm_days} calm days = {calm_hours:.0f} h; {stress_days} stress days of 4 h)")
    return {"caught": caught / n_eps, "delay": med, "false_per8": per8, "in_gap": in_gap}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--only", choices=["wrist", "synthetic"], default=None)
    args = ap.parse_args(argv)
    settings = PipelineSettings()
    if args.only in (None, "wrist"):
        stress_predict(settings)
    if args.only in (None, "synthetic"):
        synthetic_benchmark(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
