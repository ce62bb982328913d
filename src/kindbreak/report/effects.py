"""Did the breaks help? Before/after stress around each practice, against ignored prompts.

For every practice the person took ("done") and every prompt they let pass (no practice done:
skipped, snoozed or unanswered, the natural control), we take the stored windows whose end falls
in the 5 minutes before the moment (the prompt's time, or the practice's own time when it was
taken without a prompt) and in the 10 minutes after, and average their stress score and RMSSD.
The *drop* is before minus after: positive means stress fell. The effect of taking a break is
the mean drop after breaks minus the mean drop after ignored prompts (stress tends to fall after
a peak anyway, which is why the control matters), with a seeded bootstrap 95 % interval.

:func:`kind_effects` does the same per kind of practice, and :func:`kind_weights` turns those
effects (and how often the person takes each kind) into weights for
:func:`kindbreak.prompts.chooser.choose_prompt`, with a floor so every kind is still tried now
and then. Pure functions over plain records; numpy only for the bootstrap.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kindbreak.store.queries import PracticeRec, PromptRec, WindowRec

if TYPE_CHECKING:
    from kindbreak.store.db import Store

BEFORE_S = 300.0
AFTER_S = 600.0
MIN_N = 3
"""Fewer breaks (or ignored prompts) than this with heart data around them: too little to say."""
N_BOOT = 2000
SEED = 20240607

FLOOR_WEIGHT = 0.15
EFFECT_SCALE = 15.0
"""Score points of extra drop that multiply a kind's weight by e (before normalising)."""
PRIOR_SD = 10.0
"""Spread of plausible true effects (score points): shrinks noisy effects toward zero."""
MAX_LOG_FACTOR = 1.5
"""An effect multiplies a weight by at most e^1.5 (about 4.5) or divides it by as much."""


@dataclass(frozen=True, slots=True)
class Response:
    """Stress around one moment: a practice taken, or a prompt let pass."""

    group: str  # "break" | "ignored"
    kind: str
    anchor_wall: float
    score_before: float
    score_after: float
    rmssd_before: float | None
    rmssd_after: float | None
    prompt_row_id: int | None = None
    practice_id: int | None = None
    simulated: bool = False
    """The answer came from a simulated person (``kindbreak demo --week``)."""

    @property
    def score_drop(self) -> float:
        return self.score_before - self.score_after

    @property
    def rmssd_rise(self) -> float | None:
        if self.rmssd_before is None or self.rmssd_after is None:
            return None
        return self.rmssd_after - self.rmssd_before


@dataclass(frozen=True, slots=True)
class Effect:
    """Mean drop (treated minus control) with a bootstrap 95 % interval; NaN when undefined."""

    mean_drop: float
    ci_low: float
    ci_high: float
    n: int
    n_control: int = 0
    treated_mean: float = math.nan
    control_mean: float = math.nan

    @property
    def enough(self) -> bool:
        return self.n >= MIN_N and self.n_control >= MIN_N

    @property
    def clear(self) -> bool:
        """The interval excludes zero (and there is enough data to trust it)."""
        return self.enough and (self.ci_low > 0 or self.ci_high < 0)


@dataclass(frozen=True, slots=True)
class HelpSummary:
    score: Effect
    rmssd: Effect
    n_breaks: int
    n_ignored: int
    n_breaks_no_data: int
    n_ignored_no_data: int
    responses: tuple[Response, ...]

    @property
    def enough(self) -> bool:
        return self.score.enough

    @property
    def simulated(self) -> bool:
        """Every break here was taken by a simulated person (``kindbreak demo --week``)."""
        breaks = [r for r in self.responses if r.group == "break"]
        return bool(breaks) and all(r.simulated for r in breaks)


# -- before / after ------------------------------------------------------------------------------


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _around(
    ends: Sequence[float], wins: Sequence[WindowRec], anchor: float, before_s: float, after_s: float
) -> tuple[float, float, float | None, float | None] | None:
    lo = bisect.bisect_left(ends, anchor - before_s)
    mid = bisect.bisect_right(ends, anchor)
    hi = bisect.bisect_right(ends, anchor + after_s)
    before = [w for w in wins[lo:mid] if w.score is not None]
    after = [w for w in wins[mid:hi] if w.score is not None]
    if not before or not after:
        return None
    sb = _mean([w.score for w in before if w.score is not None])
    sa = _mean([w.score for w in after if w.score is not None])
    rb = _mean([w.rmssd_ms for w in before if w.rmssd_ms is not None])
    ra = _mean([w.rmssd_ms for w in after if w.rmssd_ms is not None])
    assert sb is not None and sa is not None
    return sb, sa, rb, ra


def responses(
    wins: Sequence[WindowRec],
    prompt_recs: Sequence[PromptRec],
    practice_recs: Sequence[PracticeRec],
    *,
    before_s: float = BEFORE_S,
    after_s: float = AFTER_S,
) -> tuple[list[Response], int, int]:
    """Before/after stress for each break taken and each prompt let pass.

    Returns the responses and how many breaks and ignored prompts had no scored window before
    or after them (left out).
    """
    ordered = sorted((w for w in wins if w.score is not None), key=lambda w: w.end_wall)
    ends = [w.end_wall for w in ordered]
    done_prompts = {
        p.prompt_row_id
        for p in practice_recs
        if p.outcome == "done" and p.prompt_row_id is not None
    }
    by_simulation = {p.prompt_row_id for p in practice_recs if p.simulated}
    out: list[Response] = []
    missing_breaks = missing_ignored = 0
    for q in practice_recs:
        if q.outcome != "done":
            continue
        anchor = q.prompt_wall if q.prompt_wall is not None else q.wall
        got = _around(ends, ordered, anchor, before_s, after_s)
        if got is None:
            missing_breaks += 1
            continue
        out.append(
            Response("break", q.kind or "other", anchor, *got, q.prompt_row_id, q.id, q.simulated)
        )
    for p in prompt_recs:
        if p.id in done_prompts or p.outcome == "done" or not p.shown:
            continue
        got = _around(ends, ordered, p.wall, before_s, after_s)
        if got is None:
            missing_ignored += 1
            continue
        out.append(Response("ignored", p.kind, p.wall, *got, p.id, None, p.id in by_simulation))
    out.sort(key=lambda r: r.anchor_wall)
    return out, missing_breaks, missing_ignored


# -- effects -------------------------------------------------------------------------------------


def diff_effect(
    treated: Sequence[float],
    control: Sequence[float],
    *,
    seed: int = SEED,
    n_boot: int = N_BOOT,
) -> Effect:
    """Mean of ``treated`` minus mean of ``control``, with a percentile bootstrap 95 % interval
    (both groups resampled independently, seeded). Without a control the effect is the treated
    mean alone (and :attr:`Effect.enough` is false)."""
    import numpy as np

    t = np.asarray(treated, dtype=float)
    c = np.asarray(control, dtype=float)
    nan = math.nan
    if t.size == 0:
        return Effect(nan, nan, nan, 0, int(c.size), nan, float(c.mean()) if c.size else nan)
    t_mean = float(t.mean())
    c_mean = float(c.mean()) if c.size else nan
    mean = t_mean - (c_mean if c.size else 0.0)
    if t.size < 2:
        return Effect(mean, nan, nan, int(t.size), int(c.size), t_mean, c_mean)
    rng = np.random.default_rng(seed)
    boot = t[rng.integers(0, t.size, size=(n_boot, t.size))].mean(axis=1)
    if c.size:
        boot = boot - c[rng.integers(0, c.size, size=(n_boot, c.size))].mean(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return Effect(mean, float(lo), float(hi), int(t.size), int(c.size), t_mean, c_mean)


def help_summary(
    wins: Sequence[WindowRec],
    prompt_recs: Sequence[PromptRec],
    practice_recs: Sequence[PracticeRec],
    *,
    seed: int = SEED,
) -> HelpSummary:
    resp, miss_b, miss_i = responses(wins, prompt_recs, practice_recs)
    br = [r for r in resp if r.group == "break"]
    ig = [r for r in resp if r.group == "ignored"]
    score = diff_effect([r.score_drop for r in br], [r.score_drop for r in ig], seed=seed)
    rmssd = diff_effect(
        [x for r in br if (x := r.rmssd_rise) is not None],
        [x for r in ig if (x := r.rmssd_rise) is not None],
        seed=seed,
    )
    return HelpSummary(score, rmssd, len(br), len(ig), miss_b, miss_i, tuple(resp))


def kind_effects(resp: Sequence[Response], *, seed: int = SEED) -> dict[str, Effect]:
    """Per kind of practice: how much more stress falls after it than after an ignored prompt.

    The ignored prompts of every kind form one pooled control (a prompt let pass delivers no
    practice, whatever its kind).
    """
    control = [r.score_drop for r in resp if r.group == "ignored"]
    kinds = sorted({r.kind for r in resp if r.group == "break"})
    return {
        k: diff_effect(
            [r.score_drop for r in resp if r.group == "break" and r.kind == k], control, seed=seed
        )
        for k in kinds
    }


def effect_factor(
    effect: Effect, *, prior_sd: float = PRIOR_SD, scale: float = EFFECT_SCALE
) -> float:
    """How much a kind's measured effect multiplies its weight.

    The effect is shrunk toward zero by its uncertainty (normal prior with ``prior_sd`` score
    points), so two lucky breaks do not make a favourite; then ``exp(shrunk / scale)``.
    """
    if effect.n < 2 or not math.isfinite(effect.ci_low) or not math.isfinite(effect.ci_high):
        return 1.0
    se = max((effect.ci_high - effect.ci_low) / (2 * 1.96), 1e-9)
    shrunk = effect.mean_drop * prior_sd**2 / (prior_sd**2 + se**2)
    return math.exp(max(-MAX_LOG_FACTOR, min(MAX_LOG_FACTOR, shrunk / scale)))


def kind_weights(
    effects: Mapping[str, Effect],
    uptake: Mapping[str, float],
    *,
    floor: float = FLOOR_WEIGHT,
) -> dict[str, float]:
    """Weights for the prompt chooser: uptake (how often the person takes the kind, as from
    :func:`kindbreak.prompts.chooser.weights_from_uptake`; missing kinds weigh 1) times the
    effect factor, scaled so the best kind weighs 1, never below ``floor``."""
    kinds = sorted(set(effects) | set(uptake))
    raw: dict[str, float] = {}
    for k in kinds:
        u = uptake.get(k, 1.0)
        u = u if math.isfinite(u) and u > 0 else 0.0
        raw[k] = u * (effect_factor(effects[k]) if k in effects else 1.0)
    top = max(raw.values(), default=0.0)
    if top <= 0:
        return {k: 1.0 for k in kinds}
    return {k: max(floor, v / top) for k, v in raw.items()}


def uptake_counts(
    prompt_recs: Sequence[PromptRec], practice_recs: Sequence[PracticeRec]
) -> tuple[dict[str, int], dict[str, int]]:
    """Prompts shown and prompts answered with a practice done, per kind."""
    shown: dict[str, int] = {}
    taken: dict[str, int] = {}
    done = {q.prompt_row_id for q in practice_recs if q.outcome == "done"}
    for p in prompt_recs:
        if not p.shown:
            continue
        shown[p.kind] = shown.get(p.kind, 0) + 1
        if p.id in done:
            taken[p.kind] = taken.get(p.kind, 0) + 1
    return shown, taken


@dataclass(frozen=True, slots=True)
class Learned:
    effects: dict[str, Effect]
    weights: dict[str, float]
    shown: dict[str, int]
    taken: dict[str, int]


def learn(
    wins: Sequence[WindowRec],
    prompt_recs: Sequence[PromptRec],
    practice_recs: Sequence[PracticeRec],
    *,
    seed: int = SEED,
) -> Learned:
    from kindbreak.prompts.chooser import weights_from_uptake
    from kindbreak.prompts.library import KINDS

    resp, _, _ = responses(wins, prompt_recs, practice_recs)
    effects = kind_effects(resp, seed=seed)
    shown, taken = uptake_counts(prompt_recs, practice_recs)
    kinds = tuple(dict.fromkeys([*KINDS, *sorted(shown), *sorted(effects)]))
    uptake = weights_from_uptake(shown, taken, kinds=kinds)
    return Learned(effects, kind_weights(effects, uptake), shown, taken)


def learned_kind_weights(store: Store) -> dict[str, float]:
    """Kind weights for the prompt chooser, learned from the whole log."""
    from kindbreak.store import queries as q

    return learn(q.windows(store), q.prompts(store), q.practices(store)).weights


def ranking(learned: Learned) -> list[tuple[str, Effect | None, float]]:
    """Kinds, best measured effect first (kinds without data last), with their weight."""

    def key(k: str) -> tuple[int, float, str]:
        e = learned.effects.get(k)
        if e is None or not math.isfinite(e.mean_drop):
            return (1, -learned.weights[k], k)
        return (0, -e.mean_drop, k)

    return [
        (k, learned.effects.get(k), learned.weights[k]) for k in sorted(learned.weights, key=key)
    ]


# -- words ---------------------------------------------------------------------------------------


def _n(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _change(drop: float, unit: str) -> str:
    return f"fell {drop:.1f} {unit}" if drop >= 0 else f"rose {-drop:.1f} {unit}"


def describe(h: HelpSummary) -> list[str]:
    """The finding in plain words: effect, interval, and how sure it is."""
    s = h.score
    lines: list[str] = []
    breaks = _n(h.n_breaks, "break", "breaks")
    ignored = _n(h.n_ignored, "prompt", "prompts")
    if not h.enough:
        lines.append(
            f"Too little data to say yet: {breaks} taken and {ignored} let pass have heart "
            f"data around them; at least {MIN_N} of each are needed to compare."
        )
        if s.n and math.isfinite(s.treated_mean):
            your = "the" if h.simulated else "your"
            lines.append(
                f"So far {your} stress {_change(s.treated_mean, 'points')} on average in the 10 "
                "minutes after a break (against the 5 minutes before)."
            )
        return lines
    direction = "more" if s.mean_drop >= 0 else "less"
    # Breaks a simulated person took on recorded beats are not the person's, nor can they
    # have changed the beats: say whose they were, and what an interval above zero means then.
    took, let, your = (
        ("the simulated person took", "it let pass", "the")
        if h.simulated
        else ("you took", "you let pass", "your")
    )
    lines.append(
        f"After the {breaks} {took}, {your} stress score fell {abs(s.mean_drop):.1f} points "
        f"{direction} than after the {ignored} {let}, a difference of "
        f"{s.mean_drop:+.1f} points "
        f"(95 % interval {s.ci_low:+.1f} to {s.ci_high:+.1f} points)."
    )
    lines.append(
        f"On average {your} stress {_change(s.treated_mean, 'points')} in the 10 minutes after "
        f"a break and {_change(s.control_mean, 'points')} after a prompt let pass "
        "(against the 5 minutes before)."
    )
    if s.clear and h.simulated:
        lines.append(
            "The interval excludes zero, yet the breaks were simulated on recorded beats, so "
            "this is not their effect (see below)."
        )
    elif s.clear and s.mean_drop > 0:
        lines.append("The interval is above zero: the breaks measurably helped.")
    elif s.clear:
        lines.append("The interval is below zero: after breaks stress fell less than without.")
    else:
        lines.append(
            "The interval includes zero, so the difference could be chance; more days will tell."
        )
    r = h.rmssd
    if r.enough:
        more = "more" if r.mean_drop >= 0 else "less"
        lines.append(
            f"RMSSD (heart-rate variability, higher when calm) rose {abs(r.mean_drop):.1f} ms "
            f"{more} after breaks than after prompts let pass "
            f"(95 % interval {r.ci_low:+.1f} to {r.ci_high:+.1f} ms)."
        )
    return lines
