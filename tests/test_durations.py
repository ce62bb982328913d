"""The one duration formatter (kindbreak.durations): every message, summary and table."""

from __future__ import annotations

import pytest

from kindbreak.durations import format_duration


@pytest.mark.parametrize(
    ("seconds", "long", "compact"),
    [
        (0.0, "0 min", "0m"),
        (40.0, "40 s", "40s"),
        (59.6, "1 min", "1m"),
        (45 * 60.0, "45 min", "45m"),
        (3600.0, "1 h", "1h00"),
        (3900.0, "1 h 05 min", "1h05"),
        (5400.0, "1 h 30 min", "1h30"),
        (64 * 60.0 + 29.0, "1 h 04 min", "1h04"),
    ],
)
def test_durations_read_to_the_minute(seconds: float, long: str, compact: str) -> None:
    assert format_duration(seconds) == long
    assert format_duration(seconds, compact=True) == compact
