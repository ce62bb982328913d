"""Test data: a synthetic chest-strap recording (calm, two stressful stretches, calm), a store
filled by importing it on two days, and prompts and practices logged around the stress."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kindbreak.devices.recording import RecordingHeader, RecordingWriter
from kindbreak.offline.importer import import_file
from kindbreak.store.db import Store
from kindbreak.stream import DeviceInfo, Notification, encode_measurement

DURATION_S = 2400.0


def hr_profile(t: float) -> float:
    """Calm 62 bpm; stress to 80 bpm (10-20 min) and 78 bpm (30-35 min); calm again."""

    def ramp(t: float, a: float, b: float) -> float:
        return min(1.0, max(0.0, (t - a) / (b - a)))

    up1 = ramp(t, 600, 720) - ramp(t, 1200, 1320)
    up2 = ramp(t, 1700, 1800) - ramp(t, 2100, 2200)
    return 62.0 + 18.0 * up1 + 16.0 * up2


def synthetic_rr(seed: int, duration_s: float = DURATION_S) -> list[tuple[float, float]]:
    """``(t_s, rr_ms)`` beats: the profile's heart rate with breathing sinus arrhythmia."""
    rng = random.Random(seed)
    out: list[tuple[float, float]] = []
    t = 0.5
    while t < duration_s:
        hr = hr_profile(t)
        stress = (hr - 62.0) / 18.0
        rsa = (0.06 - 0.04 * stress) * math.sin(2 * math.pi * t / 5.0)
        rr = 60000.0 / hr * (1.0 + rsa) + rng.gauss(0.0, 12.0)
        t += rr / 1000.0
        out.append((t, rr))
    return out


def write_recording(path: Path, start: datetime, seed: int) -> Path:
    header = RecordingHeader(
        device=DeviceInfo(name="Polar H10 TEST", address="AA:BB:CC:DD:EE:FF"),
        start_wall=start,
        note="synthetic test recording",
    )
    beats = synthetic_rr(seed)
    with RecordingWriter(path, header) as w:
        pending: list[float] = []
        next_t = 1.0
        for t, rr in beats:
            pending.append(rr)
            if t >= next_t:
                hr = round(60000.0 / (sum(pending) / len(pending)))
                w.write(Notification(round(t, 3), encode_measurement(hr, rr_ms=pending)))
                pending = []
                next_t = math.floor(t) + 1.0
    return path


DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)

# (session time of the prompt, kind, outcome or None for no answer)
PLAN: dict[int, list[tuple[float, str, str | None]]] = {
    0: [
        (780.0, "breath", "done"),
        (1100.0, "touch", "skipped"),
        (1830.0, "breath", "done"),
        (2050.0, "phrase", None),
    ],
    1: [
        (760.0, "touch", "snoozed"),
        (1000.0, "breath", "done"),
        (1850.0, "touch", None),
        (2000.0, "body", "done"),
    ],
}


@dataclass
class Built:
    db: Path
    session_ids: list[int]
    prompt_ids: list[int]


def build_store(tmp: Path) -> Built:
    db = tmp / "kindbreak.sqlite3"
    session_ids: list[int] = []
    prompt_ids: list[int] = []
    with Store(db) as store:
        for i, start in enumerate((DAY1, DAY2)):
            rec = write_recording(tmp / f"day{i}.jsonl", start, seed=100 + i)
            result = import_file(store, rec)
            sid = result.session_id
            session_ids.append(sid)
            wall0 = start.timestamp()
            for t_s, kind, outcome in PLAN[i]:
                pid = store.add_prompt(
                    session_id=sid,
                    wall=wall0 + t_s,
                    t_s=t_s,
                    prompt_id=f"{kind}-1",
                    kind=kind,
                    title=f"A {kind} break",
                    trigger="stress",
                    notifier="terminal",
                    score=70.0,
                    shown=True,
                )
                prompt_ids.append(pid)
                if outcome is not None:
                    store.add_practice(
                        prompt_row_id=pid,
                        wall=wall0 + t_s + 45.0,
                        outcome=outcome,
                        kind=kind,
                        duration_s=60.0 if outcome == "done" else None,
                    )
    return Built(db, session_ids, prompt_ids)
