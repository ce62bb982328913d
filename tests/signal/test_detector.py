"""Detector hysteresis: no flapping, minimum durations, poor windows and gaps never trigger."""

from __future__ import annotations

import numpy as np

from kindbreak.signal.detector import Detector, DetectorParams, EventKind

P = DetectorParams(on_score=60, off_score=45, min_on_s=30, min_off_s=60, max_gap_s=90)


def feed(scores: list[float | None], step: float = 30.0) -> tuple[Detector, list]:
    d = Detector(P)
    events = []
    for i, s in enumerate(scores):
        ev = d.update(i * step, s)
        if ev is not None:
            events.append(ev)
    return d, events


def test_single_high_window_never_prompts() -> None:
    _, events = feed([20, 20, 95, 20, 20, 95, 20])
    assert events == []


def test_rises_after_min_on_and_settles_after_min_off() -> None:
    d, events = feed([20, 70, 70, 70, 70, 30, 30, 30, 30])
    assert [e.kind for e in events] == [EventKind.RISING, EventKind.SETTLED]
    rising, settled = events
    assert rising.t_s - rising.episode_start_s == P.min_on_s
    assert settled.t_s == 5 * 30.0  # first window below off_score
    assert not d.stressed


def test_no_flapping_around_the_threshold() -> None:
    rng = np.random.default_rng(4)
    scores: list[float | None] = [float(v) for v in 55 + rng.uniform(-8, 8, 400)]
    _, events = feed(scores)
    # Hovering at 47-63 for three hours: at most one episode, never on/off chatter.
    assert len(events) <= 1


def test_between_off_and_on_keeps_the_state() -> None:
    d, events = feed([70, 70, 70, 50, 50, 50, 50, 50, 50])
    assert [e.kind for e in events] == [EventKind.RISING]
    assert d.stressed


def test_poor_windows_never_trigger_and_do_not_count() -> None:
    _, events = feed([None] * 50)
    assert events == []
    # High, then poor windows (contact loss), then one high window: the run before the gap
    # no longer counts, so no prompt on the first window after contact returns.
    _, events = feed([20, 70, None, None, None, None, 70, 20])
    assert events == []


def test_short_poor_stretch_pauses_but_does_not_reset() -> None:
    _, events = feed([20, 70, None, 70, 70])
    assert [e.kind for e in events] == [EventKind.RISING]


def test_a_run_needs_a_fast_rise_and_must_still_be_up() -> None:
    d = Detector(P)
    # High for a minute, but no fast rise anywhere in the run (a meal building up): no episode.
    assert [d.update(t, 80.0, rising_fast=False) for t in (0.0, 30.0, 60.0, 90.0)] == [None] * 4
    d = Detector(P)
    # A fast rise at the start of the run is enough; the prompt waits while the last 30 s are
    # no longer up (a burst that is over), and comes when they are.
    assert d.update(0.0, 80.0, rising_fast=True) is None
    assert d.update(30.0, 80.0, rising_fast=False, still_up=False) is None
    assert d.update(60.0, 80.0, rising_fast=False, still_up=False) is None
    ev = d.update(90.0, 80.0, rising_fast=False, still_up=True)
    assert ev is not None and ev.kind is EventKind.RISING and ev.episode_start_s == 0.0


def test_contact_lost_for_longer_than_max_gap_ends_the_episode() -> None:
    _, events = feed([20, 70, 70, 70, None, None, None, None, 70, 70, 70])
    kinds = [(e.kind, e.t_s) for e in events]
    # Rising at 60 s; the last good window at 90 s; over at 90 + 90 s; a new one needs min_on
    # (30 s here) after contact returns at 240 s.
    assert kinds[:2] == [(EventKind.RISING, 60.0), (EventKind.SETTLED, 180.0)]
    assert kinds[2:] == [(EventKind.RISING, 270.0)]
