"""The monitor's state for other processes: ``status.json`` beside the log, kept by a sink.

``kindbreak status`` (in any terminal) reads it to say how the person is now: the device, the
link and battery, the last heart rate, the latest window's RMSSD, score and band, and when the
next prompt may come. :class:`StatusFileSink` writes it:

- on every change of the link (connected, reconnecting, contact lost) and of the stress band,
  at once; otherwise at most every :data:`WRITE_EVERY_S` seconds of real time (a strap sends a
  notification a second; a fast replay thousands), and at the session's end with
  ``stopped_wall`` set;
- whole or not at all, readable by the person alone (0600): :func:`kindbreak.safefile.
  atomic_write_text`, a temporary file renamed over the old one;
- with no raw data: no beat intervals, no payloads, only the latest values.

Whether the monitor still runs is not this file's to say: the log's monitor lock
(:mod:`kindbreak.store.lock`) is held exactly as long as the process lives. A file whose
``stopped_wall`` is empty while nobody holds the lock belongs to a monitor that was killed.

Times: ``*_wall`` are wall times of the session clock (for a replay, the recording's time);
``written_wall`` is the real time of the write, so a reader can tell how old each value is in
the session's own time (``updated_wall`` plus the real time since the write).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from kindbreak.clock import Clock
from kindbreak.live.events import Event, HeartRateMeasured, LinkChanged, WindowClosed
from kindbreak.live.sink import Sink
from kindbreak.signal.score import band_of
from kindbreak.stream import DeviceInfo, LinkState

log = logging.getLogger("kindbreak")

STATUS_NAME = "status.json"
FORMAT = "kindbreak-status"
VERSION = 1
WRITE_EVERY_S = 5.0
MAX_BYTES = 64 * 1024
"""A status file is a few hundred bytes; anything much larger is not one."""


def status_path(db: Path) -> Path:
    """The status file of the log ``db`` (beside it, like the monitor lock)."""
    return db.with_name(STATUS_NAME)


@dataclass(frozen=True, slots=True)
class NextPrompt:
    """When the next prompt may come, as the prompt policy sees it now."""

    allowed: bool
    wall: float | None
    """The earliest time every check passes (now when allowed; None: paused with no end)."""
    reason: str
    """``ok``, ``paused``, ``snoozed``, ``quiet_hours``, ``daily_max`` or ``cooldown``."""
    text: str
    """In words, e.g. "resting between prompts until 11:45"."""


@dataclass(frozen=True, slots=True)
class MonitorState:
    """What ``status.json`` holds (see the module docstring)."""

    pid: int
    started_wall: float
    source: str
    updated_wall: float
    written_wall: float
    device_name: str = ""
    device_address: str = ""
    battery_pct: int | None = None
    link: str = "connecting"
    link_since_wall: float | None = None
    link_detail: str = ""
    hr_bpm: int | None = None
    hr_wall: float | None = None
    rmssd_ms: float | None = None
    score: float | None = None
    band: str | None = None
    window_quality: str | None = None
    calibrating: bool = False
    window_wall: float | None = None
    next_prompt: NextPrompt | None = None
    notifier: str = ""
    notifier_problem: str = ""
    stopped_wall: float | None = None

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps({"format": FORMAT, "version": VERSION, **data}, allow_nan=False)

    @staticmethod
    def from_json(text: str) -> MonitorState | None:
        """The state a file holds, or None when it is not a status file this kindbreak reads."""
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                return None
            if raw.get("version") != VERSION:
                return None
            nxt = raw.get("next_prompt")
            known = set(MonitorState.__dataclass_fields__)
            values = {k: v for k, v in raw.items() if k in known}
            values["next_prompt"] = NextPrompt(**nxt) if isinstance(nxt, dict) else None
            return MonitorState(**values)
        except (ValueError, TypeError, RecursionError):
            return None


def read_state(db: Path) -> MonitorState | None:
    """The status file of the log ``db``: None when there is none or it cannot be read (a
    damaged one is logged, never an error: the next write replaces it)."""
    path = status_path(db)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s)", path, exc.strerror or exc)
        return None
    state = (
        MonitorState.from_json(data.decode("utf-8", "replace")) if len(data) <= MAX_BYTES else None
    )
    if state is None:
        log.warning("%s is not a status file kindbreak can read; ignored", path)
    return state


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 3)


class StatusFileSink(Sink):
    """Keeps ``status.json`` up to date for ``kindbreak status`` (see the module docstring).

    ``real_wall`` is the real-time wall clock, used only for the throttle and ``written_wall``
    (a replay's session clock runs fast); ``next_prompt`` asks the prompt policy; ``notifier``
    names the notifier in use and why it is not the desktop's, if it is not.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock,
        real_wall: Callable[[], float],
        pid: int,
        source: str,
        device: DeviceInfo,
        next_prompt: Callable[[], NextPrompt] | None = None,
        notifier: Callable[[], tuple[str, str]] | None = None,
        every_s: float = WRITE_EVERY_S,
    ) -> None:
        self.path = path
        self._clock = clock
        self._real_wall = real_wall
        self._next_prompt = next_prompt
        self._notifier = notifier
        self._every_s = every_s
        now = clock.wall()
        self.state = MonitorState(
            pid=pid,
            started_wall=now,
            source=source,
            updated_wall=now,
            written_wall=real_wall(),
            device_name=device.name,
            device_address=device.address,
            link_since_wall=now,
        )
        self._last_write: float | None = None
        self.writes = 0
        self._failed = False

    async def run(self) -> None:
        self.write()  # a monitor is visible from its first moment, before any beat

    async def handle(self, event: Event) -> None:
        s = self.state
        now = self._clock.wall()
        changed = False
        match event:
            case LinkChanged(state=state, detail=detail, device=device):
                if state is not LinkState.STOPPED and state.value != s.link:
                    s = replace(s, link=state.value, link_since_wall=now, link_detail=detail)
                    changed = True
                s = replace(
                    s,
                    device_name=device.name or s.device_name,
                    device_address=device.address or s.device_address,
                    battery_pct=device.battery_pct,
                )
            case HeartRateMeasured(measurement=m):
                link = s.link
                if m.contact_lost:
                    link = "contact lost"
                elif s.link in ("contact lost", "connecting", "reconnecting"):
                    link = "connected"  # beats arrive: whatever was said before, they are here
                if link != s.link:
                    s = replace(s, link=link, link_since_wall=now, link_detail="")
                    changed = True
                if m.hr_bpm and not m.contact_lost:  # the last real one is kept, with its age
                    s = replace(s, hr_bpm=m.hr_bpm, hr_wall=now)
            case WindowClosed(window=w):
                band = None if w.score is None else band_of(w.score).value
                changed = band != s.band
                s = replace(
                    s,
                    rmssd_ms=_finite(w.markers.rmssd_ms),
                    score=_finite(w.score),
                    band=band,
                    window_quality=w.quality.value,
                    calibrating=w.calibrating,
                    window_wall=now,
                )
            case _:
                pass
        self.state = replace(s, updated_wall=now)
        self.maybe_write(force=changed)

    def maybe_write(self, *, force: bool = False) -> None:
        real = self._real_wall()
        if force or self._last_write is None or real - self._last_write >= self._every_s:
            self.write()

    def write(self, *, stopped: bool = False) -> None:
        """Write the state now (atomically, 0600); a failure is logged once and the monitor
        goes on (the status file is a convenience, the log is what matters)."""
        from kindbreak.errors import KindbreakError
        from kindbreak.safefile import atomic_write_text, data_error

        real = self._real_wall()
        nxt = self._next_prompt() if self._next_prompt is not None else None
        notifier, problem = self._notifier() if self._notifier is not None else ("", "")
        self.state = replace(
            self.state,
            written_wall=real,
            next_prompt=nxt,
            notifier=notifier,
            notifier_problem=problem,
            stopped_wall=self._clock.wall() if stopped else None,
        )
        self._last_write = real
        try:
            atomic_write_text(self.path, self.state.to_json() + "\n", error=data_error)
        except KindbreakError as exc:
            if not self._failed:
                log.warning("cannot keep the status file: %s", exc)
            self._failed = True
            return
        self._failed = False
        self.writes += 1

    async def close(self) -> None:
        """The last state, marked stopped: ``kindbreak status`` says the monitor ended."""
        self.write(stopped=True)
