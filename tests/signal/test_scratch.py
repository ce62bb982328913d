"""Working arrays kept between batches: what they give is what numpy gives, whatever an
earlier call left in them."""

from __future__ import annotations

import numpy as np

from kindbreak.signal.scratch import Scratch


def test_repeat_and_owners_are_numpys_whatever_was_there_before() -> None:
    rng = np.random.default_rng(3)
    scratch = Scratch()
    for _ in range(20):
        counts = rng.integers(0, 6, rng.integers(1, 30))
        values = rng.normal(size=counts.size)
        np.testing.assert_array_equal(
            scratch.owners("o", counts), np.repeat(np.arange(counts.size), counts)
        )
        got = scratch.repeat("r", values, counts)
        assert got.tobytes() == np.repeat(values, counts).tobytes()


def test_an_array_is_reused_and_grows_when_asked_for_more() -> None:
    scratch = Scratch()
    a = scratch.array("x", (4, 5))
    a[:] = 7.0
    b = scratch.array("x", (2, 3))
    assert np.shares_memory(a, b) and b.shape == (2, 3)
    c = scratch.array("x", (10, 10))
    assert c.shape == (10, 10) and not np.shares_memory(a, c)
    assert scratch.array("y", (3,), np.int64).dtype == np.int64
    assert scratch.nbytes == 100 * 8 + 3 * 8
