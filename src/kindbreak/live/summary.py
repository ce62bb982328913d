"""Plain-text summary for the terminal at the end of a session or demo."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kindbreak.live.session import SessionReport


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
