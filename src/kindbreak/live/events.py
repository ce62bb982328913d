"""What a session tells its sinks: one typed event per thing that happened, in order.

The session turns each source item (and what the pipeline made of it) into these; a sink picks
the ones it cares about with ``match`` or ``isinstance``. Every event carries ``t_s``, seconds
on the session's monotonic clock. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass

from kindbreak.signal.baseline import Baseline
from kindbreak.signal.beats import Beat
from kindbreak.signal.detector import DetectorEvent
from kindbreak.signal.hrm import HeartRateMeasurement
from kindbreak.signal.notes import Note
from kindbreak.signal.windows import WindowResult
from kindbreak.stream import DeviceInfo, LinkState


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """The link to the device changed (connecting, connected, reconnecting, ...)."""

    t_s: float
    state: LinkState
    detail: str
    device: DeviceInfo
    """What the source knows of the device now (name, address, battery once connected)."""
    attempt: int = 0
    """Which look for the device (1, 2, ...) while it is (re)connecting with backoff."""

    @property
    def repeated(self) -> bool:
        """A second or later look for the device: the state has not changed, so it is not
        worth a line of its own (a strap away all afternoon would fill the log)."""
        return self.attempt >= 2


@dataclass(frozen=True, slots=True)
class HeartRateMeasured:
    """One decoded notification: the strap's heart rate and contact flag."""

    t_s: float
    measurement: HeartRateMeasurement


@dataclass(frozen=True, slots=True)
class BeatsPlaced:
    t_s: float
    beats: tuple[Beat, ...]


@dataclass(frozen=True, slots=True)
class BaselineLearned:
    """The calm baseline was learned in this session (the first session calibrates)."""

    t_s: float
    baseline: Baseline


@dataclass(frozen=True, slots=True)
class WindowClosed:
    window: WindowResult

    @property
    def t_s(self) -> float:
        return self.window.end_s


@dataclass(frozen=True, slots=True)
class EpisodeRising:
    """The detector saw stress rise and stay high: the moment a prompt may be offered."""

    event: DetectorEvent

    @property
    def t_s(self) -> float:
        return self.event.t_s


@dataclass(frozen=True, slots=True)
class EpisodeEnded:
    event: DetectorEvent

    @property
    def t_s(self) -> float:
        return self.event.t_s


@dataclass(frozen=True, slots=True)
class Noted:
    """A note for the person (contact lost, a malformed packet, a watch without RR)."""

    note: Note

    @property
    def t_s(self) -> float:
        return self.note.t_s


@dataclass(frozen=True, slots=True)
class TimeAdvanced:
    """Session time reached ``t_s``: every event of the item that arrived then is out."""

    t_s: float


Event = (
    LinkChanged
    | HeartRateMeasured
    | BeatsPlaced
    | BaselineLearned
    | WindowClosed
    | EpisodeRising
    | EpisodeEnded
    | Noted
    | TimeAdvanced
)
