"""The reconnect backoff policy: pure, seeded, bounded."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindbreak.devices.reconnect import BackoffPolicy


def test_defaults_double_from_one_second_to_thirty():
    policy = BackoffPolicy()
    assert [policy.base_delay_s(n) for n in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_seeded_delays_repeat_and_differ_between_seeds():
    first = list(itertools.islice(BackoffPolicy().delays(42), 10))
    assert first == list(itertools.islice(BackoffPolicy().delays(42), 10))
    assert first != list(itertools.islice(BackoffPolicy().delays(43), 10))


def test_no_jitter_gives_the_base_delays():
    policy = BackoffPolicy(initial_s=0.5, factor=3.0, max_s=10.0, jitter_frac=0.0)
    assert list(itertools.islice(policy.delays(), 5)) == [0.5, 1.5, 4.5, 10.0, 10.0]


@given(
    attempt=st.integers(min_value=0, max_value=10_000),
    seed=st.integers(),
    jitter=st.floats(min_value=0.0, max_value=0.99),
)
def test_jittered_delay_stays_near_the_base_and_under_the_cap(attempt, seed, jitter):
    policy = BackoffPolicy(jitter_frac=jitter)
    base = policy.base_delay_s(attempt)
    delay = policy.delay_s(attempt, random.Random(seed))
    assert 0.0 <= delay <= policy.max_s
    assert base * (1 - jitter) - 1e-9 <= delay <= base * (1 + jitter) + 1e-9


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_s": -1.0},
        {"factor": 0.5},
        {"initial_s": 5.0, "max_s": 1.0},
        {"jitter_frac": 1.0},
        {"initial_s": float("nan")},
    ],
)
def test_invalid_policies_are_rejected(kwargs):
    with pytest.raises(ValueError):
        BackoffPolicy(**kwargs)


def test_negative_attempt_is_rejected():
    with pytest.raises(ValueError):
        BackoffPolicy().base_delay_s(-1)


def test_waiting_for_an_absent_strap_backs_off_to_five_minutes():
    """``monitor --wait``: a strap away all afternoon costs one look every 5 minutes."""
    from kindbreak.devices.ble import WAITING_BACKOFF

    base = [WAITING_BACKOFF.base_delay_s(n) for n in range(10)]
    assert base == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert sum(base[:8]) < 10 * 60  # back within 10 minutes of a short absence
