"""``kindbreak report --html FILE``: one self-contained page (inline CSS, PNG plots as base64).

No scripts, no external fonts or images: the file opens offline and can be mailed to oneself.
matplotlib runs headless (Agg, through ``Figure`` objects, never pyplot's global state).
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from kindbreak.durations import format_duration
from kindbreak.report.effects import MIN_N, Effect, HelpSummary, Response, describe, ranking
from kindbreak.report.model import (
    EMPTY_MESSAGE,
    DaySummary,
    Report,
    empty_period_message,
    provenance,
    simulated_effect_note,
)
from kindbreak.signal.score import Band

BAND_COLOR = {
    Band.REST: "#4caf7d",
    Band.LOW: "#5aa9e6",
    Band.MEDIUM: "#f2b134",
    Band.HIGH: "#e4572e",
}
BAND_RANGE = {Band.REST: (0, 25), Band.LOW: (25, 50), Band.MEDIUM: (50, 75), Band.HIGH: (75, 100)}
BAND_LABEL = {Band.REST: "0-25", Band.LOW: "26-50", Band.MEDIUM: "51-75", Band.HIGH: "76-100"}
OUTCOME_COLOR = {"done": "#2e7d32", "skipped": "#8d8d8d", "snoozed": "#ef6c00", None: "#b0b0b0"}
OUTCOME_LABEL = {
    "done": "prompt, break taken",
    "skipped": "prompt, skipped",
    "snoozed": "prompt, snoozed",
    None: "prompt, no answer",
}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: #222; background: #fafaf7; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.7rem; margin: 0.2em 0; }
h2 { font-size: 1.3rem; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 1.6em 0 0.4em; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.95rem; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e5e5e0; text-align: right;
  white-space: nowrap; }
td.wrap { white-space: normal; }
th { background: #f0efe9; font-weight: 600; white-space: normal; }
td:first-child, th:first-child { text-align: left; }
td.l, th.l { text-align: left; }
.bar { display: flex; width: 150px; height: 14px; border-radius: 3px; overflow: hidden;
  background: #e8e8e3; }
.bar span { display: block; height: 100%; }
.key span { display: inline-block; width: 11px; height: 11px; margin: 0 4px 0 12px;
  vertical-align: -1px; border-radius: 2px; }
figure { margin: 6px 0 18px; }
figure img { max-width: 100%; height: auto; border: 1px solid #e5e5e0; background: #fff; }
.finding { background: #fff; border-left: 4px solid #5aa9e6; padding: 10px 16px; }
.finding p { margin: 6px 0; }
.notice { background: #fff8e6; border-left: 4px solid #f2b134; padding: 8px 16px; }
.notice p { margin: 6px 0; }
.note { color: #666; font-size: 0.9rem; }
footer { margin-top: 3em; color: #777; font-size: 0.85rem; }
"""


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig: Any, alt: str) -> str:
    return f'<figure><img alt="{escape(alt)}" src="data:image/png;base64,{_png(fig)}"></figure>'


def _dt(wall: float, report: Report) -> datetime:
    return datetime.fromtimestamp(wall, report.tz)


def _series(day: DaySummary, report: Report, attr: str) -> tuple[list[datetime], list[float]]:
    """Values over time, with a break (NaN) where the recording stops for a while."""
    xs: list[datetime] = []
    ys: list[float] = []
    prev: float | None = None
    for w in day.windows:
        v = getattr(w, attr)
        if prev is not None and w.end_wall - prev > 3 * w.step_s:
            xs.append(_dt(prev + w.step_s, report))
            ys.append(math.nan)
        xs.append(_dt(w.end_wall, report))
        ys.append(math.nan if v is None else float(v))
        prev = w.end_wall
    return xs, ys


def timeline_figure(day: DaySummary, report: Report) -> Any:
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(11.0, 5.0), layout="constrained")
    ax_hr, ax_s = fig.subplots(2, 1, sharex=True, height_ratios=[1, 1.35])
    xs, hr = _series(day, report, "mean_hr_bpm")
    _, recent = _series(day, report, "recent_hr_bpm")
    _, ref = _series(day, report, "ref_hr_bpm")
    _, score = _series(day, report, "score")
    ax_hr.plot(xs, hr, color="#6d4c9f", lw=1.6, label="heart rate (5-min window)")
    ax_hr.plot(xs, recent, color="#6d4c9f", lw=0.8, alpha=0.45, label="heart rate (last minute)")
    if any(math.isfinite(v) for v in ref):
        # The recent calm state each window was scored against (signal/reference.py).
        ax_hr.plot(xs, ref, color="#4caf7d", lw=1.4, ls="--", label="your recent calm")
    ax_hr.set_ylabel("heart rate\n(bpm)")
    ax_hr.grid(alpha=0.25)
    ax_hr.legend(loc="upper left", fontsize=8, framealpha=0.85, ncols=3)
    for band in Band:
        lo, hi = BAND_RANGE[band]
        ax_s.axhspan(lo, hi, color=BAND_COLOR[band], alpha=0.13, lw=0)
    ax_s.plot(xs, score, color="#333", lw=1.6)
    ax_s.set_ylim(0, 100)
    ax_s.set_yticks([0, 25, 50, 75, 100])
    ax_s.set_ylabel("stress score")
    ax_s.grid(axis="x", alpha=0.25)
    seen: set[str | None] = set()
    for p in day.prompt_recs:
        c = OUTCOME_COLOR.get(p.outcome, OUTCOME_COLOR[None])
        x = _dt(p.wall, report)
        for ax in (ax_hr, ax_s):
            ax.axvline(x, color=c, lw=1.2, ls="--", alpha=0.8)
        ax_s.plot([x], [96], marker="v", color=c, ms=9, ls="none", clip_on=False)
        seen.add(p.outcome)
    done = [c for c in day.practice_recs if c.outcome == "done"]
    for q in done:
        ax_s.plot(
            [_dt(q.wall, report)], [4], marker="^", color="#2e7d32", ms=10, ls="none", clip_on=False
        )
    handles = [
        Line2D([], [], color=OUTCOME_COLOR[o], marker="v", ls="--", label=OUTCOME_LABEL[o])
        for o in ("done", "skipped", "snoozed", None)
        if o in seen
    ]
    if done:
        handles.append(
            Line2D(
                [],
                [],
                color="#2e7d32",
                marker="^",
                ls="none",
                ms=9,
                label="break logged (simulated)"
                if all(q.simulated for q in done)
                else "break logged",
            )
        )
    if handles:
        fig.legend(handles=handles, loc="outside lower center", fontsize=9, frameon=False, ncols=5)
    fmt = mdates.DateFormatter("%H:%M", tz=report.tz)  # type: ignore[no-untyped-call]
    ax_s.xaxis.set_major_formatter(fmt)
    fig.suptitle(day.day.strftime("%A %d %B %Y"), x=0.01, ha="left", fontsize=12)
    return fig


def _effect_panel(
    ax: Any, resp: Sequence[Response], attr: str, eff: Effect, unit: str, simulated: bool
) -> None:
    after = "after a simulated break" if simulated else "after a break"
    groups = [("break", after, "#2e7d32"), ("ignored", "prompt let pass", "#8d8d8d")]
    for i, (g, _, color) in enumerate(groups):
        vals = [v for r in resp if r.group == g and (v := getattr(r, attr)) is not None]
        if not vals:
            continue
        # deterministic jitter: spread points evenly around the group's position
        n = len(vals)
        jit = [(k - (n - 1) / 2) / max(n, 1) * 0.35 for k in range(n)]
        ax.scatter([i + j for j in jit], vals, color=color, alpha=0.6, s=26, zorder=3)
        m = sum(vals) / n
        ax.plot([i - 0.25, i + 0.25], [m, m], color=color, lw=3, zorder=4)
    ax.axhline(0, color="#444", lw=0.8)
    ax.set_xticks([0, 1], [g[1] for g in groups])
    ax.set_xlim(-0.6, 1.6)
    ax.grid(axis="y", alpha=0.25)
    title = f"difference {eff.mean_drop:+.1f} {unit}" if math.isfinite(eff.mean_drop) else ""
    if math.isfinite(eff.ci_low):
        title += f"\n95 % interval {eff.ci_low:+.1f} to {eff.ci_high:+.1f}"
    ax.set_title(title, fontsize=10)


def help_figure(h: HelpSummary) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 3.8), layout="constrained")
    a, b = fig.subplots(1, 2)
    _effect_panel(a, h.responses, "score_drop", h.score, "points", h.simulated)
    a.set_ylabel("fall in stress score\n(5 min before − 10 min after)")
    _effect_panel(b, h.responses, "rmssd_rise", h.rmssd, "ms", h.simulated)
    b.set_ylabel("rise in RMSSD (ms)\n(10 min after − 5 min before)")
    return fig


def _band_bar(day: DaySummary) -> str:
    total = day.scored_s + day.calibrating_s + day.poor_s
    if total <= 0:
        return ""
    parts = [
        f'<span style="width:{100 * day.band_s[b] / total:.2f}%;background:{BAND_COLOR[b]}"'
        f' title="{b.value} {format_duration(day.band_s[b])}"></span>'
        for b in Band
    ]
    return f'<div class="bar">{"".join(parts)}</div>'


def _day_table(report: Report) -> str:
    rows = []
    for d in report.days:
        mean = d.mean_score
        rows.append(
            "<tr>"
            f"<td>{escape(d.day.strftime('%a %Y-%m-%d'))}</td>"
            + "".join(f"<td>{format_duration(d.band_s[b])}</td>" for b in Band)
            + f"<td>{format_duration(d.calibrating_s + d.poor_s)}</td>"
            f"<td>{'-' if mean is None else f'{mean:.0f}'}</td>"
            f"<td>{d.prompts}</td><td>{d.done}</td><td>{d.skipped}</td><td>{d.snoozed}</td>"
            f'<td class="l">{_band_bar(d)}</td>'
            "</tr>"
        )
    head = (
        "<tr><th>day</th>"
        + "".join(f"<th>{b.value}</th>" for b in Band)
        + "<th>not scored</th><th>mean stress</th><th>prompts</th><th>breaks done</th>"
        "<th>skipped</th><th>snoozed</th><th>share of time</th></tr>"
    )
    key = "".join(
        f'<span style="background:{BAND_COLOR[b]}"></span>{b.value} {BAND_LABEL[b]}' for b in Band
    )
    return f'<table>{head}{"".join(rows)}</table><p class="note key">Stress bands:{key}</p>'


def _f(x: float) -> str:
    return f"{x:+.1f}" if math.isfinite(x) else "-"


def _interval(eff: Effect) -> str:
    if not (math.isfinite(eff.ci_low) and math.isfinite(eff.ci_high)):
        return "-"
    return f"{_f(eff.ci_low)} to {_f(eff.ci_high)}"


def _kind_table(report: Report) -> str:
    rows = []
    for kind, eff, weight in ranking(report.learned):
        shown = report.learned.shown.get(kind, 0)
        taken = report.learned.taken.get(kind, 0)
        if eff is None:
            cells = ["0", "-", "-", "no breaks of this kind yet"]
        else:
            if not eff.enough:
                sure = f"too little data (need {MIN_N} breaks and {MIN_N} ignored prompts)"
            elif eff.clear:
                sure = "clear" if eff.mean_drop > 0 else "clearly less calming"
            else:
                sure = "could be chance"
            cells = [str(eff.n), _f(eff.mean_drop), _interval(eff), sure]
        rows.append(
            f"<tr><td>{escape(kind)}</td>"
            + "".join(
                f"<td{' class=l' if i == 3 else ''}>{escape(c)}</td>" for i, c in enumerate(cells)
            )
            + f"<td>{taken} of {shown}</td><td>{weight:.2f}</td></tr>"
        )
    head = (
        "<tr><th>kind</th><th>breaks</th><th>extra fall in stress</th><th>95 % interval</th>"
        "<th class=l>how sure</th><th>taken when offered</th><th>weight</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _responses_table(h: HelpSummary, report: Report) -> str:
    rows = []
    for r in h.responses:
        rr = r.rmssd_rise
        rows.append(
            f"<tr><td>{escape(_dt(r.anchor_wall, report).strftime('%a %d %b %H:%M'))}</td>"
            f'<td class="l">{"break" if r.group == "break" else "let pass"}'
            f"{' (simulated answer)' if r.simulated else ''}</td>"
            f'<td class="l">{escape(r.kind)}</td>'
            f"<td>{r.score_before:.0f}</td><td>{r.score_after:.0f}</td>"
            f"<td>{_f(r.score_drop)}</td><td>{'-' if rr is None else _f(rr)}</td></tr>"
        )
    head = (
        "<tr><th>when</th><th>what</th><th>kind</th><th>stress before</th>"
        "<th>stress after</th><th>fall</th><th>RMSSD rise (ms)</th></tr>"
    )
    return (
        "<details><summary>Every prompt, one by one</summary>"
        f"<table>{head}{''.join(rows)}</table></details>"
    )


def _code(escaped: str) -> str:
    """`command` in already-escaped text becomes <code>command</code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def render_html(report: Report) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>kindbreak report</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<h1>kindbreak: stress and breaks</h1>",
    ]
    if report.log_empty:
        parts.append(f'<p class="lead">{_code(escape(EMPTY_MESSAGE))}</p>')
    elif report.empty:
        message = empty_period_message(report.start_day, report.end_day)
        parts.append(f'<p class="lead">{_code(escape(message))}</p>')
    else:
        parts.extend(_overview(report))
        parts.extend(_help_section(report))
        parts.extend(_calms_section(report))
        parts.extend(_timelines_section(report))
    parts.append(
        "<footer>Made by kindbreak from your local log. Nothing in this page was sent "
        "anywhere; it holds health data, so share it with care.</footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _overview(report: Report) -> list[str]:
    """The period, where the numbers come from, and the day-by-day table."""
    parts = [
        f'<p class="lead">{report.start_day.isoformat()} to {report.end_day.isoformat()}, '
        f"{len(report.days)} day{'s' if len(report.days) != 1 else ''} with data. "
        "Everything here comes from your own log on this computer.</p>"
    ]
    notice = provenance(report)
    if notice:
        parts.append('<div class="notice">')
        parts.extend(f"<p>{_code(escape(line))}</p>" for line in notice)
        parts.append("</div>")
    parts.append("<h2>Day by day</h2>")
    parts.append(_day_table(report))
    return parts


def _help_section(report: Report) -> list[str]:
    """Did the breaks help: the finding, its plot and the answers, how it is measured."""
    parts = ["<h2>Did the breaks help?</h2>", '<div class="finding">']
    parts.extend(f"<p>{escape(line)}</p>" for line in describe(report.help))
    if report.simulated_answers:
        parts.append(f"<p><strong>{escape(simulated_effect_note(report))}</strong></p>")
    parts.append("</div>")
    if report.help.n_breaks and report.help.n_ignored:
        parts.append(_img(help_figure(report.help), "stress change after breaks and prompts"))
    if report.help.responses:
        parts.append(_responses_table(report.help, report))
    parts.append(
        '<p class="note">How this is measured: for each break taken and each prompt let '
        "pass, the mean stress score (and RMSSD) of the windows ending in the 5 minutes "
        "before the prompt is compared with those ending in the 10 minutes after. Stress "
        "often falls after a peak on its own, so breaks are compared with prompts you let "
        "pass. The interval is a bootstrap 95 % interval (2000 resamples, fixed seed).</p>"
    )
    return parts


def _calms_section(report: Report) -> list[str]:
    """What calms you: the kinds of break, their effect and weight (when there is any)."""
    if not (report.learned.shown or report.learned.effects):
        return []
    return [
        "<h2>What calms you</h2>",
        '<p class="note">From your whole log. Extra fall in stress: how much more the '
        "score fell after a break of this kind than after a prompt let pass. Weight: "
        "how often kindbreak offers the kind (best = 1.00); every kind keeps at least "
        "0.15, so each is still tried now and then.</p>",
        _kind_table(report),
    ]


def _timelines_section(report: Report) -> list[str]:
    """Each day's timeline plot (or a line saying it has no heart data)."""
    parts = [
        "<h2>Timelines</h2>",
        '<p class="note">The dashed green line is your recent calm heart rate: the low '
        "level of the last 20 minutes, kept within reach of your 14-day baseline. The "
        "stress score reads how far the last minute rises above it, so a slow drift over "
        "the day does not read as stress; a prompt needs a rise within minutes that "
        "lasts.</p>",
    ]
    for d in report.days:
        if d.windows:
            parts.append(_img(timeline_figure(d, report), f"timeline of {d.day.isoformat()}"))
        else:
            parts.append(
                f"<h3>{escape(d.day.strftime('%A %d %B %Y'))}</h3>"
                '<p class="note">No heart data recorded this day.</p>'
            )
    return parts


def write_html(report: Report, path: Path) -> None:
    """Write the page readable by the user alone (0600)."""
    from kindbreak.report.export import private_output

    text = render_html(report)
    with private_output(path, io.StringIO()) as fh:
        fh.write(text)
