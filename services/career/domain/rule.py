"""The career rules for one employee's score: training, streak rules, rewards, allowance, sanctions.

Each rule is a pure function returning a list of recommendations (empty when it does not fire).
Details hold the conclusion (which training, which rung, which percentage), the reason holds the
evidence (scores, cycles, events): so the id, computed from the details, stays the same while a
provisional score moves a little without changing the conclusion.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.career.domain.identity import build_for_score
from services.career.domain.model import (
    PREDICATE_LABEL,
    CycleOutcome,
    History,
    PotentialAssessment,
    ScoreInput,
)
from services.career.domain.talent import recommend_talent_box
from shared.events.career import Recommendation, RecommendationKind
from shared.events.scoring import Predicate
from shared.plugins.career import CareerPolicy, Offer, StreakRule, normalise_key


@dataclass(frozen=True)
class _Step:
    """One cycle on the employee's timeline, past or current."""

    cycle_id: str
    predicate: Predicate
    event_ids: tuple[str, ...]


def recommend(
    score: ScoreInput,
    history: History,
    policy: CareerPolicy,
    potential: PotentialAssessment | None = None,
) -> list[Recommendation]:
    """Every recommendation for one employee's score in one cycle, in a deterministic order.

    ``history`` holds the employee's final outcomes; only cycles before the score's cycle count.
    Team awards are not here: they need the whole cycle (see :func:`select_team_awards`).
    """
    past = history.before(score.score.cycle_id)
    recommendations = [
        *recommend_training(score, policy),
        *recommend_streak(score, past, policy.promotion, rule="promotion"),
        *recommend_streak(score, past, policy.outstanding, rule="outstanding"),
        *recommend_streak(score, past, policy.scholarship, rule="scholarship"),
        *recommend_rewards(score, policy),
        *recommend_allowance(score, policy),
        *recommend_sanction(score, past, policy),
        *recommend_talent_box(score, potential, policy),
    ]
    return sorted(recommendations, key=lambda r: (r.kind.value, r.recommendation_id))


def recommend_training(score: ScoreInput, policy: CareerPolicy) -> list[Recommendation]:
    """Trainings from the catalogue for the weakest criteria below the policy threshold."""
    rule = policy.training
    weak = sorted(
        (value, name) for name, value in score.score.explanation.criteria.items() if value < rule.threshold
    )
    matched: dict[str, tuple[Offer, list[tuple[str, float]]]] = {}
    for value, name in weak:
        offer = rule.catalogue.get(normalise_key(name))
        if offer is None:
            continue
        if offer.code in matched:
            # Several weak criteria can point at the same course: one recommendation names them all.
            matched[offer.code][1].append((name, value))
        elif len(matched) < rule.max_offers:
            matched[offer.code] = (offer, [(name, value)])
    return [
        build_for_score(
            score,
            offer,
            rule="training",
            details={"criteria": ",".join(name for name, _ in weak_criteria), "threshold": rule.threshold},
            because=(
                "Weak criteria below "
                f"{rule.threshold:g}: {', '.join(f'{name} {value:g}' for name, value in weak_criteria)}."
            ),
        )
        for offer, weak_criteria in matched.values()
    ]


def recommend_streak(
    score: ScoreInput, past: tuple[CycleOutcome, ...], streak: StreakRule | None, *, rule: str
) -> list[Recommendation]:
    """The offers of a streak rule (promotion readiness, Marelan's seminars, Plaju's scholarships)
    when the last ``streak.consecutive`` cycles, the current one included, all qualify.

    ``rule`` names the rule in the recommendation details; ``None`` (rule off) gives nothing.
    """
    if streak is None:
        return []
    run = _trailing_run(score, past, streak.predicates)
    if len(run) < streak.consecutive:
        return []
    counted = run[-streak.consecutive :]
    because = f"{streak.consecutive} consecutive qualifying cycle(s): {_describe(counted)}"
    if streak.min_criterion is not None:
        criteria = score.score.explanation.criteria
        # Without criteria competence cannot be judged, so the rule does not fire.
        if not criteria or min(criteria.values()) < streak.min_criterion:
            return []
        because += f"; lowest criterion {min(criteria.values()):g} >= {streak.min_criterion:g}"
    return [
        build_for_score(
            score,
            offer,
            rule=rule,
            details={"cycles": ",".join(step.cycle_id for step in counted)},
            because=because + ".",
            event_ids=_event_ids(counted),
        )
        for offer in streak.offers
    ]


def recommend_rewards(score: ScoreInput, policy: CareerPolicy) -> list[Recommendation]:
    """Rewards (certificate, bonus) the policy gives for the predicate in force."""
    label = PREDICATE_LABEL[score.predicate]
    return [
        build_for_score(
            score,
            offer,
            rule="reward",
            details={"predicate": score.predicate.value},
            because=f"Predicate {label} earns {offer.title} under the {policy.name} policy.",
        )
        for offer in policy.rewards.get(score.predicate, ())
    ]


def recommend_allowance(score: ScoreInput, policy: CareerPolicy) -> list[Recommendation]:
    """The performance allowance (tunjangan kinerja) percentage for the predicate in force."""
    percent = policy.allowance_percent[score.predicate]
    offer = Offer("tunjangan_kinerja", f"Tunjangan kinerja {percent:g}%", RecommendationKind.ALLOWANCE)
    return [
        build_for_score(
            score,
            offer,
            rule="allowance",
            details={"percent": percent, "predicate": score.predicate.value},
            because=(
                f"Predicate {PREDICATE_LABEL[score.predicate]} pays {percent:g}% of the performance "
                f"allowance under the {policy.name} policy."
            ),
        )
    ]


def recommend_sanction(
    score: ScoreInput, past: tuple[CycleOutcome, ...], policy: CareerPolicy
) -> list[Recommendation]:
    """The rung of the sanction ladder for the current run of consecutive poor cycles."""
    run = _trailing_run(score, past, policy.sanction.poor_predicates)
    if not run:
        return []
    ladder = policy.sanction.ladder
    step = min(len(run), len(ladder))
    return [
        build_for_score(
            score,
            ladder[step - 1],
            rule="sanction",
            details={"step": step, "consecutive_poor_cycles": len(run)},
            because=(
                f"{len(run)} consecutive poor cycle(s) ({_describe(run)}): step {step} of {len(ladder)} "
                f"of the {policy.name} sanction ladder."
            ),
            event_ids=_event_ids(run),
        )
    ]


def _trailing_run(
    score: ScoreInput, past: tuple[CycleOutcome, ...], predicates: frozenset[Predicate]
) -> list[_Step]:
    """The cycles, ending with the current one, whose predicates all qualify (oldest first)."""
    timeline = [_Step(o.cycle_id, o.predicate, o.score_event_ids) for o in past]
    timeline.append(_Step(score.score.cycle_id, score.predicate, score.event_ids))
    run: list[_Step] = []
    for step in reversed(timeline):
        if step.predicate not in predicates:
            break
        run.append(step)
    return run[::-1]


def _describe(run: list[_Step]) -> str:
    return ", ".join(f"{step.cycle_id} {PREDICATE_LABEL[step.predicate]}" for step in run)


def _event_ids(run: list[_Step]) -> tuple[str, ...]:
    return tuple(event_id for step in run for event_id in step.event_ids)
