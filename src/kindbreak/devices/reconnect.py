"""When to try again after a lost link: exponential backoff with jitter, pure and seedable.

The delay before reconnect attempt ``n`` (0-based) is ``initial_s * factor**n`` capped at
``max_s``, then spread by up to ``jitter_frac`` either way so that several apps (or several
straps) that lost their link at the same moment do not retry in lockstep. With the defaults:
about 1, 2, 4, 8, 16, 30, 30, ... seconds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    initial_s: float = 1.0
    factor: float = 2.0
    max_s: float = 30.0
    jitter_frac: float = 0.1

    def __post_init__(self) -> None:
        if not self.initial_s >= 0:
            raise ValueError(f"initial_s must be >= 0, got {self.initial_s!r}")
        if not self.factor >= 1:
            raise ValueError(f"factor must be >= 1, got {self.factor!r}")
        if not self.max_s >= self.initial_s:
            raise ValueError(f"max_s ({self.max_s!r}) must be >= initial_s ({self.initial_s!r})")
        if not 0 <= self.jitter_frac < 1:
            raise ValueError(f"jitter_frac must be in [0, 1), got {self.jitter_frac!r}")

    def base_delay_s(self, attempt: int) -> float:
        """The delay before attempt ``attempt`` (0-based), without jitter."""
        if attempt < 0:
            raise ValueError(f"attempt must be >= 0, got {attempt}")
        delay = self.initial_s
        for _ in range(attempt):
            delay *= self.factor
            if delay >= self.max_s:
                return self.max_s
        return min(delay, self.max_s)

    def delay_s(self, attempt: int, rng: random.Random) -> float:
        """The jittered delay before attempt ``attempt``: within ``jitter_frac`` of the base,
        never above ``max_s`` and never negative."""
        base = self.base_delay_s(attempt)
        spread = rng.uniform(-self.jitter_frac, self.jitter_frac) if self.jitter_frac else 0.0
        return min(self.max_s, max(0.0, base * (1.0 + spread)))

    def delays(self, seed: int | None = None) -> Iterator[float]:
        """The endless sequence of delays for attempts 0, 1, 2, ... (seeded: reproducible)."""
        rng = random.Random(seed)
        attempt = 0
        while True:
            yield self.delay_s(attempt, rng)
            attempt += 1
