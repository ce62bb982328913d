"""What the pipeline tells the person besides numbers: typed notes. Pure data.

A note's ``text`` is for the person and the log file and never holds raw data; ``detail`` may
(a malformed packet's bytes), so it belongs at DEBUG only. ``str(note)`` is both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NoteKind(StrEnum):
    MALFORMED_PACKET = "malformed-packet"
    """A notification that is not a valid Heart Rate Measurement was skipped."""
    CONTACT_LOST = "contact-lost"
    CONTACT_RESTORED = "contact-restored"
    HR_ONLY = "hr-only"
    """The device sends heart rate without RR intervals: no stress markers."""


@dataclass(frozen=True, slots=True)
class Note:
    kind: NoteKind
    t_s: float
    text: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.text}: {self.detail}" if self.detail else self.text
