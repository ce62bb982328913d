"""APScheduler's jobs and triggers, fired on the session's :class:`~kindbreak.clock.Clock`.

APScheduler 3 reads the system clock whenever it processes jobs, and a replay at ``--speed X``
runs on a :class:`~kindbreak.clock.VirtualClock` whose wall time is the recording's; the stock
loop would fire jobs at the wrong moments, or never. So APScheduler keeps what it is good at,
through its public API only:

- the jobs, in its job store: :meth:`add_job` with ``next_run_time`` computed from our clock,
  :meth:`get_jobs`, :meth:`Job.modify` and :meth:`Job.remove`;
- the schedules: ``CronTrigger`` and ``IntervalTrigger`` with an explicit time zone, asked for
  the next fire time with :meth:`BaseTrigger.get_next_fire_time` and our clock's "now";
- each job's options: ``coalesce``, ``misfire_grace_time``, ``max_instances``.

The scheduler is started paused, so it never fires anything by itself; :meth:`ClockScheduler.run`
is the loop that does: it sleeps on the clock until the next fire time (at most
:data:`MAX_WAIT_S`), runs what is due on the event loop (coroutines as tasks: the store has one
owner) and skips a run later than its grace. The same loop runs live and in replay, so the
scheduler behaves in a replay exactly as in real time, only faster.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, tzinfo

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from kindbreak.clock import Clock

log = logging.getLogger("kindbreak")

MAX_WAIT_S = 300.0
"""Wake at least this often even with nothing due (a suspended laptop resumes promptly)."""

JobFunc = Callable[[], Awaitable[None] | None]


class ClockScheduler:
    """Jobs added with :meth:`add`, fired by :meth:`run` on ``clock`` in ``timezone``."""

    def __init__(self, clock: Clock, timezone: tzinfo) -> None:
        self.clock = clock
        self.timezone = timezone
        self._scheduler = AsyncIOScheduler(timezone=timezone)
        self._running: dict[str, asyncio.Task[None]] = {}

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.wall(), self.timezone)

    def interval(self, seconds: float) -> IntervalTrigger:
        """Every ``seconds``, the first time ``seconds`` from now."""
        return IntervalTrigger(
            seconds=seconds,
            start_date=self.now() + timedelta(seconds=seconds),
            timezone=self.timezone,
        )

    def daily_at(self, hhmm: str) -> CronTrigger:
        hour, minute = (int(x) for x in hhmm.split(":"))
        return CronTrigger(hour=hour, minute=minute, timezone=self.timezone)

    def add(self, func: JobFunc, trigger: BaseTrigger, *, id: str, misfire_grace_s: int) -> None:
        """A job whose first run time comes from our clock, not the system's."""
        self._scheduler.add_job(
            func,
            trigger,
            id=id,
            name=id,
            misfire_grace_time=misfire_grace_s,
            coalesce=True,
            max_instances=1,
            next_run_time=trigger.get_next_fire_time(None, self.now()),
            replace_existing=True,
        )

    async def run(self) -> None:
        """Fire the jobs when they are due, until cancelled (then running jobs are too)."""
        self._scheduler.start(paused=True)
        try:
            while True:
                next_wall = self._fire_due()
                wait_s = MAX_WAIT_S
                if next_wall is not None:
                    wait_s = min(max((next_wall - self.now()).total_seconds(), 0.0), MAX_WAIT_S)
                await self.clock.sleep(wait_s)
        finally:
            for task in self._running.values():
                task.cancel()
            self._running.clear()
            self._scheduler.shutdown(wait=False)

    def _fire_due(self) -> datetime | None:
        """Run every due job once (coalesced), schedule its next run; the next fire time."""
        now = self.now()
        for job in self._scheduler.get_jobs():
            if job.next_run_time is not None and job.next_run_time <= now:
                self._fire(job, now)
        times = [j.next_run_time for j in self._scheduler.get_jobs() if j.next_run_time]
        return min(times, default=None)

    def _fire(self, job: Job, now: datetime) -> None:
        run_times: list[datetime] = []
        fire: datetime | None = job.next_run_time
        while fire is not None and fire <= now:
            run_times.append(fire)
            fire = job.trigger.get_next_fire_time(fire, now)
        due = run_times[-1:] if job.coalesce else run_times
        for run_time in due:
            late_s = (now - run_time).total_seconds()
            if job.misfire_grace_time is not None and late_s > job.misfire_grace_time:
                log.info("job %s missed its run at %s (%.0f s late)", job.id, run_time, late_s)
            elif job.id in self._running:
                log.info("job %s is still running; its run at %s is skipped", job.id, run_time)
            else:
                self._start(job)
        if fire is None:
            job.remove()
        else:
            job.modify(next_run_time=fire)

    def _start(self, job: Job) -> None:
        async def run() -> None:
            try:
                result = job.func(*job.args, **job.kwargs)
                if asyncio.iscoroutine(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the scheduled job %s failed", job.id)
            finally:
                self._running.pop(job.id, None)

        task = asyncio.get_running_loop().create_task(run(), name=f"kindbreak job {job.id}")
        self._running[job.id] = task
