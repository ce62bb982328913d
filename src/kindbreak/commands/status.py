"""``kindbreak status [--json]``: how you are now, from any terminal.

Whether a monitor runs on this log is the monitor lock's answer (:mod:`kindbreak.store.lock`:
held exactly while the process lives, whatever ends it). What it last saw comes from its status
file (:mod:`kindbreak.live.status_file`): the device, link and battery, the last heart rate,
the latest window's RMSSD, score and band, each with its age, and when the next prompt may
come. Today's prompts and breaks come from the log itself, so they count answers given with
``kindbreak log`` too. A status file that says "running" while nobody holds the lock belongs
to a monitor that was killed or crashed, and is reported as such.

Exit status: 0 while a monitor runs, 3 when none does (as ``kindbreak service status``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from kindbreak.commands.context import Context

if TYPE_CHECKING:
    from kindbreak.clock import Clock
    from kindbreak.live.status_file import MonitorState
    from kindbreak.prompts.pause import PauseState
    from kindbreak.report.model import DaySummary
    from kindbreak.store.lock import MonitorHolder

NOT_RUNNING = 3
RUNNING, STOPPED, GONE, NEVER = "running", "stopped", "gone", "never"


@dataclass(frozen=True, slots=True)
class Status:
    """Everything ``kindbreak status`` says, before it is put in words or JSON."""

    now_wall: float
    zone: tzinfo
    monitor: str
    """``running``, ``stopped`` (ended cleanly), ``gone`` (killed or crashed) or ``never``."""
    holder: MonitorHolder | None
    state: MonitorState | None
    today: DaySummary | None
    pause: PauseState | None

    @property
    def running(self) -> bool:
        return self.monitor == RUNNING

    @property
    def session_now(self) -> float | None:
        """Now on the monitor's session clock (a replay's runs in the recording's time)."""
        s = self.state
        if s is None:
            return None
        if not self.running:
            return s.updated_wall
        return s.updated_wall + max(0.0, self.now_wall - s.written_wall)

    def age_s(self, wall: float | None) -> float | None:
        now = self.session_now
        return None if wall is None or now is None else max(0.0, now - wall)


def read_status(ctx: Context, clock: Clock | None = None) -> Status:
    from kindbreak.clock import SystemClock, local_zone
    from kindbreak.live.status_file import read_state
    from kindbreak.prompts.pause import read_pause
    from kindbreak.store.lock import monitor_holder

    clock = clock if clock is not None else SystemClock()
    db = ctx.paths.db
    now = clock.wall()
    zone = local_zone(ctx.settings.prompts.timezone)
    holder = monitor_holder(db) if db.parent.is_dir() else None
    state = read_state(db)
    if holder is not None:
        monitor = RUNNING
        if state is not None and (state.pid != holder.pid or state.stopped_wall is not None):
            state = None  # an earlier monitor's file: this one has not written yet
    elif state is None:
        monitor = NEVER
    else:
        monitor = STOPPED if state.stopped_wall is not None else GONE
    pause = read_pause(ctx.paths.data_dir)
    return Status(now, zone, monitor, holder, state, _today(ctx, now, zone), pause)


def _today(ctx: Context, now_wall: float, zone: tzinfo) -> DaySummary | None:
    """Today's prompts and practices from the log (None: no log yet; none is created)."""
    from kindbreak.report.model import day_summary
    from kindbreak.store.db import Store

    if not ctx.paths.db.exists():
        return None
    with Store(ctx.paths.db, readonly=True) as store:
        return day_summary(store, datetime.fromtimestamp(now_wall, zone).date(), zone)


def run(ctx: Context, *, as_json: bool, clock: Clock | None = None) -> int:
    status = read_status(ctx, clock)
    if as_json:
        ctx.output.json(to_json(status))
    else:
        for line in describe(status):
            ctx.output.print(line)
    return 0 if status.running else NOT_RUNNING


# -- in words ----------------------------------------------------------------------------------


def _hm(wall: float, zone: tzinfo, now_wall: float) -> str:
    """``09:05`` today, ``Mon 09:05`` another day of this week, else the date."""
    t = datetime.fromtimestamp(wall, zone)
    today = datetime.fromtimestamp(now_wall, zone).date()
    if t.date() == today:
        return f"{t:%H:%M}"
    if abs((t.date() - today).days) < 7:
        return f"{t:%a %H:%M}"
    return f"{t:%Y-%m-%d %H:%M}"


def _ago(age_s: float | None) -> str:
    from kindbreak.durations import format_duration

    if age_s is None:
        return ""
    if age_s < 90:
        return f"{age_s:.0f} s ago"
    return f"{format_duration(age_s)} ago"


def describe(st: Status) -> list[str]:
    from kindbreak.durations import format_duration

    s, h, zone, now = st.state, st.holder, st.zone, st.now_wall
    lines: list[str] = []
    if st.monitor == RUNNING:
        assert h is not None
        since = _hm(h.since_wall, zone, now) if h.since_wall else "?"
        ran = format_duration(now - h.since_wall) if h.since_wall else ""
        what = f" on {s.device_name}" if s is not None and s.device_name else ""
        lines.append(f"kindbreak monitor: running{what} since {since} ({ran}), pid {h.pid}")
    elif st.monitor == GONE:
        assert s is not None
        lines.append(
            f"kindbreak monitor: not running. The one started {_hm(s.started_wall, zone, now)} "
            f"(pid {s.pid}) ended without closing, last seen "
            f"{_hm(s.written_wall, zone, now)}: killed or crashed."
        )
        lines.append("  What it saw last:")
    elif st.monitor == STOPPED:
        assert s is not None and s.stopped_wall is not None
        lines.append(
            f"kindbreak monitor: not running; the last one stopped at "
            f"{_hm(s.written_wall, zone, now)} after "
            f"{format_duration(s.stopped_wall - s.started_wall)}."
        )
    else:
        lines.append("kindbreak monitor: not running (none has run on this log yet).")
    if s is not None and st.monitor != STOPPED:
        lines += _live_lines(st, s)
    elif st.monitor == RUNNING:
        lines.append("  starting: nothing seen yet")
    lines.append(_today_line(st.today))
    if st.monitor == RUNNING and s is not None and s.next_prompt is not None:
        lines.append(f"  next       {_next_text(st, s)}")
    elif st.pause is not None and st.pause.active(now):
        until = st.pause.until_wall
        lines.append(
            "  prompts    paused "
            + (f"until {_hm(until, zone, now)}" if until is not None else "until you resume")
        )
    if not st.running:
        lines.append(
            "Start it: `kindbreak monitor`, or `kindbreak service install` to have it run "
            "from login."
        )
    return lines


def _when(st: Status, wall: float | None) -> str:
    """How long ago, while the monitor runs; at what time, for one that is gone."""
    if wall is None:
        return ""
    if st.running:
        return _ago(st.age_s(wall))
    return f"at {_hm(wall, st.zone, st.now_wall)}"


def _live_lines(st: Status, s: MonitorState) -> list[str]:
    lines = []
    battery = f", battery {s.battery_pct} %" if s.battery_pct is not None else ""
    link_age = _ago(st.age_s(s.link_since_wall)) if st.running else ""
    since = f" ({link_age.replace(' ago', '')})" if link_age and s.link != "connected" else ""
    device = f"{s.device_name} ({s.device_address})" if s.device_address else s.device_name
    lines.append(f"  strap      {device}: {s.link}{since}{battery}")
    if s.hr_bpm is not None:
        lines.append(f"  heart      {s.hr_bpm} bpm ({_when(st, s.hr_wall)})")
    else:
        lines.append("  heart      no heart rate yet")
    age = _when(st, s.window_wall)
    if s.score is not None:
        rmssd = f", RMSSD {s.rmssd_ms:.0f} ms" if s.rmssd_ms is not None else ""
        lines.append(f"  stress     {s.score:.0f} ({s.band}){rmssd} ({age})")
    elif s.calibrating:
        lines.append(f"  stress     learning your calm baseline ({age})")
    elif s.window_wall is not None:
        lines.append(f"  stress     not scored: the signal was too noisy ({age})")
    else:
        lines.append("  stress     the first 5-minute window is not complete yet")
    if s.notifier and s.notifier_problem:
        lines.append(f"  prompts    shown in the {s.notifier} ({s.notifier_problem})")
    return lines


def _today_line(today: DaySummary | None) -> str:
    if today is None or (today.prompts == 0 and today.done + today.skipped == 0):
        return "  today      no prompts yet"
    parts = [f"{today.done} break{'s' if today.done != 1 else ''} taken"]
    if today.skipped:
        parts.append(f"{today.skipped} let pass")
    if today.snoozed:
        parts.append(f"{today.snoozed} snoozed")
    n = today.prompts
    return f"  today      {n} prompt{'s' if n != 1 else ''}; " + ", ".join(parts)


def _next_text(st: Status, s: MonitorState) -> str:
    nxt = s.next_prompt
    assert nxt is not None
    if nxt.allowed:
        return "a prompt may come as soon as stress rises"
    if nxt.wall is None:
        return nxt.text
    why = {
        "cooldown": "resting between prompts",
        "snoozed": "snoozed",
        "paused": "paused",
        "quiet_hours": "quiet hours",
        "daily_max": "today's prompts are done",
    }.get(nxt.reason, nxt.reason)
    return f"not before {_hm(nxt.wall, st.zone, st.session_now or st.now_wall)} ({why})"


# -- for scripts --------------------------------------------------------------------------------


def to_json(st: Status) -> dict[str, Any]:
    s, h = st.state, st.holder
    monitor: dict[str, Any] = {"running": st.running, "state": st.monitor}
    if h is not None:
        monitor.update(pid=h.pid, started_wall=h.since_wall, source=h.source)
    elif s is not None:
        monitor.update(pid=s.pid, started_wall=s.started_wall, source=s.source)
    if s is not None:
        monitor.update(
            source=s.source,
            last_seen_wall=s.written_wall,
            stopped_wall=s.stopped_wall,
            notifier=s.notifier,
            notifier_problem=s.notifier_problem,
        )
    out: dict[str, Any] = {"now_wall": st.now_wall, "monitor": monitor}
    live = s is not None and st.monitor != STOPPED
    out["device"] = (
        {
            "name": s.device_name,
            "address": s.device_address,
            "link": s.link,
            "link_since_wall": s.link_since_wall,
            "battery_pct": s.battery_pct,
        }
        if live and s is not None
        else None
    )
    out["heart_rate"] = (
        {"bpm": s.hr_bpm, "wall": s.hr_wall, "age_s": st.age_s(s.hr_wall)}
        if live and s is not None and s.hr_bpm is not None
        else None
    )
    out["stress"] = (
        {
            "score": s.score,
            "band": s.band,
            "rmssd_ms": s.rmssd_ms,
            "quality": s.window_quality,
            "calibrating": s.calibrating,
            "wall": s.window_wall,
            "age_s": st.age_s(s.window_wall),
        }
        if live and s is not None and s.window_wall is not None
        else None
    )
    t = st.today
    day = datetime.fromtimestamp(st.now_wall, st.zone).date()
    out["today"] = {
        "date": (t.day if t is not None else day).isoformat(),
        "prompts": t.prompts if t is not None else 0,
        "done": t.done if t is not None else 0,
        "skipped": t.skipped if t is not None else 0,
        "snoozed": t.snoozed if t is not None else 0,
    }
    nxt = s.next_prompt if st.running and s is not None else None
    out["next_prompt"] = (
        None
        if nxt is None
        else {"allowed": nxt.allowed, "wall": nxt.wall, "reason": nxt.reason, "text": nxt.text}
    )
    p = st.pause
    out["paused"] = (
        {"until_wall": p.until_wall} if p is not None and p.active(st.now_wall) else None
    )
    return out


__all__ = ["NOT_RUNNING", "Status", "describe", "read_status", "run", "to_json"]
