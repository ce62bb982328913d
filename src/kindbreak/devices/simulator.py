"""A simulated chest strap: seeded synthetic beats, sent as a strap sends them.

Useful to try kindbreak without a strap (``kindbreak monitor --simulate``) and in tests. Heart
rate follows a calm baseline with breathing-driven variability (respiratory sinus arrhythmia)
and rises, with variability falling, during the given stress episodes. Like the other sources it
yields raw 0x2A37 notifications about once a second, stamped on the injected clock.
"""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from kindbreak.clock import Clock
from kindbreak.stream import (
    DeviceInfo,
    LinkState,
    Notification,
    SourceItem,
    StateEvent,
    encode_measurement,
)


@dataclass(frozen=True, slots=True)
class SimulatedEpisode:
    start_s: float
    end_s: float
    hr_rise_bpm: float = 10.0


@dataclass(frozen=True, slots=True)
class SimulatorSettings:
    calm_hr_bpm: float = 64.0
    rsa_ms: float = 45.0
    breath_s: float = 5.0
    noise_ms: float = 12.0
    duration_s: float = math.inf
    episodes: Sequence[SimulatedEpisode] = ()


class SimulatorSource:
    def __init__(self, clock: Clock, settings: SimulatorSettings | None = None, *, seed: int = 1):
        self._clock = clock
        self.settings = settings or SimulatorSettings()
        self._rng = random.Random(seed)
        self._closed = False

    @property
    def info(self) -> DeviceInfo:
        return DeviceInfo(name="kindbreak simulator", address="simulated", body_location="chest")

    def _stress(self, t_s: float) -> float:
        """0 when calm, ramping to 1 within 60 s of an episode's start and back after its end."""
        level = 0.0
        for ep in self.settings.episodes:
            if ep.start_s <= t_s <= ep.end_s + 60.0:
                up = min(1.0, (t_s - ep.start_s) / 60.0)
                down = 1.0 if t_s <= ep.end_s else max(0.0, 1.0 - (t_s - ep.end_s) / 60.0)
                level = max(level, up * down * ep.hr_rise_bpm / 10.0)
        return level

    def next_rr_ms(self, t_s: float) -> float:
        s = self.settings
        stress = self._stress(t_s)
        hr = s.calm_hr_bpm + 10.0 * stress
        rsa = s.rsa_ms * (1.0 - 0.6 * min(stress, 1.0))
        base = 60000.0 / hr
        return (
            base + rsa * math.sin(2 * math.pi * t_s / s.breath_s) + self._rng.gauss(0, s.noise_ms)
        )

    async def stream(self) -> AsyncIterator[SourceItem]:
        s = self.settings
        t = self._clock.monotonic()
        yield StateEvent(t, LinkState.CONNECTED, "simulated strap")
        beat_t = t
        pending: list[float] = []
        next_send = t + 1.0
        while not self._closed and beat_t < s.duration_s:
            rr = self.next_rr_ms(beat_t)
            beat_t += rr / 1000.0
            pending.append(rr)
            if beat_t >= next_send:
                arrival = beat_t + self._rng.uniform(0.01, 0.08)
                await self._clock.sleep_until(arrival)
                hr = round(60000.0 / (sum(pending) / len(pending)))
                yield Notification(
                    arrival, encode_measurement(hr, rr_ms=pending, sensor_contact=True)
                )
                pending = []
                next_send = beat_t + 1.0

    async def aclose(self) -> None:
        self._closed = True
