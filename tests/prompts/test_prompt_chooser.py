"""The prompt chooser: no repeats, a mix of kinds, weights that shift the mix."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter

import pytest

from kindbreak.prompts.chooser import DEFAULT_NO_REPEAT, choose_prompt, weights_from_uptake
from kindbreak.prompts.library import KINDS, Prompt, PromptLibrary, load_builtin

LIB = load_builtin()


def draw(
    library: PromptLibrary | list[Prompt],
    n: int,
    weights: dict[str, float] | None = None,
    seed: int = 7,
) -> list[Prompt]:
    rng = random.Random(seed)
    shown: list[str] = []
    out: list[Prompt] = []
    for _ in range(n):
        p = choose_prompt(library, shown, weights or {}, rng)
        shown.append(p.id)
        out.append(p)
    return out


def test_no_repeat_among_the_last_eight_over_many_draws() -> None:
    seq = draw(LIB, 3000)
    ids = [p.id for p in seq]
    for i, pid in enumerate(ids):
        assert pid not in ids[max(0, i - DEFAULT_NO_REPEAT) : i], i
    # and everything gets its turn
    assert set(ids) == {p.id for p in LIB}


def test_never_the_same_kind_twice_in_a_row() -> None:
    seq = draw(LIB, 3000)
    assert all(a.kind != b.kind for a, b in itertools.pairwise(seq))


def test_uniform_weights_give_an_even_mix_of_kinds() -> None:
    counts = Counter(p.kind for p in draw(LIB, 6000))
    shares = {k: counts[k] / 6000 for k in KINDS}
    assert all(0.14 < s < 0.19 for s in shares.values()), shares


def test_weights_shift_the_mix_measurably() -> None:
    # breath weighs 4, the rest 1. With "not the same kind twice" breath can follow any other
    # kind with probability 4 / (4 + 4) = 1/2 and never itself, so its long-run share is 1/3
    # (p = (1 - p) / 2), against 1/6 with equal weights.
    n = 6000
    even = Counter(p.kind for p in draw(LIB, n))["breath"] / n
    heavy = Counter(p.kind for p in draw(LIB, n, {"breath": 4.0}))["breath"] / n
    assert heavy == pytest.approx(1 / 3, abs=0.02)
    assert even == pytest.approx(1 / 6, abs=0.02)
    # a kind weighted down appears less
    light = Counter(p.kind for p in draw(LIB, n, {"journal": 0.25}))["journal"] / n
    assert light < even * 0.5


def test_zero_weight_drops_a_kind_unless_nothing_else_is_left() -> None:
    seq = draw(LIB, 2000, {"journal": 0.0})
    assert "journal" not in {p.kind for p in seq}
    only_journal = list(LIB.by_kind("journal"))
    seq = draw(only_journal, 50, {"journal": 0.0})  # all weights 0: uniform instead
    assert len(seq) == 50


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_nonsense_weights_count_as_zero(bad: float) -> None:
    seq = draw(LIB, 1000, {"touch": bad})
    assert "touch" not in {p.kind for p in seq}


def test_same_seed_same_sequence_and_different_seed_differs() -> None:
    a = [p.id for p in draw(LIB, 200, seed=1)]
    assert a == [p.id for p in draw(LIB, 200, seed=1)]
    assert a != [p.id for p in draw(LIB, 200, seed=2)]


def test_tiny_libraries() -> None:
    one = [Prompt("a", "touch", "A", "a")]
    assert [p.id for p in draw(one, 3)] == ["a", "a", "a"]
    two = [Prompt("a", "touch", "A", "a"), Prompt("b", "touch", "B", "b")]
    ids = [p.id for p in draw(two, 10)]
    assert all(x != y for x, y in itertools.pairwise(ids))  # alternates
    with pytest.raises(ValueError, match="empty"):
        choose_prompt([], [], {}, random.Random(0))


def test_one_kind_only_may_repeat_its_kind_but_not_its_prompts() -> None:
    breath = list(LIB.by_kind("breath"))
    seq = draw(breath, 60)
    window = len(breath) - 1
    ids = [p.id for p in seq]
    for i, pid in enumerate(ids):
        assert pid not in ids[max(0, i - window) : i]


def test_unknown_recent_ids_are_ignored() -> None:
    p = choose_prompt(LIB, ["gone-1", "gone-2"], {}, random.Random(3))
    assert p in LIB.prompts


def test_recent_kind_is_avoided_even_with_a_strong_weight() -> None:
    rng = random.Random(5)
    for _ in range(200):
        p = choose_prompt(LIB, ["breath-soft-sigh"], {"breath": 100.0}, rng)
        assert p.kind != "breath"


def test_weights_from_uptake() -> None:
    w = weights_from_uptake(
        shown={"touch": 20, "breath": 20, "journal": 20, "phrase": 1},
        taken={"touch": 18, "breath": 10, "journal": 0, "phrase": 1},
    )
    assert set(w) == set(KINDS)
    assert w["touch"] > w["breath"] > w["journal"]
    assert w["journal"] == pytest.approx(0.15)  # floored, never out of the mix
    assert w["body"] == pytest.approx(0.5)  # never shown: the prior
    assert w["phrase"] == pytest.approx((1 + 2) / (1 + 4))  # one take is not a certainty
    # taken can't exceed shown; negatives count as zero
    assert weights_from_uptake({"touch": 2}, {"touch": 9})["touch"] == pytest.approx(4 / 6)
    assert weights_from_uptake({"touch": -3}, {"touch": -1})["touch"] == pytest.approx(0.5)


def test_uptake_weights_feed_the_chooser() -> None:
    w = weights_from_uptake({"touch": 40, "journal": 40}, {"touch": 36, "journal": 2})
    counts = Counter(p.kind for p in draw(LIB, 4000, w))
    assert counts["touch"] > 3 * counts["journal"]
