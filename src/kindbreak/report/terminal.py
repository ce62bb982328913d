"""``kindbreak report`` in the terminal: one rich table of days, the finding, the kind ranking."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TextIO

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from kindbreak.durations import format_duration
from kindbreak.report.effects import MIN_N, describe, ranking
from kindbreak.report.model import (
    EMPTY_MESSAGE,
    SPARK,
    SPARK_WIDTH,
    DaySummary,
    Report,
    empty_period_message,
    provenance,
    simulated_effect_note,
    sparkline,
)
from kindbreak.signal.score import Band, band_of

BAND_STYLE = {Band.REST: "green", Band.LOW: "cyan", Band.MEDIUM: "yellow", Band.HIGH: "red"}


def _hm(wall: float, report: Report) -> str:
    return datetime.fromtimestamp(wall, report.tz).strftime("%H:%M")


def _day_label(day: DaySummary) -> str:
    return f"{day.day.strftime('%a')} {day.day.day} {day.day.strftime('%b')}"


def _spark(day: DaySummary, report: Report, width: int) -> Text:
    line, t0, t1 = sparkline(day, width)
    text = Text(f"  {_day_label(day):<10} ")
    if not line:
        return text.append("no heart data", style="dim")
    text.append(_hm(t0, report) + " ", style="dim")
    for ch in line:
        if ch == " ":
            text.append(" ")
            continue
        level = SPARK.index(ch)
        text.append(ch, style=BAND_STYLE[band_of((level + 0.5) * 100.0 / len(SPARK))])
    text.append(" " + _hm(t1, report), style="dim")
    return text


def day_table(report: Report) -> Table:
    t = Table(
        title="Stress and breaks, day by day (time in each stress band)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    t.add_column("day", no_wrap=True)
    for b in Band:
        t.add_column(b.value, justify="right", style=BAND_STYLE[b], no_wrap=True)
    t.add_column("unscored", justify="right", style="dim", no_wrap=True)
    t.add_column("prompts", justify="right")
    t.add_column("done", justify="right", style="green")
    t.add_column("skip", justify="right")
    t.add_column("snooze", justify="right")
    for d in report.days:
        t.add_row(
            _day_label(d),
            *(format_duration(d.band_s[b], compact=True) for b in Band),
            format_duration(d.calibrating_s + d.poor_s, compact=True),
            str(d.prompts),
            str(d.done),
            str(d.skipped),
            str(d.snoozed),
        )
    return t


def _f(x: float, fmt: str = "+.1f") -> str:
    return format(x, fmt) if math.isfinite(x) else "-"


def kind_table(report: Report) -> Table:
    t = Table(
        title="What calms you (from your whole log): extra drop in stress after each kind",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    t.add_column("kind", no_wrap=True)
    t.add_column("breaks", justify="right")
    t.add_column("extra drop", justify="right")
    t.add_column("95 % interval", justify="right", no_wrap=True)
    t.add_column("how sure")
    t.add_column("offered", justify="right")
    t.add_column("weight", justify="right")
    for kind, eff, weight in ranking(report.learned):
        shown = report.learned.shown.get(kind, 0)
        taken = report.learned.taken.get(kind, 0)
        if eff is None:
            t.add_row(kind, "0", "-", "-", "none yet", f"{taken}/{shown}", f"{weight:.2f}")
            continue
        if not eff.enough:
            sure = "too little data"
        elif eff.clear:
            sure = "clear" if eff.mean_drop > 0 else "clearly worse"
        else:
            sure = "could be chance"
        t.add_row(
            kind,
            str(eff.n),
            _f(eff.mean_drop),
            f"{_f(eff.ci_low)} to {_f(eff.ci_high)}" if math.isfinite(eff.ci_low) else "-",
            sure,
            f"{taken}/{shown}",
            f"{weight:.2f}",
        )
    return t


def render(
    report: Report, out: TextIO, *, width: int | None = None, color: bool | None = None
) -> None:
    console = Console(
        file=out,
        width=width,
        no_color=color is False,
        force_terminal=color,
        highlight=False,
        soft_wrap=False,
    )
    if report.log_empty:
        console.print(EMPTY_MESSAGE)
        return
    if report.empty:
        console.print(empty_period_message(report.start_day, report.end_day))
        return
    console.print(
        f"[bold]kindbreak report[/bold] {report.start_day.isoformat()} to "
        f"{report.end_day.isoformat()}. Stress bands: rest 0-25, low 26-50, "
        "medium 51-75, high 76-100."
    )
    for line in provenance(report):
        console.print(Padding(f"[yellow]{line}[/yellow]", (0, 0, 0, 2)))
    console.print(day_table(report))
    console.print("Stress over each day (▁ calm … █ high; blank: not scored):")
    spark_width = max(12, min(SPARK_WIDTH, console.width - 26))
    for d in report.days:
        console.print(_spark(d, report, spark_width), no_wrap=True, overflow="crop")
    console.print()
    console.print("[bold]Did the breaks help?[/bold]")
    for line in describe(report.help):
        console.print(Padding(line, (0, 0, 0, 2)))
    if report.simulated_answers:
        console.print(Padding(f"[yellow]{simulated_effect_note(report)}[/yellow]", (0, 0, 0, 2)))
    console.print()
    if report.learned.shown or report.learned.effects:
        console.print(kind_table(report))
        console.print(
            f"[dim]too little data: fewer than {MIN_N} breaks of the kind or {MIN_N} prompts let "
            "pass. weight: how often kindbreak offers each kind (best = 1.00); every kind keeps "
            "at least 0.15, so all are still tried now and then.[/dim]"
        )
