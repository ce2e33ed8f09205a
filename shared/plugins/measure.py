"""Small pure helpers rubrics share: achievement ratios, the 0-100 index, weighted means.

The index convention (docs/plugins.md, 'The index'): 50 means exactly as expected, 100 the best a
rubric recognises, 0 nothing. The national rating bands of the core are set on that scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.events.feedback import Direction, ResultKind, Source
from shared.events.scoring import LeftOut
from shared.plugins.model import Component, Criterion, IndicatorOutcome, RubricSpec, ScoringInputs

DEFAULT_CAP = 1.2
"""Achievement above 120% of target earns nothing more: targets set low should not pay off."""


def achievement_ratio(indicator: IndicatorOutcome) -> float | None:
    """Realised over target, turned round for lower-is-better indicators; None if not reported.

    A zero target cannot be divided by: meeting it counts as 1.0 and missing it as 0.0.
    """
    realised = indicator.realised
    if realised is None:
        return None
    target = indicator.target
    if indicator.direction is Direction.LOWER_IS_BETTER:
        if realised <= 0 or target <= 0:
            return 1.0 if realised <= target else 0.0
        return target / realised
    if target <= 0:
        return 1.0 if realised >= target else 0.0
    return max(realised / target, 0.0)


def achievement_index(ratio: float, cap: float = DEFAULT_CAP) -> float:
    """Map an achievement ratio to the 0-100 index: 1.0 -> 50, ``cap`` and above -> 100, 0 -> 0.

    Linear on each side of the target, so that e.g. with the default cap 1.05 -> 62.5 and
    0.75 -> 37.5, the national band edges.
    """
    if cap <= 1:
        raise ValueError("cap must be above 1")
    if ratio >= 1:
        return 50.0 + 50.0 * (min(ratio, cap) - 1.0) / (cap - 1.0)
    return 50.0 * max(ratio, 0.0)


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Mean of ``(value, weight)`` pairs, renormalised over the weights present; None if none.

    The mean never leaves the range of the values: floating-point sums such as 5 x 0.6 + 5 x 0.3
    over 0.9 give 5.000000000000001, which an index of 100.00000000000003 would carry past 0-100.
    """
    total = weight_sum = 0.0
    low, high = math.inf, -math.inf
    for value, weight in pairs:
        total += value * weight
        weight_sum += weight
        low, high = min(low, value), max(high, value)
    if weight_sum <= 0:
        return None
    return min(max(total / weight_sum, low), high)


def criterion_rating(
    criterion: Criterion,
    feedback: Mapping[Source, Mapping[str, float]],
    source_weights: Mapping[Source, float],
) -> float | None:
    """Source-weighted rating of one criterion over the allowed sources that rated it."""
    pairs = [
        (by_criterion[criterion.criterion_id], source_weights[source])
        for source, by_criterion in sorted(feedback.items())
        if source in criterion.sources and criterion.criterion_id in by_criterion
    ]
    return weighted_mean(pairs)


def criteria_indices(spec: RubricSpec, inputs: ScoringInputs, component: Component) -> dict[str, float]:
    """0-100 index of each criterion of ``component`` that applies to the employee and was rated."""
    indices = {}
    for criterion in spec.criteria:
        if criterion.component is not component or (criterion.service_role_only and not inputs.service_role):
            continue
        rating = criterion_rating(criterion, inputs.feedback, spec.source_weights)
        if rating is not None:
            indices[criterion.criterion_id] = spec.scale.to_index(rating)
    return indices


def component_index(spec: RubricSpec, indices: Mapping[str, float]) -> float | None:
    """Criterion-weighted mean of ``indices``, renormalised over the criteria that were rated."""
    weights = {c.criterion_id: c.weight for c in spec.criteria}
    return weighted_mean((value, weights[cid]) for cid, value in sorted(indices.items()))


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    """The results index over a plan's indicators, with the steps and left-out inputs behind it."""

    index: float | None
    steps: tuple[str, ...]
    left_out: tuple[LeftOut, ...]


def indicators_index(
    indicators: Iterable[IndicatorOutcome],
    kind_weights: Mapping[ResultKind, float],
    cap: float = DEFAULT_CAP,
) -> IndicatorScore:
    """Weighted mean achievement index of the reported indicators (weight by main/additional)."""
    pairs: list[tuple[float, float]] = []
    steps: list[str] = []
    unreported = 0
    for ind in sorted(indicators, key=lambda i: (i.result_id, i.indicator_id)):
        ratio = achievement_ratio(ind)
        if ratio is None:
            unreported += 1
            continue
        index = achievement_index(ratio, cap)
        weight = kind_weights.get(ind.result_kind, 0.0)
        pairs.append((index, weight))
        steps.append(
            f"{ind.result_id}/{ind.indicator_id} ({ind.result_kind.value}, {ind.direction.value} is better): "
            f"realised {ind.realised:g} vs target {ind.target:g} -> ratio {ratio:.4f} "
            f"(cap {cap:g}) -> index {index:.2f}, weight {weight:g}"
        )
    left_out = (LeftOut(kind="indicator", count=unreported, reason="no realised value reported"),)
    return IndicatorScore(weighted_mean(pairs), tuple(steps), left_out if unreported else ())
