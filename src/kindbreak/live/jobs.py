"""The monitor's periodic jobs, a sink of the session run by APScheduler on its injected clock
(:mod:`kindbreak.live.scheduler`).

Jobs (all run on the monitor's event loop, inside the session's lifetime):

``tick``       every ``tick_s`` (30 s): re-read the pause file (``kindbreak pause`` from another
               process) and refresh the status line's "next prompt" text.
``summary``    at ``summary_at`` local time: an end-of-day notification with today's time in
               each stress band, prompts sent and practices logged (read from the store).
``checkin-*``  at each ``checkins`` time: a prompt with trigger "checkin" (no stress trigger).
               It goes through the same policy as a stress prompt, so pause, snooze, quiet
               hours, the daily cap and the cooldown all apply; a blocked check-in is skipped,
               not postponed.
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from kindbreak.clock import Clock, local_zone
from kindbreak.live.events import Event
from kindbreak.live.scheduler import ClockScheduler
from kindbreak.live.sink import Sink
from kindbreak.prompts.notifier import Notifier
from kindbreak.store.db import Store

if TYPE_CHECKING:
    from kindbreak.config import Settings
    from kindbreak.live.prompt_sink import PromptSink
    from kindbreak.live.status import StatusLine
    from kindbreak.report.model import DaySummary

log = logging.getLogger("kindbreak")

TICK_S = 30.0
TICK_GRACE_S = 60
SUMMARY_GRACE_S = 3600
CHECKIN_GRACE_S = 15 * 60


# -- the end-of-day summary ---------------------------------------------------------------------


def summary_text(day: DaySummary) -> str:
    """The end-of-day notification's words: time in each band, prompts and breaks."""
    from kindbreak.durations import format_duration

    parts = []
    if day.scored_s > 0:
        bands = ", ".join(f"{band} {format_duration(s)}" for band, s in day.band_s.items() if s > 0)
        parts.append(f"Today you wore the strap for {format_duration(day.scored_s)}: {bands}.")
    prompt_word = "prompt" if day.prompts == 1 else "prompts"
    line = f"{day.prompts} {prompt_word}"
    line += f"; you took {day.done} kind break{'s' if day.done != 1 else ''}"
    if day.skipped:
        line += f", let {day.skipped} pass"
    parts.append(line + ".")
    if day.done:
        parts.append("Thank you for looking after yourself today.")
    else:
        parts.append("Tomorrow is another chance to be kind to yourself.")
    return " ".join(parts)


# -- the jobs of a monitoring session ----------------------------------------------------------


class SessionJobs(Sink):
    """The session's scheduled jobs; they run while the session runs (:meth:`run`)."""

    def __init__(
        self,
        *,
        clock: Clock,
        settings: Settings,
        sink: PromptSink,
        store: Store,
        notifier: Notifier,
        status: StatusLine | None = None,
        zone: tzinfo | None = None,
        tick_s: float = TICK_S,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.sink = sink
        self.store = store
        self.notifier = notifier
        self.status = status
        self.zone = zone if zone is not None else local_zone(settings.prompts.timezone)
        self.scheduler = ClockScheduler(clock, self.zone)
        self.summaries: list[DaySummary] = []
        self.checkins: list[tuple[str, bool]] = []
        """(the check-in's set time, whether a prompt went out), in order."""
        self._plan(tick_s)

    def _plan(self, tick_s: float) -> None:
        s = self.scheduler
        p = self.settings.prompts
        s.add(self.tick, s.interval(tick_s), id="tick", misfire_grace_s=TICK_GRACE_S)
        if p.summary_at:
            s.add(
                self.summary,
                s.daily_at(p.summary_at),
                id="summary",
                misfire_grace_s=SUMMARY_GRACE_S,
            )
        for hhmm in p.checkins:

            async def checkin(at: str = hhmm) -> None:
                await self.checkin(at)

            s.add(checkin, s.daily_at(hhmm), id=f"checkin-{hhmm}", misfire_grace_s=CHECKIN_GRACE_S)

    async def handle(self, event: Event) -> None:
        return None

    async def run(self) -> None:
        await self.scheduler.run()

    def tick(self) -> None:
        self.sink.sync_pause()
        if self.status is not None:
            self.status.update_next_prompt()

    async def checkin(self, at: str) -> None:
        sent = await self.sink.checkin()
        self.checkins.append((at, sent))

    async def summary(self) -> None:
        from kindbreak.prompts.library import INFO_KIND, Prompt
        from kindbreak.report.model import day_summary

        today = datetime.fromtimestamp(self.clock.wall(), self.zone).date()
        summary = day_summary(self.store, today, self.zone)
        if summary.empty:
            log.info("end-of-day summary: nothing recorded today")
            return
        self.summaries.append(summary)
        note = Prompt(
            id=f"summary-{summary.day.isoformat()}",
            kind=INFO_KIND,
            title="Your day with kindbreak",
            body=summary_text(summary),
        )
        await self.notifier.send(note)
