"""The monitor's periodic jobs, run by APScheduler on the session's injected clock.

Jobs (all run on the monitor's event loop, inside the session's lifetime):

``tick``       every ``tick_s`` (30 s): re-read the pause file (``kindbreak pause`` from another
               process) and refresh the status line's "next prompt" text.
``summary``    at ``summary_at`` local time: an end-of-day notification with today's time in
               each stress band, prompts sent and practices logged (read from the store).
``checkin-*``  at each ``checkins`` time: a prompt with trigger "checkin" (no stress trigger).
               It goes through the same policy as a stress prompt, so pause, snooze, quiet
               hours, the daily cap and the cooldown all apply; a blocked check-in is skipped,
               not postponed.

How the scheduler gets its time
-------------------------------
APScheduler 3 reads the system clock (``datetime.now``) in ``BaseScheduler._process_jobs``,
in ``_real_add_job`` (a job's first run time), in the stock executors' misfire check, and
``AsyncIOScheduler`` waits with ``loop.call_later``. A replay at ``--speed X`` runs on a
:class:`~kindbreak.clock.VirtualClock` whose wall time is the recording's, so the stock
scheduler would fire jobs at the wrong moments (or never). :class:`ClockScheduler` keeps
APScheduler's job store, triggers (``CronTrigger``/``IntervalTrigger`` with an explicit
timezone), coalescing and misfire grace, and replaces the three places that read time:

- ``_process_jobs`` is the same algorithm with ``now`` taken from our clock's wall time;
- jobs are added with ``next_run_time`` computed from our clock (so ``_real_add_job`` never
  asks the system), and interval triggers get an explicit ``start_date`` from our clock;
- the wait between wakeups is ``await clock.sleep(seconds)`` in a task (``_start_timer``),
  so a virtual clock wakes the scheduler exactly when virtual time reaches the next fire time;
- :class:`ClockExecutor` runs jobs on the event loop (the store is not thread-safe) and does
  the misfire check (``misfire_grace_time``) against our clock.

``wakeup`` processes jobs at once (we are always on the loop's thread), and ``shutdown`` stops
the timer and cancels running jobs synchronously. APIs that still read the system clock
(``reschedule_job``, ``resume_job``, adding a job without ``next_run_time``) are not used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, TIMEOUT_MAX
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from kindbreak.clock import Clock
from kindbreak.store.db import Store

if TYPE_CHECKING:
    from kindbreak.config import Settings
    from kindbreak.live.prompt_sink import PromptSink
    from kindbreak.live.status import StatusLine

log = logging.getLogger("kindbreak")

TICK_S = 30.0
TICK_GRACE_S = 60
SUMMARY_GRACE_S = 3600
CHECKIN_GRACE_S = 15 * 60
MAX_WAIT_S = 300.0
"""Wake at least this often even with nothing due (a suspended laptop resumes promptly)."""


def scheduler_zone(settings: Settings) -> tzinfo:
    """The explicit timezone for the scheduler: the setting, else the system's zone."""
    from zoneinfo import ZoneInfo

    if settings.prompts.timezone:
        return ZoneInfo(settings.prompts.timezone)
    import tzlocal

    zone: tzinfo = tzlocal.get_localzone()
    return zone


class ClockExecutor(BaseExecutor):  # type: ignore[misc]
    """Runs each job on the event loop (coroutines as tasks), misfires judged by our clock."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()

    def shutdown(self, wait: bool = True) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        scheduler = self._scheduler
        assert scheduler is not None
        now = datetime.fromtimestamp(self._clock.wall(), scheduler.timezone)
        due: datetime | None = None
        events: list[JobExecutionEvent] = []
        for run_time in run_times:
            late_s = (now - run_time).total_seconds()
            if job.misfire_grace_time is not None and late_s > job.misfire_grace_time:
                log.info("job %s missed its run at %s (%.0f s late)", job.id, run_time, late_s)
                events.append(
                    JobExecutionEvent(EVENT_JOB_MISSED, job.id, job._jobstore_alias, run_time)
                )
            else:
                due = run_time
        if due is None:
            # submit_job counts an instance after this returns: balance it on the next turn
            asyncio.get_running_loop().call_soon(self._run_job_success, job.id, events)
            return
        fire_time = due

        async def run() -> None:
            try:
                result = job.func(*job.args, **job.kwargs)
                if asyncio.iscoroutine(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._run_job_error(job.id, exc, exc.__traceback__)
                return
            events.append(
                JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job._jobstore_alias, fire_time)
            )
            self._run_job_success(job.id, events)

        task = asyncio.get_running_loop().create_task(run(), name=f"kindbreak job {job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class ClockScheduler(AsyncIOScheduler):  # type: ignore[misc]
    """An AsyncIOScheduler whose "now" and waits come from a :class:`Clock` (see module doc)."""

    def __init__(self, clock: Clock, timezone: tzinfo, **options: Any) -> None:
        self._clock = clock
        self._timer: asyncio.Task[None] | None = None
        defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": TICK_GRACE_S}
        defaults.update(options.pop("job_defaults", {}))
        super().__init__(timezone=timezone, job_defaults=defaults, **options)

    # -- time ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.wall(), self.timezone)

    def add_clock_job(
        self,
        func: Callable[[], Awaitable[Any] | Any],
        trigger: BaseTrigger,
        *,
        id: str,
        misfire_grace_time: int,
    ) -> Any:
        """Add a job whose first run time comes from our clock, not the system's."""
        first = trigger.get_next_fire_time(None, self.now())
        return self.add_job(
            func,
            trigger,
            id=id,
            name=id,
            misfire_grace_time=misfire_grace_time,
            coalesce=True,
            max_instances=1,
            next_run_time=first,
            replace_existing=True,
        )

    def interval(self, seconds: float) -> IntervalTrigger:
        return IntervalTrigger(
            seconds=seconds,
            start_date=self.now() + timedelta(seconds=seconds),
            timezone=self.timezone,
        )

    def daily_at(self, hhmm: str) -> CronTrigger:
        hour, minute = (int(x) for x in hhmm.split(":"))
        return CronTrigger(hour=hour, minute=minute, timezone=self.timezone)

    # -- the loop ------------------------------------------------------------------------

    def start(self, paused: bool = False) -> None:
        self._eventloop = asyncio.get_running_loop()
        super().start(paused)

    def shutdown(self, wait: bool = True) -> None:
        """Stop at once (we are on the loop): no timer, running jobs cancelled."""
        if self.running:
            super(AsyncIOScheduler, self).shutdown(wait)
        self._stop_timer()

    def _create_default_executor(self) -> ClockExecutor:
        return ClockExecutor(self._clock)

    def wakeup(self) -> None:
        self._stop_timer()
        self._start_timer(self._process_jobs())

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._stop_timer()
        if wait_seconds is None or self.state != STATE_RUNNING:
            return
        self._timer = asyncio.get_running_loop().create_task(
            self._sleep_then_wake(min(wait_seconds, MAX_WAIT_S)), name="kindbreak scheduler"
        )

    async def _sleep_then_wake(self, seconds: float) -> None:
        await self._clock.sleep(seconds)
        self._timer = None  # so wakeup() does not cancel the task it runs in
        if self.state == STATE_RUNNING:
            self.wakeup()

    def _stop_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def _process_jobs(self) -> float | None:
        """APScheduler's ``_process_jobs`` with "now" from our clock (see the module doc)."""
        if self.state == STATE_PAUSED:
            return None
        now = self.now()
        next_wakeup: datetime | None = None
        with self._jobstores_lock:
            for alias, jobstore in self._jobstores.items():
                for job in jobstore.get_due_jobs(now):
                    executor = self._lookup_executor(job.executor)
                    run_times = job._get_run_times(now)
                    run_times = run_times[-1:] if run_times and job.coalesce else run_times
                    if run_times:
                        try:
                            executor.submit_job(job, run_times)
                        except Exception:
                            log.exception("could not run the scheduled job %s", job.id)
                        nxt = job.trigger.get_next_fire_time(run_times[-1], now)
                        if nxt:
                            job._modify(next_run_time=nxt)
                            jobstore.update_job(job)
                        else:
                            self.remove_job(job.id, alias)
                store_next = jobstore.get_next_run_time()
                if store_next and (next_wakeup is None or store_next < next_wakeup):
                    next_wakeup = store_next
        if self.state != STATE_RUNNING or next_wakeup is None:
            return None
        wait_s = (next_wakeup - self.now()).total_seconds()
        return float(min(max(wait_s, 0.0), TIMEOUT_MAX))


# -- the end-of-day summary ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DaySummary:
    day: date
    band_s: dict[str, float]
    prompts: int
    done: int
    skipped: int
    snoozed: int

    @property
    def scored_s(self) -> float:
        return sum(self.band_s.values())

    def empty(self) -> bool:
        return self.scored_s == 0 and self.prompts == 0 and self.done + self.skipped == 0

    def text(self) -> str:
        from kindbreak.practice import format_duration

        parts = []
        if self.scored_s > 0:
            bands = ", ".join(
                f"{band} {format_duration(s)}" for band, s in self.band_s.items() if s > 0
            )
            parts.append(f"Today you wore the strap for {format_duration(self.scored_s)}: {bands}.")
        prompt_word = "prompt" if self.prompts == 1 else "prompts"
        line = f"{self.prompts} {prompt_word}"
        line += f"; you took {self.done} kind break{'s' if self.done != 1 else ''}"
        if self.skipped:
            line += f", let {self.skipped} pass"
        parts.append(line + ".")
        if self.done:
            parts.append("Thank you for looking after yourself today.")
        else:
            parts.append("Tomorrow is another chance to be kind to yourself.")
        return " ".join(parts)


def day_summary(store: Store, now_wall: float, zone: tzinfo, step_s: float) -> DaySummary:
    """Today (local midnight to now): time in each band, prompts, practices, from the store."""
    from kindbreak.signal.score import Band, band_of

    now = datetime.fromtimestamp(now_wall, zone)
    start = datetime.combine(now.date(), time(0, 0), tzinfo=zone).timestamp()
    band_s = {b.value: 0.0 for b in Band}
    for r in store.query(
        "SELECT w.score AS score FROM windows w JOIN sessions s ON s.id = w.session_id"
        " WHERE w.score IS NOT NULL AND s.started_wall + w.end_s >= ?"
        " AND s.started_wall + w.end_s <= ?",
        (start, now_wall),
    ):
        band_s[band_of(float(r["score"])).value] += step_s
    prompts = store.query(
        "SELECT count(*) AS n FROM prompts WHERE wall >= ? AND wall <= ? AND shown=1",
        (start, now_wall),
    )[0]["n"]
    outcomes = {
        str(r["outcome"]): int(r["n"])
        for r in store.query(
            "SELECT outcome, count(*) AS n FROM practices WHERE wall >= ? AND wall <= ?"
            " GROUP BY outcome",
            (start, now_wall),
        )
    }
    return DaySummary(
        day=now.date(),
        band_s=band_s,
        prompts=int(prompts),
        done=outcomes.get("done", 0),
        skipped=outcomes.get("skipped", 0),
        snoozed=outcomes.get("snoozed", 0),
    )


# -- the jobs of a monitoring session ----------------------------------------------------------


class SessionJobs:
    """Builds and owns the scheduler for one session; ``start()`` then ``shutdown()``."""

    def __init__(
        self,
        *,
        clock: Clock,
        settings: Settings,
        sink: PromptSink,
        store: Store,
        notifier: Any,
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
        self.zone = zone if zone is not None else scheduler_zone(settings)
        self.tick_s = tick_s
        self.scheduler = ClockScheduler(clock, self.zone)
        self.summaries: list[DaySummary] = []
        self.checkins: list[tuple[str, bool]] = []
        """(the check-in's set time, whether a prompt went out), in order."""

    def start(self) -> None:
        s = self.scheduler
        p = self.settings.prompts
        s.add_clock_job(
            self.tick, s.interval(self.tick_s), id="tick", misfire_grace_time=TICK_GRACE_S
        )
        if p.summary_at:
            s.add_clock_job(
                self.summary,
                s.daily_at(p.summary_at),
                id="summary",
                misfire_grace_time=SUMMARY_GRACE_S,
            )
        for hhmm in p.checkins:

            async def checkin(at: str = hhmm) -> None:
                await self.checkin(at)

            s.add_clock_job(
                checkin, s.daily_at(hhmm), id=f"checkin-{hhmm}", misfire_grace_time=CHECKIN_GRACE_S
            )
        s.start()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)

    def tick(self) -> None:
        from kindbreak.live.prompt_sink import next_prompt_text

        self.sink.sync_pause()
        if self.status is not None:
            self.status.next_prompt = next_prompt_text(self.sink)

    async def checkin(self, at: str) -> None:
        sent = await self.sink.checkin()
        self.checkins.append((at, sent))

    async def summary(self) -> None:
        from kindbreak.prompts.library import INFO_KIND, Prompt

        summary = day_summary(self.store, self.clock.wall(), self.zone, self.settings.signal.step_s)
        if summary.empty():
            log.info("end-of-day summary: nothing recorded today")
            return
        self.summaries.append(summary)
        note = Prompt(
            id=f"summary-{summary.day.isoformat()}",
            kind=INFO_KIND,
            title="Your day with kindbreak",
            body=summary.text(),
        )
        await self.notifier.send(note)


__all__ = [
    "ClockExecutor",
    "ClockScheduler",
    "DaySummary",
    "SessionJobs",
    "day_summary",
    "scheduler_zone",
]
