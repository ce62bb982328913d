"""The one place that reads time.

Everything that needs "now" takes a :class:`Clock`. Live monitoring uses :class:`SystemClock`;
replay and tests use :class:`VirtualClock`, whose time is pushed forward by the replay source
(``sleep_until``), so cooldowns, quiet hours and watchdogs behave as in real time, only faster.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from datetime import UTC, datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on the session's monotonic clock."""
        ...

    def wall(self) -> float:
        """Wall time, Unix seconds (UTC), for display and storage."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    async def sleep_until(self, t_s: float) -> None:
        """Sleep until ``monotonic()`` reaches ``t_s``."""
        ...


def local_zone(timezone: str = "") -> tzinfo:
    """The person's time zone: ``timezone`` (the ``prompts.timezone`` setting) when given, else
    the system's (the IANA zone tzlocal finds, so daylight saving time is followed; its current
    UTC offset if none can be found). The one place kindbreak works out the local zone."""
    if timezone:
        from zoneinfo import ZoneInfo

        return ZoneInfo(timezone)
    import tzlocal

    try:
        zone: tzinfo = tzlocal.get_localzone()
    except (LookupError, ValueError, OSError):
        fixed = datetime.now(UTC).astimezone().tzinfo
        assert fixed is not None
        return fixed
    return zone


class SystemClock:
    """Real time. ``monotonic()`` counts from the moment the clock was made."""

    def __init__(self) -> None:
        self._t0 = time.monotonic()
        self._wall0 = time.time()

    def monotonic(self) -> float:
        return time.monotonic() - self._t0

    def wall(self) -> float:
        return self._wall0 + self.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, t_s: float) -> None:
        await asyncio.sleep(max(0.0, t_s - self.monotonic()))


class VirtualClock:
    """Simulated time at ``speed`` times real time (``math.inf``: as fast as possible).

    Time moves only when a driver calls :meth:`sleep_until` (the replay source does) or
    :meth:`advance_to`. Other tasks' :meth:`sleep` calls wake when virtual time passes their
    deadline, in deadline order.
    """

    def __init__(self, *, wall_start_s: float = 0.0, start_s: float = 0.0, speed: float = math.inf):
        if not speed > 0:
            raise ValueError("speed must be > 0")
        self._now = start_s
        self._wall0 = wall_start_s - start_s
        self.speed = speed
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._wall0 + self._now

    def advance_to(self, t_s: float) -> None:
        if t_s > self._now:
            self._now = t_s
        while self._waiters and self._waiters[0][0] <= self._now:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)

    async def sleep(self, seconds: float) -> None:
        await self._wait(self._now + max(0.0, seconds))

    async def _wait(self, deadline: float) -> None:
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (deadline, next(self._seq), fut))
        await fut

    async def sleep_until(self, t_s: float) -> None:
        """Drive time: wait (t_s - now) / speed real seconds, then move to ``t_s``.

        Sleepers whose deadlines fall on the way are woken one by one with the clock reading
        their own deadline, as in real time, even when a recording jumps over a gap.
        """
        gap = t_s - self._now
        if gap > 0 and math.isfinite(self.speed):
            await asyncio.sleep(gap / self.speed)
        else:
            await asyncio.sleep(0)
        while self._waiters and self._waiters[0][0] <= t_s:
            self.advance_to(self._waiters[0][0])
            # Let the woken task run (and perhaps sleep again) before time moves on.
            for _ in range(3):
                await asyncio.sleep(0)
        self.advance_to(t_s)
