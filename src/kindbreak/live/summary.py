"""What a session was, for the person at its end: :class:`SessionSummary` (a sink) tallies it
into a :class:`SessionReport`, :func:`session_summary` says it in plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from kindbreak.durations import format_duration as dur
from kindbreak.live.events import (
    BeatsPlaced,
    EpisodeRising,
    Event,
    Noted,
    TimeAdvanced,
    WindowClosed,
)
from kindbreak.live.prompt_sink import HeldPrompt, PromptRecord
from kindbreak.live.sink import Sink
from kindbreak.signal.notes import NoteKind
from kindbreak.signal.score import Band, band_of


@dataclass(slots=True)
class SessionReport:
    session_id: int
    duration_s: float = 0.0
    band_s: dict[Band, float] = field(default_factory=lambda: {b: 0.0 for b in Band})
    poor_s: float = 0.0
    calibrating_s: float = 0.0
    prompts: list[PromptRecord] = field(default_factory=list)
    held: list[HeldPrompt] = field(default_factory=list)
    episodes: int = 0
    beats: int = 0
    windows: int = 0
    notes: list[str] = field(default_factory=list)
    #: The signal that ended the session ("SIGINT": Ctrl-C, "SIGTERM"), None if it ended itself.
    stopped_by: str | None = None


class SessionSummary(Sink):
    """Tallies the session: time in each band (a window stands for one step), episodes, beats,
    notes. The prompts sent and held back are the prompt sink's, added at the end."""

    def __init__(self, session_id: int, step_s: float) -> None:
        self.report = SessionReport(session_id=session_id)
        self.step_s = step_s

    async def handle(self, event: Event) -> None:
        r = self.report
        match event:
            case BeatsPlaced(beats=beats):
                r.beats += len(beats)
            case WindowClosed(window=w):
                r.windows += 1
                if w.score is not None:
                    r.band_s[band_of(w.score)] += self.step_s
                elif w.calibrating:
                    r.calibrating_s += self.step_s
                else:
                    r.poor_s += self.step_s
            case EpisodeRising():
                r.episodes += 1
            case Noted(note=note) if note.kind is not NoteKind.MALFORMED_PACKET:
                r.notes.append(note.text)
            case TimeAdvanced(t_s=t_s):
                r.duration_s = t_s


def session_summary(report: SessionReport, zone: tzinfo) -> str:
    lines = [
        "",
        f"Session summary ({dur(report.duration_s)} of heartbeats, {report.beats} beats)",
    ]
    scored = sum(report.band_s.values())
    if not scored:
        lines.append(
            "  no stress scores yet: kindbreak needs about 5 minutes of clean beats for its "
            "first window, and learns your calm baseline first"
        )
    for band, seconds in report.band_s.items() if scored else ():
        share = 100.0 * seconds / scored
        lines.append(f"  {band.value:<7} {dur(seconds):>12}  {share:5.1f} % of scored time")
    if report.calibrating_s:
        lines.append(f"  learning your baseline: {dur(report.calibrating_s)}")
    if report.poor_s:
        lines.append(f"  not scored (signal too noisy or strap off): {dur(report.poor_s)}")
    lines.append(f"  stress episodes: {report.episodes}")
    if report.prompts:
        lines.append(f"  prompts sent: {len(report.prompts)}")
        for p in report.prompts:
            when = datetime.fromtimestamp(p.wall, zone).strftime("%H:%M")
            score = "" if p.score is None else f", stress {p.score:.0f}"
            lines.append(
                f"    {when} (at {dur(p.t_s)}{score}) {p.title} [{p.kind}, via {p.notifier}]"
            )
    else:
        lines.append("  prompts sent: none")
    for h in report.held:
        when = datetime.fromtimestamp(h.wall, zone).strftime("%H:%M")
        lines.append(f"    {when} (at {dur(h.t_s)}) stress rose again; no prompt: {h.why}")
    return "\n".join(lines) + "\n"
