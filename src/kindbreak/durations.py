"""Durations as people read them: one formatter for every message, table and summary."""

from __future__ import annotations


def format_duration(seconds: float, *, compact: bool = False) -> str:
    """To the minute: ``"45 min"``, ``"1 h 05 min"``, ``"2 h"``; ``compact`` (table cells):
    ``"45m"``, ``"1h05"``. Under a minute, the seconds: ``"40 s"`` (``"40s"``); none: ``"0 min"``.
    """
    s = round(seconds)
    if 0 < s < 60:
        return f"{s}s" if compact else f"{s} s"
    m = round(seconds / 60.0)
    if compact:
        return f"{m // 60}h{m % 60:02d}" if m >= 60 else f"{m}m"
    if m < 60:
        return f"{m} min"
    return f"{m // 60} h" if m % 60 == 0 else f"{m // 60} h {m % 60:02d} min"
