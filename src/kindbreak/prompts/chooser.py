"""Which prompt to offer next. Pure: the library, the history and the rng are passed in.

Rules, in order:

1. No repeat of the last ``no_repeat`` prompts shown (8 by default). With a library too small
   for that, the window shrinks until something is left; the very last prompt is repeated only
   when the library holds a single prompt.
2. Not the same kind twice in a row, when another kind is available.
3. Among the kinds left, pick one with probability proportional to its weight (kinds missing
   from ``kind_weights`` weigh 1.0), then a prompt of that kind uniformly. Picking the kind first
   keeps the mix about kinds, whatever the number of prompts each kind has.

Weights come from how often the person takes each kind (see :func:`weights_from_uptake`), and
later from the measured effect of each kind.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence

from kindbreak.prompts.library import KINDS, Prompt, PromptLibrary

DEFAULT_NO_REPEAT = 8


def _weight(kind_weights: Mapping[str, float], kind: str) -> float:
    w = kind_weights.get(kind, 1.0)
    if not isinstance(w, int | float) or math.isnan(w) or w < 0 or math.isinf(w):
        return 0.0
    return float(w)


def _kind_order(kinds: Iterable[str]) -> list[str]:
    present = set(kinds)
    known = [k for k in KINDS if k in present]
    return known + sorted(present - set(KINDS))


def choose_prompt(
    library: PromptLibrary | Sequence[Prompt],
    recent_ids: Sequence[str],
    kind_weights: Mapping[str, float],
    rng: random.Random,
    *,
    no_repeat: int = DEFAULT_NO_REPEAT,
) -> Prompt:
    """Pick the next prompt.

    ``recent_ids``: ids of prompts already shown, oldest first (the last one is the most recent).
    ``kind_weights``: relative weight per kind; missing kinds weigh 1.0, negative or NaN weigh 0.
    If every available kind weighs 0, kinds are picked uniformly. ``rng`` makes it reproducible.
    Raises ``ValueError`` for an empty library.
    """
    prompts = tuple(library)
    if not prompts:
        raise ValueError("the prompt library is empty")
    by_id = {p.id: p for p in prompts}

    # 1. no repeat of the last N (shrinking the window for a tiny library)
    window = max(0, no_repeat)
    recent = list(recent_ids)
    candidates: list[Prompt] = []
    while True:
        blocked = set(recent[-window:]) if window > 0 else set()
        candidates = [p for p in prompts if p.id not in blocked]
        if candidates or window == 0:
            break
        window -= 1

    # 2. not the same kind twice in a row, when avoidable
    last = by_id.get(recent[-1]) if recent else None
    kinds = _kind_order(p.kind for p in candidates)
    if last is not None and len(kinds) > 1 and last.kind in kinds:
        kinds.remove(last.kind)

    # 3. weighted kind, then a uniform prompt of that kind
    weights = [_weight(kind_weights, k) for k in kinds]
    if sum(weights) <= 0:
        weights = [1.0] * len(kinds)
    kind = rng.choices(kinds, weights=weights, k=1)[0]
    of_kind = [p for p in candidates if p.kind == kind]
    return of_kind[rng.randrange(len(of_kind))]


def weights_from_uptake(
    shown: Mapping[str, int],
    taken: Mapping[str, int],
    *,
    kinds: Sequence[str] = KINDS,
    prior_shown: float = 4.0,
    prior_rate: float = 0.5,
    floor: float = 0.15,
) -> dict[str, float]:
    """Kind weights from how often the person actually took each kind when offered.

    The weight of a kind is its smoothed take rate, ``(taken + prior_rate * prior_shown) /
    (shown + prior_shown)``, so a kind seen only once or twice stays near the prior instead of
    jumping to 0 or 1. ``floor`` keeps every kind in the mix: a person's preferences change,
    and a kind never offered again could never win back its place.
    """
    weights: dict[str, float] = {}
    for kind in kinds:
        n = max(0, int(shown.get(kind, 0)))
        k = min(max(0, int(taken.get(kind, 0))), n)
        rate = (k + prior_rate * prior_shown) / (n + prior_shown)
        weights[kind] = max(floor, rate)
    return weights


__all__ = ["DEFAULT_NO_REPEAT", "choose_prompt", "weights_from_uptake"]
