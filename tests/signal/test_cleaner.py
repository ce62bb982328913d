"""The stream cleaner against its definition, and the pipeline's one code path.

A window ``(start, end]`` must get exactly what ``correct_rr(..., ongoing=True)`` gives for
every beat up to ``end`` (each segment cleaned on its own), restricted to the window, whether
the beats came one at a time (live) or in blocks of any size (a file), and whatever the windows
closed together.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kindbreak.signal.artifacts import (
    Correction,
    apply_corrections,
    classify_as_it_stands,
    classify_beats,
    correct_rr,
    running_median,
)
from kindbreak.signal.cleaner import StreamCleaner
from kindbreak.signal.pipeline import Pipeline, PipelineSettings


def stream(
    seed: int, n: int, artifacts: float, gaps: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beats with ectopic, missed and extra beats, impossible values and contact gaps."""
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    rr = 820 + 45 * np.sin(k / 0.7) + 25 * np.sin(k / 5.0) + rng.normal(0, 18, n)
    for i in rng.integers(0, n, int(artifacts * n)):
        rr[i] *= rng.choice([0.55, 0.7, 1.4, 1.9])
    rr = np.round(np.clip(rr, 300, 1990), 1)
    t = np.cumsum(rr) / 1000.0
    gap = np.zeros(n, dtype=bool)
    for j in rng.integers(1, n, gaps):
        gap[j] = True
        t[j:] += rng.uniform(2, 40)
    return t, rr, gap


def reference(
    t: np.ndarray, rr: np.ndarray, gap: np.ndarray, start: float, end: float, method: Correction
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """The definition: correct_rr of everything up to ``end`` (its last segment going on),
    restricted to the window."""
    upto = t <= end
    c = correct_rr(rr[upto], t[upto], gap[upto], method=method, ongoing=True)
    inside = (c.t_s > start) & (c.t_s <= end)
    # Which input beats were artifacts (corrected with auto, found with none).
    n = int(upto.sum())
    bounds = [0, *[int(i) for i in np.flatnonzero(gap[:n]) if i > 0], n]
    flags = np.zeros(n, dtype=bool)
    for a, b in itertools.pairwise(bounds):
        if b > a:
            kinds = classify_as_it_stands(rr[a:b]) if b == n else classify_beats(rr[a:b])
            done = apply_corrections(
                rr[a:b], t[a:b], kinds, running_median(rr[a:b]), fix=method is Correction.AUTO
            )
            flags[a:b] = done.corrected
    in_window = t[:n] > start
    return (
        c.rr_ms[inside],
        c.t_s[inside],
        c.breaks[inside],
        int(in_window.sum()),
        int(flags[in_window].sum()),
    )


@pytest.mark.parametrize("method", [Correction.AUTO, Correction.NONE])
@pytest.mark.parametrize(
    ("seed", "artifacts", "live", "gaps"),
    [
        (1, 0.01, True, 3),
        (2, 0.03, False, 3),
        (3, 0.15, False, 3),
        (4, 0.08, True, 3),
        # Many segments, some of a few beats (too short to judge), some shorter than the
        # spans of the thresholds (45 beats) or of a window's provisional tail (101 beats).
        (6, 0.05, True, 40),
        (7, 0.05, False, 25),
    ],
)
def test_windows_are_correct_rr_up_to_their_end(
    seed: int, artifacts: float, live: bool, gaps: int, method: Correction
) -> None:
    t, rr, gap = stream(seed, 1400, artifacts, gaps)
    rng = np.random.default_rng(seed + 100)
    cleaner = StreamCleaner(method)
    window_s, step_s = 150.0, 20.0
    ends = np.arange(t[0] + window_s, t[-1] + 3.0, step_s)
    pos = done = checked = 0
    while done < ends.size:
        if pos < t.size:
            k = 1 if live else int(rng.integers(1, 250))
            if k == 1:
                cleaner.append(float(t[pos]), float(rr[pos]), bool(gap[pos]))
            else:
                cleaner.extend(t[pos : pos + k], rr[pos : pos + k], gap[pos : pos + k])
            pos += k
        now = t[min(pos, t.size) - 1] if pos < t.size else np.inf
        closing = ends[done:][ends[done:] + 2.0 <= now]
        if closing.size == 0:
            continue
        got = cleaner.windows(closing - window_s, closing)
        for j, end in enumerate(closing):
            nn, nt, brk = got.window(j)
            want = reference(t, rr, gap, end - window_s, end, method)
            np.testing.assert_array_equal(nn, want[0])
            np.testing.assert_array_equal(nt, want[1])
            np.testing.assert_array_equal(brk, want[2])
            assert (got.n_input[j], got.n_corrected[j]) == want[3:]
            checked += 1
        done += closing.size
        cleaner.forget_before(float(closing[-1]) + step_s - window_s)
    assert checked == ends.size > 40
    if method is Correction.AUTO and artifacts >= 0.03:
        assert cleaner.n_corrected > 0


def test_live_memory_stays_bounded() -> None:
    t, rr, gap = stream(5, 20_000, 0.02)  # about 4.5 hours
    cleaner = StreamCleaner()
    held = []
    next_end = t[0] + 300.0
    for i in range(t.size):
        cleaner.append(float(t[i]), float(rr[i]), bool(gap[i]))
        if t[i] >= next_end + 2.0:
            cleaner.windows(np.array([next_end - 300.0]), np.array([next_end]))
            next_end += 30.0
            cleaner.forget_before(next_end - 300.0)
            held.append(cleaner.buffered)
    assert max(held[10:]) < 700  # a window of beats (about 360) and the context it needs
    assert held[-1] < 700


def feed_all(
    t: np.ndarray, rr: np.ndarray, gap: np.ndarray, chunks: list[int] | None
) -> tuple[str, list[object]]:
    p = Pipeline(PipelineSettings(window_s=120.0, step_s=15.0))
    windows: list[object] = []
    events: list[object] = []
    if chunks is None:
        for ti, ri, gi in zip(t.tolist(), rr.tolist(), gap.tolist(), strict=True):
            out = p.feed_beat(ti, ri, gap_before=gi)
            windows += out.windows
            events += out.events
    else:
        pos = 0
        for k in chunks:
            out = p.feed_beats(t[pos : pos + k], rr[pos : pos + k], gap[pos : pos + k])
            windows += out.windows
            events += out.events
            pos += k
    out = p.finish(float(t[-1]))
    windows += out.windows
    events += out.events
    return repr(windows), events


@pytest.mark.parametrize("seed", range(3))
def test_a_file_in_blocks_gives_what_beat_by_beat_gives(seed: int) -> None:
    """``feed_beats`` (analyze, import) and ``feed_beat`` (one beat at a time) are one path:
    the same windows to the bit, the same detector events."""
    t, rr, gap = stream(seed + 10, 3000, 0.04)
    rr = rr.copy()
    rr[[100, 101, 1500, 2222]] = [250.0, 2600.0, 120.0, 3000.0]  # dropped, leave gaps
    one, ev_one = feed_all(t, rr, gap, None)
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 700, 40)
    head = [int(c) for c in sizes[np.cumsum(sizes) < t.size]]
    chunks = [*head, t.size - sum(head)]
    blocks, ev_blocks = feed_all(t, rr, gap, [int(c) for c in chunks])
    assert one.count("WindowResult") > 150
    assert blocks == one
    assert ev_blocks == ev_one
