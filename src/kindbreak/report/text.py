"""Plain-text summaries for the terminal: the end of a session or demo, and ``analyze``."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kindbreak.offline.analysis import Analysis
    from kindbreak.session import SessionReport


def _dur(seconds: float) -> str:
    m = round(seconds / 60.0)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def session_summary(report: SessionReport) -> str:
    lines = ["", f"Session summary ({_dur(report.duration_s)} of heartbeats, {report.beats} beats)"]
    scored = sum(report.band_s.values())
    if not scored:
        lines.append(
            "  no stress scores yet: kindbreak needs about 5 minutes of clean beats for its "
            "first window, and learns your calm baseline first"
        )
    for band, seconds in report.band_s.items() if scored else ():
        share = 100.0 * seconds / scored
        lines.append(f"  {band.value:<7} {_dur(seconds):>12}  {share:5.1f} % of scored time")
    if report.calibrating_s:
        lines.append(f"  learning your baseline: {_dur(report.calibrating_s)}")
    if report.poor_s:
        lines.append(f"  not scored (signal too noisy or strap off): {_dur(report.poor_s)}")
    lines.append(f"  stress episodes: {report.episodes}")
    if report.prompts:
        lines.append(f"  prompts sent: {len(report.prompts)}")
        for p in report.prompts:
            when = datetime.fromtimestamp(p.wall).astimezone().strftime("%H:%M")
            score = "" if p.score is None else f", stress {p.score:.0f}"
            lines.append(
                f"    {when} (at {_dur(p.t_s)}{score}) {p.title} [{p.kind}, via {p.notifier}]"
            )
    else:
        lines.append("  prompts sent: none")
    for h in report.held:
        when = datetime.fromtimestamp(h.wall).astimezone().strftime("%H:%M")
        lines.append(f"    {when} (at {_dur(h.t_s)}) stress rose again; no prompt: {h.why}")
    return "\n".join(lines) + "\n"


def _f(x: float | None, fmt: str) -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, fmt)


def analysis_text(a: Analysis) -> str:
    from kindbreak.offline.analysis import summary

    s = summary(a)
    lines = [f"{a.path}", f"  beats {s['n_beats']}, {_dur(s.get('duration_s') or 0.0)}"]
    if s["n_beats"]:
        lines.append(
            f"  mean HR {_f(s['mean_hr_bpm'], '.1f')} bpm, "
            f"mean RR {_f(s['mean_rr_ms'], '.1f')} ms, "
            f"SDNN {_f(s['sdnn_ms'], '.1f')} ms, RMSSD {_f(s['rmssd_ms'], '.1f')} ms, "
            f"pNN50 {_f(s['pnn50_pct'], '.1f')} %"
        )
        lines.append(
            f"  LF {_f(s['lf_ms2'], '.0f')} ms², HF {_f(s['hf_ms2'], '.0f')} ms², "
            f"LF/HF {_f(s['lf_hf'], '.2f')}, stress index {_f(s['stress_index'], '.1f')}, "
            f"artifacts {_f(s['artifact_pct'], '.1f')} %"
        )
    good = [w for w in a.windows if w.score is not None]
    lines.append(f"  windows {len(a.windows)} ({len(good)} scored)")
    for e in a.episodes:
        lines.append(
            f"  stress episode {_dur(e.start_s)} to {_dur(e.end_s)}, peak {e.peak_score:.0f}, "
            f"prompt at {_dur(e.prompt_s)}"
        )
    if not a.episodes:
        lines.append("  no stress episodes")
    lines.extend(f"  note: {n}" for n in a.notes)
    return "\n".join(lines) + "\n"
