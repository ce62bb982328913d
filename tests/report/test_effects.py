"""Pure effect arithmetic and the kind weights the prompt chooser takes."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindbreak.prompts.chooser import choose_prompt
from kindbreak.prompts.library import Prompt
from kindbreak.report.effects import (
    FLOOR_WEIGHT,
    Effect,
    Response,
    describe,
    diff_effect,
    kind_effects,
    kind_weights,
    responses,
)
from kindbreak.store.queries import PracticeRec, PromptRec, WindowRec


def _resp(group: str, kind: str, drop: float) -> Response:
    return Response(group, kind, 0.0, 50.0 + drop, 50.0, 40.0, 40.0 + drop / 2)


def test_diff_effect_mean_and_seeded_bootstrap() -> None:
    e = diff_effect([10, 12, 14, 11], [1, 2, 0, 3])
    assert e.mean_drop == pytest.approx(11.75 - 1.5)
    assert (e.n, e.n_control) == (4, 4)
    assert e.ci_low < e.mean_drop < e.ci_high
    assert e.clear and e.enough
    assert diff_effect([10, 12, 14, 11], [1, 2, 0, 3]) == e  # seeded: same interval
    # independent bootstrap with the same seed and resampling order gives the same interval
    rng = np.random.default_rng(20240607)
    t, c = np.array([10, 12, 14, 11.0]), np.array([1, 2, 0, 3.0])
    boot = t[rng.integers(0, 4, size=(2000, 4))].mean(axis=1) - c[
        rng.integers(0, 4, size=(2000, 4))
    ].mean(axis=1)
    assert (e.ci_low, e.ci_high) == tuple(np.percentile(boot, [2.5, 97.5]))


def test_diff_effect_small_samples_say_so() -> None:
    e = diff_effect([5.0], [])
    assert e.mean_drop == 5.0 and math.isnan(e.ci_low) and not e.enough
    e = diff_effect([], [1.0, 2.0])
    assert math.isnan(e.mean_drop) and e.n == 0


def test_kind_effects_against_a_pooled_control() -> None:
    resp = [
        *(_resp("break", "breath", d) for d in (12, 10, 14, 12)),
        *(_resp("break", "touch", d) for d in (1, -1, 0)),
        *(_resp("ignored", k, d) for k, d in (("breath", 2), ("touch", 0), ("phrase", 1))),
    ]
    eff = kind_effects(resp)
    assert set(eff) == {"breath", "touch"}
    assert eff["breath"].mean_drop == pytest.approx(12.0 - 1.0)
    assert eff["touch"].mean_drop == pytest.approx(0.0 - 1.0)
    assert eff["breath"].n == 4 and eff["breath"].n_control == 3


def test_kind_weights_favour_what_helps_but_keep_a_floor() -> None:
    resp = [
        *(_resp("break", "breath", d) for d in (20, 22, 18, 21, 19, 20)),
        *(_resp("break", "touch", d) for d in (-10, -12, -9, -11, -10)),
        *(_resp("ignored", "phrase", d) for d in (1, 0, 2, 1, -1)),
    ]
    w = kind_weights(kind_effects(resp), {"breath": 0.6, "touch": 0.6, "phrase": 0.6})
    assert w["breath"] == 1.0
    assert w["breath"] > w["phrase"] > w["touch"] >= FLOOR_WEIGHT
    breath = kind_effects(resp)["breath"].mean_drop
    assert w["phrase"] == pytest.approx(1 / math.exp(min(1.5, breath / 15.0)), rel=0.05)
    assert w["touch"] == FLOOR_WEIGHT
    # the chooser takes them: breath offered most, touch still now and then
    lib = [
        Prompt(id=f"{k}-1", kind=k, title=k, body=f"a {k} practice")
        for k in ("breath", "touch", "phrase")
    ]
    rng = random.Random(7)
    picks = Counter(choose_prompt(lib, [], w, rng).kind for _ in range(3000))
    assert picks["breath"] > picks["phrase"] > picks["touch"] > 0


def test_uncertain_effects_move_weights_little() -> None:
    noisy = Effect(8.0, -40.0, 56.0, 3, 3)
    sure = Effect(8.0, 6.0, 10.0, 30, 30)
    w = kind_weights({"a": noisy, "b": sure}, {"a": 1.0, "b": 1.0, "c": 1.0})
    assert w["b"] == 1.0
    assert w["c"] < w["a"] < 1.0
    assert w["a"] / w["c"] < 1.2  # a wide interval: barely above neutral


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["touch", "breath", "body", "phrase"]),
        st.tuples(st.floats(-50, 50), st.floats(0, 40), st.integers(0, 40), st.integers(0, 40)),
    ),
    st.dictionaries(st.sampled_from(["touch", "breath", "journal"]), st.floats(0, 1)),
)
def test_kind_weights_are_bounded(
    raw: dict[str, tuple[float, float, int, int]], uptake: dict[str, float]
) -> None:
    effects = {k: Effect(m, m - s, m + s, n, c) for k, (m, s, n, c) in raw.items()}
    w = kind_weights(effects, uptake)
    assert set(w) == set(effects) | set(uptake)
    for v in w.values():
        assert FLOOR_WEIGHT <= v <= 1.0


def _win(end: float, score: float | None, rmssd: float = 40.0) -> WindowRec:
    return WindowRec(
        1, end - 300, end, end - 300, end, 300, "good", 0.0, 1.0, 70.0, 70.0, rmssd, 50.0,
        score, False, 30.0,
    )  # fmt: skip


def test_responses_use_the_5_minutes_before_and_10_after() -> None:
    wins = [_win(t, 80.0 if t <= 1000 else 40.0) for t in range(600, 2000, 30)]
    wins.append(_win(2600.0, 0.0))  # far after: not counted
    prompt = PromptRec(1, 1, 1000.0, "b-1", "breath", "t", "stress", 80.0, True, "done")
    ignored = PromptRec(2, 1, 1000.0, "t-1", "touch", "t", "stress", 80.0, True, None)
    practice = PracticeRec(1, 1, 1040.0, "done", "breath", "", None, 60.0, 1000.0)
    resp, miss_b, miss_i = responses(wins, [prompt, ignored], [practice])
    assert (miss_b, miss_i) == (0, 0)
    by_group = {r.group: r for r in resp}
    assert by_group["break"].score_before == 80.0
    assert by_group["break"].score_after == 40.0
    assert by_group["break"].kind == "breath"
    assert by_group["ignored"].kind == "touch"
    # a practice without data around it is counted as missing, not guessed
    lone = PracticeRec(2, None, 50_000.0, "done", "body", "", None, None, None)
    _, miss_b, _ = responses(wins, [], [lone])
    assert miss_b == 1


def test_simulated_breaks_are_named_and_never_said_to_have_helped() -> None:
    """``demo --week``: a simulated person's breaks on recorded beats cannot have helped, even
    when the recordings happen to carry a clear difference."""
    from kindbreak.report.effects import help_summary

    wins = [_win(float(t), 80.0 if t % 3600 < 1800 else 30.0) for t in range(600, 36_000, 30)]
    prompts, practices = [], []
    for k in range(8):
        wall = 1500.0 + 3600.0 * k  # a prompt just before stress falls (breaks) or while high
        done = k % 2 == 0
        anchor = wall if done else wall - 900.0
        prompts.append(
            PromptRec(k + 1, 1, anchor, f"p{k}", "breath", "t", "stress", 80.0, True, None)
        )
        if done:
            practices.append(
                PracticeRec(k, k + 1, anchor + 60, "done", "breath", "", None, None, anchor, True)
            )
    real = [
        PracticeRec(p.id, p.prompt_row_id, p.wall, p.outcome, p.kind, "", None, None, p.prompt_wall)
        for p in practices
    ]
    simulated = describe(help_summary(wins, prompts, practices))
    own = describe(help_summary(wins, prompts, real))
    assert own[0].startswith("After the 4 breaks you took, your stress score fell")
    assert "The interval is above zero: the breaks measurably helped." in own
    assert simulated[0].startswith("After the 4 breaks the simulated person took, the stress")
    assert not any("measurably helped" in line for line in simulated)
    assert any("simulated on recorded beats, so this is not their effect" in x for x in simulated)
