"""An analysis keeps its windows as columns: they read back exactly, in a few bytes each."""

from __future__ import annotations

import tracemalloc

import pytest

from kindbreak.signal.pipeline import Pipeline, PipelineSettings
from kindbreak.signal.windows import WindowColumns, WindowResult
from support.beats import CALM_THEN_STRESS, synthetic_rr


@pytest.fixture(scope="module")
def windows() -> list[WindowResult]:
    rr = synthetic_rr(CALM_THEN_STRESS, seed=5)
    p = Pipeline(PipelineSettings(window_s=120.0, step_s=10.0))
    t = 0.0
    out: list[WindowResult] = []
    for i, v in enumerate(rr):
        t += v / 1000.0 + (150.0 if i == len(rr) // 3 else 0.0)  # contact lost: poor windows
        out += p.feed_beat(t, v, gap_before=i == len(rr) // 3).windows
    return out


def test_windows_read_back_exactly(windows: list[WindowResult]) -> None:
    cols = WindowColumns(windows)
    assert len(cols) == len(windows) > 50
    # repr: NaN markers (too short for a band) compare equal as text.
    assert repr(cols) == repr(windows)
    assert repr(cols[0]) == repr(windows[0]) and repr(cols[-1]) == repr(windows[-1])
    assert repr(cols[3:7]) == repr(windows[3:7])
    # Every kind of field: None and numbers, booleans, the quality enum, nested markers.
    assert {w.score is None for w in cols} == {True, False}
    assert {w.stressed for w in cols} == {True, False}
    assert {w.quality for w in cols} == {w.quality for w in windows}
    assert repr([w.markers for w in cols]) == repr([w.markers for w in windows])
    with pytest.raises(IndexError):
        cols[len(cols)]


def test_a_window_takes_a_few_hundred_bytes(windows: list[WindowResult]) -> None:
    many = windows * 20
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    cols = WindowColumns(many)
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(cols) == len(many)
    assert size / len(many) < 300  # as objects: about 900 bytes each
