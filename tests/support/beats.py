"""Synthetic beats, and the ~1 s notifications a strap would send for them."""

from __future__ import annotations

# -- synthetic beats and recordings -------------------------------------------------------------


def synthetic_rr(segments: list[tuple[float, float, float]], *, seed: int) -> list[float]:
    """Beat intervals (ms) for consecutive segments of (seconds, mean HR bpm, RMSSD ms).

    Each interval is the segment's mean RR plus independent Gaussian noise with standard
    deviation RMSSD / sqrt(2), so successive differences have the asked-for RMSSD.
    """
    import random

    rng = random.Random(seed)
    rr: list[float] = []
    for seconds, hr_bpm, rmssd_ms in segments:
        mean = 60000.0 / hr_bpm
        sd = rmssd_ms / 2**0.5
        elapsed = 0.0
        while elapsed < seconds:
            v = rng.gauss(mean, sd)
            rr.append(v)
            elapsed += v / 1000.0
    return rr


def notifications_from_rr(
    rr_ms: list[float],
    *,
    seed: int,
    t0_s: float = 0.0,
    every_s: float = 1.0,
    sensor_contact: bool | None = True,
):
    """Cut beats into ~1 s notifications the way a strap sends them.

    Each notification carries the RR of the beats since the previous one (whole 1/1024 s
    ticks) and arrives 10-80 ms after its last beat. Returns (notifications, beat end times).
    """
    import random

    from kindbreak.stream import Notification, encode_measurement

    rng = random.Random(seed)
    out = []
    times = []
    t = t0_s
    pending: list[float] = []
    next_send = t0_s + every_s
    for v in rr_ms:
        t += v / 1000.0
        times.append(t)
        pending.append(v)
        if t >= next_send:
            hr = round(60000.0 / (sum(pending) / len(pending)))
            payload = encode_measurement(hr, rr_ms=pending, sensor_contact=sensor_contact)
            out.append(Notification(round(t + rng.uniform(0.01, 0.08), 4), payload))
            pending = []
            next_send = t + every_s
    return out, times


CALM_THEN_STRESS = [(480.0, 65.0, 40.0), (420.0, 77.0, 18.0)]
STRESS_START_S = 480.0


# -- NeuroKit2, the reference for the time-domain markers ---------------------------------------
#
# Importing NeuroKit2 takes about five seconds, as long as the rest of the suite. The reference
# values are therefore computed in a child interpreter started when collection ends (see
# conftest.py), on the other core, while the other tests run; the comparison test runs last.
