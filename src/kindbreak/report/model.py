"""What the report says, computed from the store alone: days, band times, counts, effects.

A window stands for one step of time (the session's window step, 30 s by default), the stretch
that ends at its end; a window counts toward the local day its end falls on. Scored windows
count toward the band of their score; unscored windows of good quality are the baseline being
learned, unscored poor ones are a noisy signal or a strap off the skin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from kindbreak.report.effects import HelpSummary, Learned, help_summary, learn
from kindbreak.signal.score import Band, band_of
from kindbreak.store import queries as q
from kindbreak.store.db import Store

DEMO_SOURCE = "demo"
"""``sessions.source`` of the sessions ``kindbreak demo`` replays from recordings."""
SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 36
DEFAULT_DAYS = 7


@dataclass(slots=True)
class DaySummary:
    """One local day: the report's rows and the end-of-day notification both use it."""

    day: date
    band_s: dict[Band, float] = field(default_factory=lambda: {b: 0.0 for b in Band})
    calibrating_s: float = 0.0
    poor_s: float = 0.0
    prompts: int = 0
    done: int = 0
    skipped: int = 0
    snoozed: int = 0
    windows: list[q.WindowRec] = field(default_factory=list)
    prompt_recs: list[q.PromptRec] = field(default_factory=list)
    practice_recs: list[q.PracticeRec] = field(default_factory=list)

    @property
    def scored_s(self) -> float:
        return sum(self.band_s.values())

    @property
    def empty(self) -> bool:
        """Nothing recorded: no scored time, no prompt, no practice taken or let pass."""
        return self.scored_s == 0 and self.prompts == 0 and self.done + self.skipped == 0

    @property
    def unanswered(self) -> int:
        return sum(1 for p in self.prompt_recs if p.outcome is None)

    @property
    def mean_score(self) -> float | None:
        s = [w.score for w in self.windows if w.score is not None]
        return sum(s) / len(s) if s else None


@dataclass(frozen=True, slots=True)
class Report:
    start_day: date
    end_day: date
    tz: tzinfo
    days: list[DaySummary]
    help: HelpSummary
    learned: Learned
    """Learned from the whole log (what the prompt chooser uses), not only the period."""
    log_empty: bool = False
    replayed: bool = False
    """The period's heart data was replayed from recordings by ``kindbreak demo``."""
    simulated_answers: int = 0
    """Answers in the period given by a simulated person (``kindbreak demo --week``)."""

    @property
    def empty(self) -> bool:
        return not self.days


def local_day(wall: float, tz: tzinfo) -> date:
    return datetime.fromtimestamp(wall, tz).date()


def day_start_wall(day: date, tz: tzinfo) -> float:
    return datetime.combine(day, time(0), tz).timestamp()


def choose_period(
    span: tuple[float, float] | None, tz: tzinfo, since: date | None, days: int | None
) -> tuple[date, date] | None:
    """The days to report: ``days`` days ending on the last day with data, or from ``since``
    (for ``days`` days, or to the end of the log)."""
    if span is None:
        return None
    last = local_day(span[1], tz)
    if since is None:
        n = days if days and days > 0 else DEFAULT_DAYS
        return last - timedelta(days=n - 1), last
    if days and days > 0:
        return since, since + timedelta(days=days - 1)
    return since, max(since, last)


def sparkline(day: DaySummary, width: int = SPARK_WIDTH) -> tuple[str, float, float]:
    """The day's stress as block characters over its recorded span (blank: no score).

    Returns the line and the wall times it starts and ends at.
    """
    scored = [w for w in day.windows if w.score is not None]
    if not day.windows:
        return "", math.nan, math.nan
    t0 = min(w.end_wall - w.step_s for w in day.windows)
    t1 = max(w.end_wall for w in day.windows)
    span = max(t1 - t0, 1.0)
    bin_s = max(60.0, math.ceil(span / width / 60.0) * 60.0)
    n = max(1, math.ceil(span / bin_s))
    sums = [0.0] * n
    counts = [0] * n
    for w in scored:
        i = min(n - 1, int((w.end_wall - t0 - 1e-9) // bin_s))
        assert w.score is not None
        sums[i] += w.score
        counts[i] += 1
    chars = []
    for s, c in zip(sums, counts, strict=True):
        if not c:
            chars.append(" ")
            continue
        v = s / c
        chars.append(SPARK[min(len(SPARK) - 1, int(v / 100.0 * len(SPARK)))])
    return "".join(chars), t0, t0 + n * bin_s


def build_report(
    store: Store | None, tz: tzinfo, *, since: date | None = None, days: int | None = None
) -> Report:
    """The report of ``store`` (None: no log yet, an empty report)."""
    if store is None:
        return report_from([], [], [], tz, since=since, days=days)
    demo = frozenset(s.id for s in q.sessions(store) if s.source == DEMO_SOURCE)
    return report_from(
        q.windows(store),
        q.prompts(store),
        q.practices(store),
        tz,
        since=since,
        days=days,
        replayed_sessions=demo,
    )


def _span(
    wins: Sequence[q.WindowRec], prs: Sequence[q.PromptRec], pcs: Sequence[q.PracticeRec]
) -> tuple[float, float] | None:
    walls = [w.end_wall for w in wins] + [p.wall for p in prs] + [c.wall for c in pcs]
    return (min(walls), max(walls)) if walls else None


def report_from(
    all_windows: Sequence[q.WindowRec],
    all_prompts: Sequence[q.PromptRec],
    all_practices: Sequence[q.PracticeRec],
    tz: tzinfo,
    *,
    since: date | None = None,
    days: int | None = None,
    replayed_sessions: frozenset[int] = frozenset(),
) -> Report:
    """The report of these records; ``replayed_sessions``: the sessions ``kindbreak demo``
    replayed from recordings (the page says so)."""
    period = choose_period(_span(all_windows, all_prompts, all_practices), tz, since, days)
    learned = learn(all_windows, all_prompts, all_practices)
    if period is None:
        start = end = since or date(1970, 1, 1)
        empty_help = help_summary([], [], [])
        return Report(start, end, tz, [], empty_help, learned, log_empty=True)
    start, end = period
    lo = day_start_wall(start, tz)
    hi = day_start_wall(end + timedelta(days=1), tz)
    wins = [w for w in all_windows if lo <= w.end_wall < hi]
    prs = [p for p in all_prompts if lo <= p.wall < hi]
    pcs = [p for p in all_practices if lo <= p.wall < hi]
    by_day = tally_days(wins, prs, pcs, tz)
    # Prompts at the edge of the period still need windows after them: widen by the after-span.
    help_wins = [w for w in all_windows if lo - 600.0 <= w.end_wall < hi + 600.0]
    help = help_summary(help_wins, prs, pcs)
    return Report(
        start,
        end,
        tz,
        [by_day[d] for d in sorted(by_day)],
        help,
        learned,
        replayed=any(w.session_id in replayed_sessions for w in wins),
        simulated_answers=sum(1 for c in pcs if c.simulated),
    )


def tally_days(
    wins: Sequence[q.WindowRec],
    prs: Sequence[q.PromptRec],
    pcs: Sequence[q.PracticeRec],
    tz: tzinfo,
) -> dict[date, DaySummary]:
    """Each local day's summary: band times, prompts shown, practices by outcome."""
    by_day: dict[date, DaySummary] = {}

    def get(d: date) -> DaySummary:
        if d not in by_day:
            by_day[d] = DaySummary(d)
        return by_day[d]

    for w in wins:
        d = get(local_day(w.end_wall, tz))
        d.windows.append(w)
        if w.score is not None:
            d.band_s[band_of(w.score)] += w.step_s
        elif w.quality == "good":
            d.calibrating_s += w.step_s
        else:
            d.poor_s += w.step_s
    for p in prs:
        d = get(local_day(p.wall, tz))
        d.prompts += p.shown  # a prompt the notifier could not show was not a prompt
        d.prompt_recs.append(p)
    for c in pcs:
        d = get(local_day(c.wall, tz))
        d.practice_recs.append(c)
        if c.outcome == "done":
            d.done += 1
        elif c.outcome == "skipped":
            d.skipped += 1
        elif c.outcome == "snoozed":
            d.snoozed += 1
    return by_day


def day_summary(store: Store, day: date, tz: tzinfo) -> DaySummary:
    """One local day from the store (the end-of-day notification's figures)."""
    lo, hi = day_start_wall(day, tz), day_start_wall(day + timedelta(days=1), tz)
    days = tally_days(
        q.windows(store, lo, hi), q.prompts(store, lo, hi), q.practices(store, lo, hi), tz
    )
    return days.get(day, DaySummary(day))


EMPTY_MESSAGE = (
    "Your kindbreak log is empty so far, so there is nothing to review yet. "
    "Wear your strap during a work session with `kindbreak monitor`, or bring in past "
    "recordings with `kindbreak import FILE`; then come back here."
)


def provenance(report: Report) -> list[str]:
    """What is not the person's own in the period: replayed beats, simulated answers."""
    lines: list[str] = []
    if report.replayed:
        lines.append(
            "These heartbeats were replayed by `kindbreak demo` from recordings bundled with "
            "kindbreak: real beats of one person of the Stress-Predict study (Iqbal et al. "
            "2022), not yours."
        )
    if report.simulated_answers:
        n = report.simulated_answers
        lines.append(
            f"{n} answer{'s' if n != 1 else ''} to prompts (Did it, Snooze, Not now) came from "
            "a simulated person (seeded, `kindbreak demo --week`), not from you; they are "
            "marked as simulated in the log."
        )
    return lines


def simulated_effect_note(report: Report) -> str:
    """Why breaks taken by a simulated person cannot have changed recorded beats."""
    return (
        "Read this one with care: the beats were recorded before any of these prompts, so a "
        "simulated break could not change them. The difference shown is whatever the "
        "recordings happen to carry around those moments (chance, and stress that falls after "
        "a peak anyway), not an effect of the breaks. With breaks you really take, this is "
        "the comparison that tells you whether they help."
    )


def empty_period_message(start: date, end: date) -> str:
    return (
        f"Nothing was recorded between {start.isoformat()} and {end.isoformat()}. "
        "Try a wider period, for example `kindbreak report --days 30`."
    )
