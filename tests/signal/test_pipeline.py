"""The one pipeline (kindbreak.signal.pipeline): windows, baseline, score, detector, notes."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kindbreak.clock import VirtualClock
from kindbreak.devices.recording import RecordingHeader, RecordingReader, RecordingWriter
from kindbreak.devices.replay import ReplaySource
from kindbreak.offline.analysis import analyze_file
from kindbreak.signal.beats import Beat
from kindbreak.signal.detector import DetectorEvent, EventKind
from kindbreak.signal.notes import NoteKind
from kindbreak.signal.pipeline import Pipeline, PipelineSettings
from kindbreak.signal.windows import Quality, WindowResult
from kindbreak.stream import DeviceInfo, LinkState, Notification, StateEvent, encode_measurement
from support.beats import CALM_THEN_STRESS, STRESS_START_S, notifications_from_rr, synthetic_rr
from support.data import REPO

HR_ONLY_NOTE = "without beat-to-beat"


@dataclass
class Run:
    pipeline: Pipeline
    items: list
    beats: list[Beat] = field(default_factory=list)
    windows: list[WindowResult] = field(default_factory=list)
    events: list[DetectorEvent] = field(default_factory=list)
    notes: list[tuple[float, str]] = field(default_factory=list)
    #: for every window, the arrival time of the item whose feed() returned it
    closed_at: list[float] = field(default_factory=list)


def run(items, pipeline: Pipeline | None = None, *, finish: bool = False) -> Run:
    p = pipeline or Pipeline()
    r = Run(p, list(items))
    for item in r.items:
        out = p.feed(item)
        r.beats += out.beats
        r.windows += out.windows
        r.closed_at += [item.t_s] * len(out.windows)
        r.events += out.events
        r.notes += [(item.t_s, str(n)) for n in out.notes]
    if finish:
        out = p.finish(r.items[-1].t_s)
        r.windows += out.windows
        r.events += out.events
    return r


@pytest.fixture(scope="module")
def calm_then_stress() -> Run:
    rr = synthetic_rr(CALM_THEN_STRESS, seed=7)
    notes, _ = notifications_from_rr(rr, seed=7)
    return run(notes)


def test_windows_close_every_step_after_the_first_window(calm_then_stress: Run) -> None:
    r = calm_then_stress
    s = r.pipeline.settings
    t0 = r.items[0].t_s
    ends = [w.end_s for w in r.windows]
    # ~900 s of notifications: windows end at t0 + 300, + 330, ... up to the last item.
    expected = [t0 + s.window_s + k * s.step_s for k in range(len(ends))]
    assert ends == pytest.approx(expected, abs=1e-6)
    last_t = r.items[-1].t_s
    assert ends[-1] + s.step_s + s.close_delay_s > last_t  # no complete window left unclosed
    assert len(ends) == int((last_t - s.close_delay_s - t0 - s.window_s) // s.step_s) + 1
    for w, closed in zip(r.windows, r.closed_at, strict=True):
        assert w.start_s == pytest.approx(w.end_s - s.window_s)
        # A window closes with the first item at least close_delay_s after its end.
        assert w.end_s + s.close_delay_s <= closed < w.end_s + s.close_delay_s + 2.0


def test_windows_are_good_and_hold_the_beats(calm_then_stress: Run) -> None:
    r = calm_then_stress
    assert all(w.quality is Quality.GOOD for w in r.windows)
    for w in r.windows:
        inside = [b for b in r.beats if w.start_s < b.t_s <= w.end_s]
        assert w.n_beats == len(inside)
    calm = r.windows[0]
    assert calm.mean_hr_bpm == pytest.approx(65.0, abs=1.5)
    assert calm.markers.rmssd_ms == pytest.approx(40.0, rel=0.2)
    stressed = r.windows[-1]  # all of its five minutes are in the stressed stretch
    assert stressed.start_s > STRESS_START_S
    assert stressed.mean_hr_bpm == pytest.approx(77.0, abs=1.5)
    assert stressed.markers.rmssd_ms == pytest.approx(18.0, rel=0.25)


def test_baseline_is_learned_from_the_calm_start(calm_then_stress: Run) -> None:
    p = calm_then_stress.pipeline
    assert p.baseline is not None and p.baseline_learned
    assert p.baseline.hr_bpm == pytest.approx(65.0, abs=1.5)
    assert p.baseline.rmssd_ms == pytest.approx(40.0, rel=0.2)
    assert p.baseline.learned_until_s < STRESS_START_S


def test_scores_higher_when_stressed(calm_then_stress: Run) -> None:
    r = calm_then_stress
    calm = [w.score for w in r.windows if w.end_s <= STRESS_START_S and w.score is not None]
    # Windows whose last minute (the recent heart rate) is all in the stressed stretch.
    stressed = [w.score for w in r.windows if w.end_s >= STRESS_START_S + 90]
    assert len(calm) >= 1 and len(stressed) >= 8
    assert None not in stressed
    assert min(stressed) > max(calm) + 30
    assert max(calm) < 50
    assert min(stressed) > 75


def test_rising_in_stressed_part_only(calm_then_stress: Run) -> None:
    r = calm_then_stress
    assert [e.kind for e in r.events] == [EventKind.RISING]
    ev = r.events[0]
    assert ev.episode_start_s > STRESS_START_S
    assert ev.t_s < STRESS_START_S + 240
    assert ev.score >= r.pipeline.settings.detector.on_score
    assert ev.peak_score >= ev.score
    before = [w for w in r.windows if w.end_s < ev.t_s]
    after = [w for w in r.windows if w.end_s >= ev.t_s]
    assert not any(w.stressed for w in before)
    assert all(w.stressed for w in after)


def test_rising_exactly_min_on_after_the_first_high_window(calm_then_stress: Run) -> None:
    # Window ends are sums of float steps (here 571.8860999999999 after 511.8861): the
    # detector must still count that as 60 s, not wait one more window.
    r = calm_then_stress
    params = r.pipeline.settings.detector
    ev = r.events[0]
    assert ev.t_s - ev.episode_start_s == pytest.approx(params.min_on_s)


# -- contact loss, HR-only devices, malformed packets -------------------------------------------


def with_contact_loss(lost_from: float, lost_to: float, *, seed: int = 3):
    rr = synthetic_rr([(420.0, 70.0, 35.0)], seed=seed)
    notes, _times = notifications_from_rr(rr, seed=seed)
    items = [
        Notification(n.t_s, encode_measurement(0, sensor_contact=False))
        if lost_from <= n.t_s < lost_to
        else n
        for n in notes
    ]
    return items, notes


def test_contact_loss_note_and_beats_left_out() -> None:
    items, originals = with_contact_loss(120.0, 180.0)
    r = run(items)
    texts = [n for _, n in r.notes]
    lost = [t for t, n in r.notes if n.startswith("contact lost")]
    assert len(lost) == 1 and 120.0 <= lost[0] < 121.5
    restored = [t for t, n in r.notes if n == "contact restored"]
    assert len(restored) == 1 and 180.0 <= restored[0] < 181.5
    assert len(texts) == 2
    # No beat is placed inside the stretch, and the first one after it starts a new chain.
    assert not [b for b in r.beats if 121.0 < b.t_s < 180.0]
    first_after = next(b for b in r.beats if b.t_s >= 180.0)
    assert first_after.gap_before
    assert sum(b.gap_before for b in r.beats) == 2  # the start and after the loss
    # Every placed beat is one the strap sent outside the stretch.
    sent = sum(len(n.payload[2:]) // 2 for n in originals if not 120.0 <= n.t_s < 180.0)
    assert len(r.beats) == sent
    # The window over the stretch holds only the beats around it.
    w = r.windows[0]
    assert w.n_beats == len([b for b in r.beats if w.start_s < b.t_s <= w.end_s])
    assert w.n_beats < 0.85 * 300 * 70 / 60


def test_contact_loss_stretch_does_not_make_a_successive_difference() -> None:
    # Two RR values on either side of the stretch are not neighbours: RMSSD of the window must
    # equal RMSSD computed from the two runs separately.
    import numpy as np

    from kindbreak.signal.hrv import compute_markers

    items, _ = with_contact_loss(120.0, 180.0, seed=5)
    r = run(items)
    w = r.windows[0]
    inside = [b for b in r.beats if w.start_s < b.t_s <= w.end_s]
    rr = np.array([b.rr_ms for b in inside])
    breaks = np.array([b.gap_before for b in inside])
    if not w.artifact_share:
        expect = compute_markers(rr, breaks=breaks, frequency=False).rmssd_ms
        assert w.markers.rmssd_ms == pytest.approx(expect, rel=1e-9)
    diffs = np.concatenate(
        [np.diff(run_) for run_ in np.split(rr, np.flatnonzero(breaks)) if run_.size]
    )
    assert w.markers.rmssd_ms == pytest.approx(float(np.sqrt(np.mean(diffs**2))), rel=0.05)


def test_hr_only_stream() -> None:
    items = [Notification(1.0 + i, encode_measurement(72 + i % 3)) for i in range(420)]
    r = run(items, finish=True)
    notes = [n for _, n in r.notes]
    assert len(notes) == 1 and HR_ONLY_NOTE in notes[0]
    assert r.windows == [] and r.beats == [] and r.events == []
    assert r.pipeline.hr_only
    assert r.pipeline.last_hr_bpm == 72 + 419 % 3


def test_malformed_packet_is_counted_and_skipped() -> None:
    rr = synthetic_rr([(400.0, 68.0, 40.0)], seed=9)
    notes, _ = notifications_from_rr(rr, seed=9)
    k = 150
    bad = Notification(notes[k].t_s + 0.2, b"\x19\x48")  # uint16 HR flag, one byte
    items = [*notes[: k + 1], bad, *notes[k + 1 :]]
    p = Pipeline()
    out = None
    r = Run(p, items)
    for item in items:
        out = p.feed(item)  # must not raise
        if item is bad:
            assert out.beats == [] and out.measurement is None
            assert len(out.notes) == 1 and out.notes[0].kind is NoteKind.MALFORMED_PACKET
            assert str(out.notes[0]).startswith("skipped a malformed packet")
            assert "too short" in str(out.notes[0])
            assert "too short" not in out.notes[0].text  # the bytes stay out of the text
        r.windows += out.windows
    assert p.malformed == 1
    assert len(r.windows) >= 2
    assert all(w.quality is Quality.GOOD for w in r.windows)


def test_impossible_rr_dropped_and_counted() -> None:
    rr = synthetic_rr([(30.0, 70.0, 30.0)], seed=1)
    notes, _ = notifications_from_rr(rr, seed=1)
    k = 10
    poisoned = Notification(notes[k].t_s, encode_measurement(70, rr_ms=(3000.0, 200.0)))
    p = Pipeline()
    out = [p.feed(n if i != k else poisoned) for i, n in enumerate(notes)]
    assert p.dropped_impossible == 2
    assert out[k].beats == []
    nxt = next(o for o in out[k + 1 :] if o.beats)
    assert nxt.beats[0].gap_before


def test_link_state_events_break_the_chain() -> None:
    rr = synthetic_rr([(20.0, 70.0, 30.0)], seed=2)
    notes, _ = notifications_from_rr(rr, seed=2)
    p = Pipeline()
    first = [b for n in notes[:8] for b in p.feed(n).beats]
    assert first[0].gap_before and not any(b.gap_before for b in first[1:])
    p.feed(StateEvent(notes[7].t_s + 0.1, LinkState.RECONNECTING, "link lost"))
    p.feed(StateEvent(notes[8].t_s - 0.1, LinkState.CONNECTED))
    after = p.feed(notes[8]).beats
    assert after and after[0].gap_before


# -- the same-recording promise -----------------------------------------------------------------


def promise_recording(tmp_path: Path) -> Path:
    fixture = REPO / "fixtures" / "short.jsonl"
    if fixture.exists():
        return fixture
    path = tmp_path / "short.jsonl"
    rr = synthetic_rr([(420.0, 66.0, 38.0)], seed=21)
    notes, _ = notifications_from_rr(rr, seed=21)
    with RecordingWriter(path, RecordingHeader(device=DeviceInfo(name="synthetic"))) as w:
        w.write(StateEvent(0.0, LinkState.CONNECTED))
        for n in notes:
            w.write(n)
    return path


def test_analyze_and_live_feed_give_identical_windows(tmp_path: Path) -> None:
    path = promise_recording(tmp_path)
    analysed = analyze_file(path)

    live = Pipeline()
    windows: list[WindowResult] = []
    beats: list[Beat] = []
    last_t = 0.0
    for item in RecordingReader(path):
        out = live.feed(item)
        windows += out.windows
        beats += out.beats
        last_t = item.t_s
    windows += live.finish(last_t).windows

    assert len(windows) >= 3
    # repr: NaN markers (too short for a band) compare equal as text.
    assert repr(windows) == repr(analysed.windows)
    assert beats == analysed.beats

    # And the replay source on a virtual clock (what `monitor --replay` runs) feeds the same.
    async def replay() -> list[WindowResult]:
        clock = VirtualClock(speed=math.inf)
        source = ReplaySource(path, clock)
        p = Pipeline()
        got: list[WindowResult] = []
        async for item in source.stream():
            got += p.feed(item).windows
        got += p.finish(clock.monotonic()).windows
        await source.aclose()
        return got

    assert repr(asyncio.run(replay())) == repr(analysed.windows)


# -- heart rate alone: a window poor for HRV whose last minute is reliable ------------------

#: Windows end every 30 s from 300 s (the first beat comes at its interval's end after 0).
#: Beats resume at 663 s after contact was lost from 330 s: the window ending at 690 s holds
#: only its last 27 s of beats (9 % of it), about 28 of them.
RESUME_S = 663.0
POOR_END_S = 690.0


def _calm_then_a_gap_then(
    rr_after: list[float], settings: PipelineSettings | None = None
) -> WindowResult:
    """Five and a half calm minutes, no beats until ``RESUME_S`` (contact lost), then
    ``rr_after``; the window ending at ``POOR_END_S``."""
    p = Pipeline(settings)
    windows: list[WindowResult] = []
    t = 0.0
    for v in synthetic_rr([(330.0, 65.0, 40.0)], seed=21):
        t += v / 1000.0
        windows += p.feed_beat(t, v).windows
    t = RESUME_S
    for i, v in enumerate(rr_after):
        windows += p.feed_beat(t, v, gap_before=i == 0).windows
        t += v / 1000.0
    windows += p.finish(t).windows
    return next(w for w in windows if abs(w.end_s - POOR_END_S) < 1e-6)


def test_a_window_poor_for_hrv_is_scored_on_its_last_minutes_heart_rate() -> None:
    rr = synthetic_rr([(40.0, 63.0, 40.0)], seed=22)
    w = _calm_then_a_gap_then(rr)
    assert w.quality is Quality.POOR and w.coverage < 0.10 and w.markers.n_beats < 30
    assert w.hr_reliable and 20 <= w.recent_beats < 30 and w.artifact_share == 0.0
    assert w.score is not None
    # Scored without RMSSD: the load is the heart-rate rise alone, in the person's spreads.
    assert w.ref_hr_bpm is not None and w.spread_bpm is not None and w.load_sd is not None
    assert w.load_sd == pytest.approx((w.recent_hr_bpm - w.ref_hr_bpm) / w.spread_bpm)
    # Good windows only: the same window has no score.
    w = _calm_then_a_gap_then(rr, PipelineSettings(min_hr_beats=None))
    assert w.quality is Quality.POOR and w.score is None and not w.hr_reliable


def test_too_few_beats_or_a_loose_strap_stays_unscored() -> None:
    few = synthetic_rr([(40.0, 40.0, 40.0)], seed=23)  # 40 bpm: 18 beats in the last 27 s
    w = _calm_then_a_gap_then(few)
    assert w.recent_beats < 20 and math.isfinite(w.recent_hr_bpm)
    assert w.score is None and not w.hr_reliable
    # A loose strap: one beat in seven split in two. Artifact correction, whose thresholds
    # follow the spread of a short stretch of beats, finds none of them; the fixed 20 % rule
    # sees the jumps and the window stays unscored.
    loose: list[float] = []
    for i, v in enumerate(synthetic_rr([(40.0, 63.0, 40.0)], seed=22)):
        loose += [v / 2, v / 2] if i % 7 == 0 else [v]
    w = _calm_then_a_gap_then(loose)
    assert w.artifact_share == 0.0 and w.recent_beats >= 20
    assert w.recent_jump_share > 0.2
    assert w.score is None and not w.hr_reliable
    # The same beats without the split ones: scored.
    w = _calm_then_a_gap_then(synthetic_rr([(40.0, 63.0, 40.0)], seed=22))
    assert w.recent_jump_share == 0.0 and w.hr_reliable
