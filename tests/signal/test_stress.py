"""The stress stage on whole days of windows: a reference that follows the day, episodes that
end and re-arm, a fast rise that lasts, a score in the person's own spread."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindbreak.signal.baseline import Baseline
from kindbreak.signal.detector import EventKind
from kindbreak.signal.stress import StressTracker
from support.window_days import calm, plus, ramp, run_day, sine

# A first session's baseline: five calm minutes (nine samples), so the default spread applies.
FIRST = Baseline(hr_bpm=65.0, rmssd_ms=40.0, n_windows=9, hr_sd_bpm=0.4)
H = 3600.0


def test_a_drift_of_5_bpm_over_hours_is_not_stress() -> None:
    # +-5 bpm over 4 hours: the recent calm state follows it (10 bpm from trough to peak), no
    # episode, and the score reads rest at the median; where the drift is steepest (0.13 bpm a
    # minute) the reference lags about 1.5 bpm, so 3 % of windows read medium, none high.
    day = run_day(plus(calm(), sine(5.0, 4 * H)), 8.0, FIRST, seed=1)
    assert day.events == []
    scores = [r.score for r in day.readings if r is not None]
    assert statistics.median(scores) < 25.0
    assert sum(s > 50.0 for s in scores) / len(scores) == pytest.approx(0.03, abs=0.01)
    assert max(scores) < 75.0
    refs = [r.reference.hr_bpm for r in day.readings if r is not None]
    assert max(refs) - min(refs) == pytest.approx(10.0, abs=0.6)


def test_a_one_hour_step_after_lunch_does_not_prompt() -> None:
    # +6 bpm building up over 15 min, an hour long, RMSSD 15 % lower: no episode.
    meal = ramp(H, 900.0, 2 * H, 900.0, 6.0)
    day = run_day(
        plus(calm(), meal), 3.5, FIRST, seed=2, rmssd=lambda t: 40.0 * (1 - 0.15 * (H < t < 2 * H))
    )
    assert day.events == []


def test_the_same_rise_within_a_minute_prompts() -> None:
    # +6 bpm over 45 s, held ten minutes: a stress response, prompted within two minutes.
    day = run_day(plus(calm(), ramp(H, 45.0, H + 600.0, 60.0, 6.0)), 2.0, FIRST, seed=3)
    rising = day.times(EventKind.RISING)
    assert len(rising) == 1
    assert 60.0 <= rising[0] - H <= 120.0


def test_a_burst_of_talking_does_not_prompt_but_a_lasting_rise_does() -> None:
    burst = ramp(H, 5.0, H + 55.0, 5.0, 10.0)  # standing up, a minute of talking
    assert run_day(plus(calm(), burst), 1.5, FIRST, seed=4).events == []
    lasting = ramp(H, 5.0, H + 300.0, 5.0, 10.0)
    assert run_day(plus(calm(), lasting), 1.5, FIRST, seed=4).times(EventKind.RISING) != []


def test_episodes_end_and_rearm_on_a_drifting_afternoon() -> None:
    """The defect issue 9 found: after a 10-min episode on an afternoon whose calm heart rate
    wanders +-2.5 bpm, the score stayed high for the next 30 calm minutes, so the next episode
    merged into the first and was never prompted."""
    drift = sine(2.5, 2 * H, phase=0.7)
    first = ramp(H, 45.0, H + 600.0, 60.0, 9.0)
    second = ramp(H + 2400.0, 45.0, H + 3000.0, 60.0, 9.0)  # 30 min after the first ended
    day = run_day(plus(calm(), drift, first, second), 3.0, FIRST, seed=5)
    rising, settled = day.times(EventKind.RISING), day.times(EventKind.SETTLED)
    assert len(rising) == 2 and len(settled) == 2
    assert H < rising[0] < H + 150.0 and H + 2400.0 < rising[1] < H + 2550.0
    # Each over within 5 minutes of its stress ending, and the score calm in between.
    assert settled[0] - (H + 600.0) <= 300.0
    assert settled[1] - (H + 3000.0) <= 300.0
    between = [
        r.score
        for r, t in zip(day.readings, range(300, 3 * 3600 + 1, 30), strict=False)
        if r is not None and H + 1200.0 <= t <= H + 2400.0
    ]
    assert max(between) < 50.0


def test_the_reference_stays_within_reach_of_the_baseline() -> None:
    # Two hours 15 bpm up: the recent calm state follows only up to baseline + 10 bpm, so the
    # score still reads the 5 bpm beyond it.
    day = run_day(plus(calm(), ramp(1200.0, 1800.0, 3 * H, 60.0, 15.0)), 2.5, FIRST, seed=6)
    last = [r for r in day.readings if r is not None][-1]
    assert last.reference.hr_bpm == pytest.approx(75.0)
    assert last.load_sd == pytest.approx(5.0 / last.spread_bpm, abs=0.6)


def test_a_long_contact_loss_ends_the_episode() -> None:
    stress = ramp(H, 45.0, H + 1200.0, 60.0, 9.0)
    day = run_day(plus(calm(), stress), 2.0, FIRST, seed=7, gaps=((H + 300.0, H + 900.0),))
    rising, settled = day.times(EventKind.RISING), day.times(EventKind.SETTLED)
    assert len(rising) == 1 and len(settled) == 1
    # The last good window is the one ending before the gap; 90 s later the episode is over.
    assert settled[0] == pytest.approx(H + 270.0 + 90.0)


def test_the_person_s_spread_decides_what_counts() -> None:
    """A +4 bpm response held five minutes: a clear rise for a person whose calm heart rate
    wanders by 1 bpm, within the usual for one whose wanders by 4 bpm (both baselines learned
    from 2000 calm windows)."""
    steady = Baseline(65.0, 40.0, n_windows=2000, hr_sd_bpm=1.0)
    jumpy = Baseline(65.0, 40.0, n_windows=2000, hr_sd_bpm=4.0)
    response = plus(calm(), ramp(H, 45.0, H + 300.0, 60.0, 4.0))
    assert len(run_day(response, 1.5, steady, seed=8).times(EventKind.RISING)) == 1
    assert run_day(response, 1.5, jumpy, seed=8).events == []


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    amplitude=st.floats(0.0, 5.0),
    period_h=st.floats(2.0, 8.0),
    phase=st.floats(0.0, 2 * math.pi),
    seed=st.integers(0, 2**16),
)
def test_no_slow_drift_ever_prompts(
    amplitude: float, period_h: float, phase: float, seed: int
) -> None:
    # Any swing of up to +-5 bpm over 2 h or more (at most 0.26 bpm a minute).
    hr = plus(calm(), sine(amplitude, period_h * H, phase))
    assert run_day(hr, 4.0, FIRST, seed=seed).events == []


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    bpm=st.floats(6.0, 15.0),
    rise_s=st.floats(10.0, 60.0),
    minutes=st.floats(4.0, 15.0),
    drift=st.floats(-5.0, 5.0),
    seed=st.integers(0, 2**16),
)
def test_every_fast_lasting_rise_is_its_own_prompt_and_ends(
    bpm: float, rise_s: float, minutes: float, drift: float, seed: int
) -> None:
    # Two responses 40 min apart on a drifting day: two prompts, each within 150 s of its
    # onset, each episode over within 5 min of its end.
    onsets = (H, H + 2400.0)
    hr = plus(
        calm(),
        sine(drift, 4 * H),
        *(ramp(t, rise_s, t + 60.0 * minutes, 60.0, bpm) for t in onsets),
    )
    day = run_day(hr, 2.5, FIRST, seed=seed)
    rising, settled = day.times(EventKind.RISING), day.times(EventKind.SETTLED)
    assert len(rising) == 2
    for t0, prompt in zip(onsets, rising, strict=True):
        assert 0.0 < prompt - t0 <= 150.0
    for t0, end in zip(onsets, settled, strict=True):
        assert end - (t0 + 60.0 * minutes) <= 300.0


def test_tracker_is_bounded() -> None:
    tracker = StressTracker()
    run_day(calm(), 8.0, FIRST, tracker=tracker)
    # The recent calm state keeps 15 minutes of windows, not the day.
    assert len(tracker.calm._recent) == 30
