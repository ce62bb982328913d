"""A paced breathing guide in the terminal: ``kindbreak breathe``.

About six breaths a minute by default (inhale 40 % of each breath, exhale 60 %: a longer
out-breath is the calming part). On a terminal one line is redrawn in place with a bar that
grows on the in-breath and shrinks on the out-breath; on a pipe or a log it writes one plain
line per phase. Time comes from the injected :class:`~kindbreak.clock.Clock`, so tests run a
whole session on a virtual clock at once.

A heart rate is shown when a :class:`HeartRateFeed` is given (the remembered strap, only with
``--with-strap``); the guide never waits for it: until a beat arrives it shows "HR --".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from kindbreak.clock import Clock
from kindbreak.commands.context import Context
from kindbreak.stream import HeartRateSource, Notification

log = logging.getLogger("kindbreak")

DEFAULT_RATE_BPM = 6.0
DEFAULT_MINUTES = 3.0
INHALE_SHARE = 0.4
FRAME_S = 0.1
BAR_WIDTH = 30
MIN_RECORD_S = 10.0
"""A session stopped before this is not logged as a practice."""


@dataclass(frozen=True, slots=True)
class BreathPlan:
    minutes: float = DEFAULT_MINUTES
    rate_bpm: float = DEFAULT_RATE_BPM

    def __post_init__(self) -> None:
        from kindbreak.errors import UsageError

        if not (math.isfinite(self.minutes) and 0.5 <= self.minutes <= 60):
            raise UsageError(
                f"--minutes {self.minutes:g} is outside 0.5 to 60",
                hint="A few minutes is plenty: kindbreak breathe --minutes 3",
            )
        if not (math.isfinite(self.rate_bpm) and 2 <= self.rate_bpm <= 20):
            raise UsageError(
                f"--rate {self.rate_bpm:g} breaths a minute is outside 2 to 20",
                hint="About 6 a minute is the slow, calming pace: kindbreak breathe --rate 6",
            )

    @property
    def breath_s(self) -> float:
        return 60.0 / self.rate_bpm

    @property
    def inhale_s(self) -> float:
        return self.breath_s * INHALE_SHARE

    @property
    def exhale_s(self) -> float:
        return self.breath_s - self.inhale_s

    @property
    def total_s(self) -> float:
        """Whole breaths only: the session ends on an out-breath."""
        return max(1, round(self.minutes * self.rate_bpm)) * self.breath_s

    def phase(self, t_s: float) -> tuple[str, float, float]:
        """At ``t_s`` into the session: (phase, fill 0-1, seconds left in the phase)."""
        into = t_s % self.breath_s
        if into < self.inhale_s:
            return "in", into / self.inhale_s, self.inhale_s - into
        out_s = into - self.inhale_s
        return "out", 1.0 - out_s / self.exhale_s, self.exhale_s - out_s


class HeartRateFeed:
    """The latest heart rate from a source, read in the background; never blocks the guide."""

    def __init__(self, source: HeartRateSource) -> None:
        self.source = source
        self.hr_bpm: int | None = None

    async def run(self) -> None:
        from kindbreak.errors import KindbreakError
        from kindbreak.signal.hrm import parse_measurement

        try:
            async for item in self.source.stream():
                if isinstance(item, Notification):
                    try:
                        m = parse_measurement(item.payload)
                    except ValueError:
                        continue
                    self.hr_bpm = None if m.contact_lost else m.hr_bpm
        except KindbreakError as exc:
            log.info("breathe: the strap is not streaming (%s)", exc)
            self.hr_bpm = None


CUES = {"in": "breathe in ", "out": "breathe out"}


def render(plan: BreathPlan, t_s: float, hr_bpm: int | None, *, fancy: bool) -> str:
    phase, fill, _ = plan.phase(t_s)
    n = round(fill * BAR_WIDTH)
    full, empty = ("█", "·") if fancy else ("#", ".")
    bar = full * n + empty * (BAR_WIDTH - n)
    left = max(0.0, plan.total_s - t_s)
    parts = [f"{CUES[phase]} {bar}", f"{int(left) // 60}:{int(left) % 60:02d} left"]
    if hr_bpm is not None:
        parts.append(f"HR {hr_bpm}")
    return "  ".join(parts)


async def guide(
    plan: BreathPlan,
    clock: Clock,
    out: TextIO,
    *,
    hr: Callable[[], int | None] | None = None,
) -> float:
    """Run the guide; returns the seconds actually breathed (less when cancelled)."""
    tty = out.isatty()
    fancy = tty and _can_encode(out, "█·")
    t0 = clock.monotonic()
    total = plan.total_s
    last_phase = ""
    width = 0
    try:
        while True:
            t = clock.monotonic() - t0
            if t >= total:
                break
            phase, _, left_s = plan.phase(t)
            hr_bpm = hr() if hr is not None else None
            if tty:
                line = render(plan, t, hr_bpm, fancy=fancy)
                out.write("\r" + line + " " * max(0, width - len(line)))
                width = len(line)
                out.flush()
                step = FRAME_S
            else:
                if phase != last_phase:
                    secs = plan.inhale_s if phase == "in" else plan.exhale_s
                    extra = f"  (HR {hr_bpm})" if hr_bpm is not None else ""
                    out.write(f"{CUES[phase].strip()} ... {secs:.0f} s{extra}\n")
                    out.flush()
                step = left_s
            last_phase = phase
            # sleep_until: the guide drives a virtual clock (tests) and waits on a real one
            await clock.sleep_until(clock.monotonic() + min(step, left_s, total - t) + 1e-9)
    finally:
        if tty:
            out.write("\r" + " " * width + "\r")
            out.flush()
    return min(total, clock.monotonic() - t0)


def _can_encode(out: TextIO, text: str) -> bool:
    try:
        text.encode(out.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


async def breathe_session(
    plan: BreathPlan,
    clock: Clock,
    out: TextIO,
    *,
    record: Callable[[float], None],
    feed: HeartRateFeed | None = None,
) -> float:
    """The guide with an optional heart-rate feed; records the practice (also when stopped
    early, if at least :data:`MIN_RECORD_S` was breathed). Returns the seconds breathed."""
    out.write(
        f"A slow breath together: {plan.rate_bpm:g} breaths a minute for "
        f"{plan.total_s / 60:.1f} min. In through the nose, out slowly. Ctrl-C stops.\n"
    )
    out.flush()
    t0 = clock.monotonic()
    reader: asyncio.Task[None] | None = None
    if feed is not None:
        reader = asyncio.get_running_loop().create_task(feed.run())
    done_s = 0.0
    try:
        done_s = await guide(plan, clock, out, hr=(lambda: feed.hr_bpm) if feed else None)
    finally:
        if feed is not None and reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await feed.source.aclose()
        if not done_s:
            done_s = clock.monotonic() - t0
        if done_s >= MIN_RECORD_S:
            record(done_s)
    return done_s


def run(
    ctx: Context,
    *,
    minutes: float,
    rate_bpm: float,
    with_strap: bool,
    clock: Clock | None = None,
) -> int:
    """``kindbreak breathe``: the paced breathing guide, logged as a "breath" practice."""
    from kindbreak.app import make_ble_source
    from kindbreak.clock import SystemClock
    from kindbreak.paths import ensure_private_dir
    from kindbreak.store.db import Store

    plan = BreathPlan(minutes=minutes, rate_bpm=rate_bpm)
    settings = ctx.settings
    stream = ctx.output.out
    feed: HeartRateFeed | None = None
    if with_strap:
        if settings.device.address or settings.device.name:
            source, strap_clock = make_ble_source(ctx.paths, settings, None)
            clock = clock or strap_clock
            feed = HeartRateFeed(source)
        else:
            ctx.output.print(
                "kindbreak: no strap remembered yet, so no heart rate this time "
                "(choose one with `kindbreak monitor --device ADDRESS`)."
            )
    guide_clock: Clock = clock if clock is not None else SystemClock()
    ensure_private_dir(ctx.paths.data_dir)
    store = Store(ctx.paths.db)

    def record(seconds: float) -> None:
        store.add_practice(
            wall=guide_clock.wall(),
            outcome="done",
            kind="breath",
            note=f"paced breathing, {plan.rate_bpm:g} a minute",
            score=store.score_at(guide_clock.wall()),
            duration_s=round(seconds, 1),
        )

    try:
        done_s = asyncio.run(breathe_session(plan, guide_clock, stream, record=record, feed=feed))
    finally:
        store.close()
    ctx.output.print(f"Well done: {done_s / 60:.1f} minutes of slow breathing, logged.")
    return 0


__all__ = ["BreathPlan", "HeartRateFeed", "breathe_session", "guide", "render", "run"]
