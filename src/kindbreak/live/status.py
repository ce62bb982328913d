"""The live status line: device, link, battery, heart rate, RMSSD, stress and the next
prompt, in one line rewritten in place (or plain lines when the output is not a terminal).
A sink of the session; the notes and messages of the session appear above it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TextIO

from kindbreak.clock import Clock
from kindbreak.live.events import (
    BaselineLearned,
    Event,
    HeartRateMeasured,
    LinkChanged,
    Noted,
    TimeAdvanced,
    WindowClosed,
)
from kindbreak.live.sink import Sink
from kindbreak.signal.notes import NoteKind
from kindbreak.signal.score import band_of
from kindbreak.signal.windows import WindowResult
from kindbreak.stream import LinkState

REFRESH_S = 1.0
"""The line is redrawn about this often (session clock)."""


class StatusLine(Sink):
    """One line, rewritten in place about once a second; off with ``--quiet``.

    On a terminal the line is redrawn at most every ``min_interval_s`` of real time (a fast
    replay would otherwise redraw thousands of times a second); when the stream is not a
    terminal (a log, a pipe) a plain line is written every ``pipe_interval_s`` instead.
    ``real_now`` is the real-time clock used only for that throttling; ``clock`` the session's,
    for the redraws (none: no redraws of its own). ``next_prompt_source`` says when the next
    prompt may come (read when the line is drawn and on each scheduler tick).
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        enabled: bool,
        total_s: float | None = None,
        real_now: Callable[[], float] | None = None,
        clock: Clock | None = None,
        next_prompt_source: Callable[[], str] | None = None,
        min_interval_s: float = 0.2,
        pipe_interval_s: float = 30.0,
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.total_s = total_s
        self._real_now = real_now
        self._clock = clock
        self.next_prompt_source = next_prompt_source
        self._tty = stream.isatty()
        self._interval_s = min_interval_s if self._tty else pipe_interval_s
        self._last_shown: float | None = None
        self.device = ""
        self.link = "connecting"
        self.hr: int | None = None
        self.window: WindowResult | None = None
        self.t_s = 0.0
        self.next_prompt = ""
        self.battery_pct: int | None = None
        self._width = 0

    # -- the session's events --------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        match event:
            case LinkChanged(t_s=t_s, state=state, detail=detail, device=device):
                self.t_s = t_s
                self.link = state.value
                if state is LinkState.CONNECTED:
                    self.device = device.name
                    self.battery_pct = device.battery_pct
                if detail and not event.repeated:  # the line itself shows the state
                    self.say(f"kindbreak: {state.value}: {detail}")
            case HeartRateMeasured(t_s=t_s, measurement=m):
                self.t_s = t_s
                self.hr = m.hr_bpm or None
                if self.link in ("connecting", "reconnecting"):
                    self.link = "connected"
                if m.contact_lost:
                    self.link = "contact lost"
            case Noted(note=note) if note.kind is not NoteKind.MALFORMED_PACKET:
                self.say(f"kindbreak: {note.text}")
            case BaselineLearned(baseline=b):
                self.say(
                    f"kindbreak: learned your calm baseline: heart rate {b.hr_bpm:.0f} bpm, "
                    f"RMSSD {b.rmssd_ms:.0f} ms"
                )
            case WindowClosed(window=w):
                self.window = w
            case TimeAdvanced(t_s=t_s):
                self.t_s = t_s

    def update_next_prompt(self) -> None:
        if self.next_prompt_source is not None:
            self.next_prompt = self.next_prompt_source()

    async def run(self) -> None:
        """Redraw about once a second of session time, until the session ends."""
        if self._clock is None:
            return
        while True:
            self.show()
            await self._clock.sleep(REFRESH_S)

    async def close(self) -> None:
        """The last state, then the terminal's next line."""
        self.show(force=True)
        self.finish()

    # -- the line ----------------------------------------------------------------------------

    def render(self) -> str:
        parts = []
        if self.total_s:
            parts.append(f"{min(100.0, 100.0 * self.t_s / self.total_s):5.1f}%")
        parts.append(_hms(self.t_s))
        if self.device:
            parts.append(self.device)
        parts.append(self.link)
        if self.battery_pct is not None:
            parts.append(f"battery {self.battery_pct} %")
        parts.append(f"HR {self.hr}" if self.hr else "HR --")
        w = self.window
        if w is not None and math.isfinite(w.markers.rmssd_ms):
            parts.append(f"RMSSD {w.markers.rmssd_ms:.0f} ms")
        if w is not None and w.score is not None:
            parts.append(f"stress {w.score:.0f} ({band_of(w.score).value})")
        elif w is not None and w.calibrating:
            parts.append("learning your calm baseline")
        elif w is None:
            parts.append("warming up")
        else:
            parts.append("signal too noisy to score")
        if self.next_prompt:
            parts.append(self.next_prompt)
        return " | ".join(parts)

    def show(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        if self._real_now is not None and not force:
            now = self._real_now()
            if self._last_shown is not None and now - self._last_shown < self._interval_s:
                return
            self._last_shown = now
        self.update_next_prompt()  # when drawn, not after every item (a week replays 32,000)
        line = self.render()
        if not self._tty:
            self.stream.write(line + "\n")
            self.stream.flush()
            return
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()

    def say(self, text: str) -> None:
        """A message on its own line, above the status line."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()


def _hms(t_s: float) -> str:
    t = int(t_s)
    return f"{t // 3600:d}:{t % 3600 // 60:02d}:{t % 60:02d}"
