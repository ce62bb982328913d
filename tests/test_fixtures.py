"""The bundled recorded fixtures decode to what fixtures/README.md says they hold.

Every figure asserted here was measured by ``fixtures/make_fixtures.py`` (its self-check prints
them) and is quoted in ``fixtures/README.md``.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import statistics
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from kindbreak.devices.recording import RecordingHeader, RecordingReader
from kindbreak.signal.hrm import HeartRateMeasurement, parse_measurement
from kindbreak.stream import LinkState, Notification, StateEvent
from support.data import FIXTURES, REPO

DEMO = REPO / "src" / "kindbreak" / "data"  # workday.jsonl and the week ship in the package
WEEK = ("week-mon", "week-tue", "week-wed", "week-thu", "week-fri")
NAMES = ("workday", "short", "contact-loss", "hr-only", *WEEK)

# Measured by make_fixtures.py (see fixtures/README.md).
WORKDAY_REAL_BEATS = 3503
WORKDAY_FILLED_BEATS = 869
WORKDAY_NOTIFICATIONS = 3854
WORKDAY_CALM_HR = 66.15
WORKDAY_STRESS_HR = 72.19
HR_MARGIN_BPM = 0.5


def where(name: str) -> Path:
    """A built file: the demo recordings in the package, the rest in fixtures/."""
    return DEMO / name if name == "workday.jsonl" or name.startswith("week-") else FIXTURES / name


class Decoded:
    def __init__(self, name: str) -> None:
        reader = RecordingReader(where(f"{name}.jsonl"))
        self.header: RecordingHeader = reader.header
        self.items = list(reader)
        self.notes: list[tuple[float, HeartRateMeasurement, bytes]] = [
            (i.t_s, parse_measurement(i.payload), i.payload)
            for i in self.items
            if isinstance(i, Notification)
        ]
        self.states = [i for i in self.items if isinstance(i, StateEvent)]

    @property
    def rr(self) -> list[float]:
        return [v for _, m, _ in self.notes for v in m.rr_ms]

    @property
    def duration_s(self) -> float:
        return self.items[-1].t_s


@cache
def decoded(name: str) -> Decoded:
    return Decoded(name)


@cache
def events() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (FIXTURES / "contact-loss.events.json").read_text(encoding="utf-8")
    )
    return data


def labels() -> list[tuple[float, float, int]]:
    with (FIXTURES / "workday.labels.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [(float(r["start_s"]), float(r["end_s"]), int(r["label_stress"])) for r in rows]


def mean_hr(rr_ms: list[float]) -> float:
    return 60000 * len(rr_ms) / sum(rr_ms)


@pytest.mark.parametrize("name", NAMES)
def test_every_payload_parses_and_the_header_names_the_source(name: str) -> None:
    d = decoded(name)
    assert d.header.start_wall is not None and d.header.start_wall.weekday() < 5
    assert "doi:10.3390/s22218135" in d.header.note and "Talha Iqbal" in d.header.note
    assert d.notes, name
    times = [i.t_s for i in d.items]
    assert times == sorted(times)
    assert where(f"{name}.jsonl").stat().st_size < 1_000_000


def test_workday_is_a_chest_strap_session_of_60_to_75_minutes() -> None:
    d = decoded("workday")
    assert d.header.device.name == "Polar H10 7E3A1B2C"
    assert d.header.device.body_location == "chest"
    assert 60 * 60 <= d.duration_s <= 75 * 60
    assert len(d.notes) == WORKDAY_NOTIFICATIONS
    assert not d.states
    assert all(m.sensor_contact is True for _, m, _ in d.notes)
    assert {p[0] for _, _, p in d.notes} == {0x16, 0x1E, 0x06, 0x0E}  # RR x EE
    assert all(0 <= len(m.rr_ms) <= 3 for _, m, _ in d.notes)
    assert sum(1 for _, m, _ in d.notes if not m.rr_ms) > 0  # seconds without a beat
    energy = [m.energy_kj for _, m, _ in d.notes if m.energy_kj is not None]
    assert len(energy) == WORKDAY_NOTIFICATIONS // 10
    assert energy == sorted(energy) and energy[-1] > energy[0]


def test_workday_encodes_every_source_beat_and_its_rr_sum_is_its_time() -> None:
    d = decoded("workday")
    rr = d.rr
    assert len(rr) == WORKDAY_REAL_BEATS + WORKDAY_FILLED_BEATS
    assert WORKDAY_FILLED_BEATS / len(rr) < 0.2
    # Beats are continuous from t = 0: each notification arrives 10-80 ms after its last beat
    # (later only when that would send time backwards).
    # The HR byte is 60000 / mean of the last 5 RR.
    t_beat = 0.0
    prev_arrival = 0.0
    recent: list[float] = rr[:1]
    for arrival, m, _ in d.notes:
        t_beat += sum(m.rr_ms) / 1000
        if m.rr_ms:
            lag = arrival - t_beat
            assert 0.0095 <= lag <= 0.0805 or arrival == prev_arrival, (arrival, lag)
            recent = (recent + list(m.rr_ms))[-5:]
        assert m.hr_bpm == round(mean_hr(recent)), arrival
        prev_arrival = arrival
    assert labels()[-1][1] == pytest.approx(t_beat, abs=1e-3)
    assert sum(rr) / 1000 == pytest.approx(3854.05, abs=0.01)


def test_workday_labels_cover_the_session_with_three_stress_stretches_between_calm() -> None:
    rows = labels()
    assert [r[2] for r in rows] == [0, 1, 0, 1, 0, 1, 0]
    assert rows[0][0] == 0.0
    for a, b in itertools.pairwise(rows):
        assert a[1] == b[0]
    assert rows[0][1] - rows[0][0] >= 600  # the baseline minutes are calm
    # Stress stretches of 5 to 15 minutes.
    assert all(300 <= end - start <= 900 for start, end, label in rows if label == 1)


def test_workday_stress_stretches_have_a_higher_heart_rate_than_calm_ones() -> None:
    rr = decoded("workday").rr
    per_stretch: list[tuple[int, list[float]]] = []
    t, j = 0.0, 0
    for _, end_s, label in labels():
        vals: list[float] = []
        while j < len(rr) and t + rr[j] / 2000 < end_s:
            t += rr[j] / 1000
            vals.append(rr[j])
            j += 1
        per_stretch.append((label, vals))
    assert j == len(rr)
    calm = mean_hr([v for lab, vals in per_stretch if lab == 0 for v in vals])
    stress = mean_hr([v for lab, vals in per_stretch if lab == 1 for v in vals])
    assert calm == pytest.approx(WORKDAY_CALM_HR, abs=0.01)
    assert stress == pytest.approx(WORKDAY_STRESS_HR, abs=0.01)
    assert stress - calm >= (WORKDAY_STRESS_HR - WORKDAY_CALM_HR) - HR_MARGIN_BPM
    baseline = mean_hr(per_stretch[0][1])
    for label, vals in per_stretch:
        if label == 1:
            assert mean_hr(vals) >= baseline + 5.0
        else:
            assert mean_hr(vals) <= baseline + 5.0


def test_short_is_the_first_seven_minutes_of_the_workday() -> None:
    short, workday = decoded("short"), decoded("workday")
    assert 6.9 * 60 <= short.duration_s < 7 * 60
    assert short.items == [i for i in workday.items if i.t_s < 7 * 60]
    assert short.header.device == workday.header.device


def test_contact_loss_frames_are_where_the_events_file_says() -> None:
    d, ev = decoded("contact-loss"), events()
    assert 10 * 60 <= d.duration_s <= 15 * 60
    assert ev["duration_s"] == d.duration_s
    lost = [(t, m, p) for t, m, p in d.notes if m.contact_lost]
    windows = ev["contact_loss"]
    assert [w["frames"] for w in windows] == [20, 60]
    assert len(lost) == 80
    for w in windows:
        inside = [(t, m, p) for t, m, p in d.notes if w["start_s"] <= t <= w["end_s"]]
        assert len(inside) == w["frames"]
        assert all(m.sensor_contact is False and not m.rr_ms for _, m, _ in inside)
        stale = [p for _, m, p in inside if m.hr_bpm != 0]
        assert len(stale) == w["stale_hr_frames"]
        assert all(p == bytes([0x04, w["stale_hr_bpm"]]) for p in stale)
        assert all(p == b"\x04\x00" for _, m, p in inside if m.hr_bpm == 0)
        back = next((t, m) for t, m, _ in d.notes if t > w["end_s"])
        assert back[0] == w["contact_back_s"] and back[1].sensor_contact is True
        assert inside[-1][0] - inside[0][0] == pytest.approx(w["frames"] - 1, abs=0.2)


def test_contact_loss_link_drop_leaves_a_silent_gap_of_eight_seconds() -> None:
    d, drop = decoded("contact-loss"), events()["link_drop"]
    assert [(s.state, s.t_s) for s in d.states] == [
        (LinkState.RECONNECTING, drop["reconnecting_s"]),
        (LinkState.CONNECTED, drop["connected_s"]),
    ]
    assert drop["connected_s"] - drop["reconnecting_s"] == pytest.approx(8.0)
    assert not [t for t, _, _ in d.notes if drop["reconnecting_s"] <= t <= drop["connected_s"]]
    before = max(t for t, _, _ in d.notes if t < drop["reconnecting_s"])
    after = min(t for t, _, _ in d.notes if t > drop["connected_s"])
    assert after == drop["first_after_s"]
    assert after - before > 8.0


def test_contact_loss_artifacts_and_duplicate_are_where_documented() -> None:
    d, ev = decoded("contact-loss"), events()
    by_t = {t: m for t, m, _ in d.notes}
    kinds = [a["kind"] for a in ev["artifacts"]]
    assert kinds == [
        "ectopic_pair",
        "missed_beat",
        "extra_beat",
        "impossible_short",
        "impossible_long",
    ]
    for art in ev["artifacts"]:
        assert art["t_s"] == art["rr_frames_t_s"][0]
        for t_s, value in zip(art["rr_frames_t_s"], art["rr_ms"], strict=True):
            assert value in by_t[t_s].rr_ms, art
        assert sum(art["rr_ms"]) == pytest.approx(sum(art["original_rr_ms"]), abs=1.0)
    assert sum(len(a["rr_ms"]) for a in ev["artifacts"]) == 8
    rr = d.rr
    assert [v for v in rr if v < 273] == [ev["artifacts"][3]["rr_ms"][0]]
    assert [v for v in rr if v > 2000] == [ev["artifacts"][4]["rr_ms"][0]]

    dup = ev["duplicate"]
    idx = next(i for i, (t, _, _) in enumerate(d.notes) if t == dup["t_s"])
    assert d.notes[idx][1].rr_ms[0] == dup["rr_ms"] == d.notes[idx - 1][1].rr_ms[-1]


def test_contact_loss_rr_count_adds_up() -> None:
    counts = events()["counts"]
    rr = decoded("contact-loss").rr
    assert len(rr) == counts["rr_encoded"] == 713
    assert counts["rr_encoded"] == (
        counts["source_beats"]
        + counts["artifact_rr_delta"]
        - counts["beats_lost"]
        + counts["duplicates"]
    )


def test_hr_only_is_a_watch_broadcasting_heart_rate_without_rr() -> None:
    d = decoded("hr-only")
    assert d.header.device.body_location == "wrist"
    assert len(d.notes) == 300
    assert 299 <= d.duration_s <= 301
    assert all(p[0] == 0x00 and len(p) == 2 for _, _, p in d.notes)
    assert all(m.sensor_contact is None and not m.rr_ms for _, m, _ in d.notes)
    hrs = [m.hr_bpm for _, m, _ in d.notes]
    assert min(hrs) >= 75 and max(hrs) <= 94
    assert statistics.fmean(hrs) == pytest.approx(82.1, abs=0.05)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(d.notes)]
    assert all(0.9 < g < 1.1 for g in gaps)


def test_make_fixtures_regenerates_every_file_byte_identically(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_fixtures"] = module
    try:
        spec.loader.exec_module(module)
        module.build_all(tmp_path)  # reads tests/data/stress-predict
    finally:
        del sys.modules["make_fixtures"]
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(
        [f"{n}.jsonl" for n in NAMES]
        + ["workday.labels.csv", "contact-loss.events.json", "week.labels.csv"]
    )
    for name in made:
        assert (tmp_path / name).read_bytes() == where(name).read_bytes(), name


# -- the demo week ---------------------------------------------------------------------------------


def week_labels() -> dict[str, list[tuple[float, float, int]]]:
    out: dict[str, list[tuple[float, float, int]]] = {}
    with (FIXTURES / "week.labels.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["day"], []).append(
                (float(r["start_s"]), float(r["end_s"]), int(r["label_stress"]))
            )
    return out


def test_week_is_five_consecutive_weekdays_of_one_person() -> None:
    starts = [decoded(day).header.start_wall for day in WEEK]
    assert all(s is not None for s in starts)
    dates = [s.date() for s in starts if s is not None]
    assert [d.weekday() for d in dates] == [0, 1, 2, 3, 4]
    assert all((b - a).days == 1 for a, b in itertools.pairwise(dates))
    for day in WEEK:
        note = decoded(day).header.note
        assert "one person (S19) all week" in note
        assert decoded(day).header.device == decoded("workday").header.device


def test_week_beats_are_s19s_own_recorded_intervals() -> None:
    """Every interval of the week is one of the workday's (S19's runs, nobody else's)."""
    s19 = set(decoded("workday").rr)
    for day in WEEK:
        rr = decoded(day).rr
        assert set(rr) <= s19, day
        assert len(rr) > 4000


def test_week_days_hold_a_prompt_worth_of_stress_every_49_minutes() -> None:
    """Stress stretches start far enough apart for the 45-minute cooldown: every day has at
    least two that are at least 48 minutes apart (Thursday has one more in between)."""
    labels = week_labels()
    assert sorted(labels) == ["fri", "mon", "thu", "tue", "wed"]
    for day, stretches in labels.items():
        onsets = [start for start, _, label in stretches if label == 1]
        assert 2 <= len(onsets) <= 3, day
        spaced = [onsets[0]]
        for t in onsets[1:]:
            if t - spaced[-1] >= 48 * 60:
                spaced.append(t)
        assert len(spaced) >= 2, day
        assert stretches[0][0] == 0.0 and stretches[-1][2] == 0
        assert [s[2] for s in stretches] == [0, 1] * len(onsets) + [0]


def test_week_stress_stretches_have_a_higher_heart_rate_than_calm_ones() -> None:
    labels = week_labels()
    for name in WEEK:
        rr = decoded(name).rr
        t = 0.0
        by_label: dict[int, list[float]] = {0: [], 1: []}
        stretches = labels[name.removeprefix("week-")]
        i = 0
        for _, end, label in stretches:
            while i < len(rr) and t + rr[i] / 2000 < end:
                t += rr[i] / 1000
                by_label[label].append(rr[i])
                i += 1
        assert mean_hr(by_label[1]) - mean_hr(by_label[0]) > 4.0, name


def test_week_recordings_stay_small() -> None:
    sizes = [where(f"{day}.jsonl").stat().st_size for day in WEEK]
    assert sum(sizes) < 1_200_000
