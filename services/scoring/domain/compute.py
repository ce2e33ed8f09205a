"""Compute one employee's explained, reproducible Score: bias handling, rubric, national rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from services.scoring.domain.bias import BiasRules, PreparedFeedback, prepare_feedback
from services.scoring.domain.digest import canonical_inputs, digest
from services.scoring.domain.inputs import CycleInputs
from services.scoring.domain.raters import RaterStats
from services.scoring.domain.rules import NationalRules
from shared.events.feedback import ANONYMOUS_SOURCES, Source
from shared.events.scoring import Explanation, Flag, InputRef, LeftOut, MissingInput, Rating, Score
from shared.plugins.model import IndicatorOutcome, RubricResult, RubricSpec, ScoringInputs

ScoreRubric = Callable[[RubricSpec, ScoringInputs], RubricResult]
"""How the core calls a rubric: ``RubricRegistry.score`` in the service, any function in tests."""


@dataclass(frozen=True)
class ScoringRules:
    """All configurable rules of the core."""

    national: NationalRules = field(default_factory=NationalRules)
    bias: BiasRules = field(default_factory=BiasRules)

    @cached_property
    def fingerprint(self) -> str:
        """Canonical JSON of the rules that change a Score; part of every inputs digest."""
        return json.dumps([self.national.fingerprint(), self.bias.fingerprint()], separators=(",", ":"))


DEFAULT_RULES = ScoringRules()


@dataclass(slots=True)
class _Results:
    indicators: tuple[IndicatorOutcome, ...] = ()
    used: list[InputRef] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)


def _results_inputs(inputs: CycleInputs) -> _Results:
    """The approved plan's indicators with the latest achievement report's values."""
    out = _Results()
    reports = sorted(inputs.achievements, key=lambda a: (a.version, a.event_id))
    latest = reports[-1] if reports else None
    if len(reports) > 1:
        out.left_out.append(
            LeftOut(kind="achievement", count=len(reports) - 1, reason="replaced by a later version")
        )
    if inputs.plan is None:
        if latest is not None:
            out.left_out.append(LeftOut(kind="achievement", count=1, reason="no approved plan to measure"))
        return out
    out.used.append(InputRef.model_construct(event_id=inputs.plan.event_id, kind="plan", version=1))
    values = latest.values if latest else {}
    out.indicators = tuple(
        IndicatorOutcome(
            ind.result_id,
            ind.result_kind,
            ind.indicator_id,
            ind.name,
            ind.aspect,
            ind.direction,
            ind.target,
            ind.standard,
            values.get(ind.indicator_id),
        )
        for ind in inputs.plan.indicators
    )
    if latest is not None:
        out.used.append(
            InputRef.model_construct(event_id=latest.event_id, kind="achievement", version=latest.version)
        )
        planned = {ind.indicator_id for ind in inputs.plan.indicators}
        stray = sum(1 for iid in values if iid not in planned)
        if stray:
            out.left_out.append(
                LeftOut(kind="realisation", count=stray, reason="indicator not in the approved plan")
            )
    return out


def _index(value: float | None, component: str, flags: list[Flag]) -> float:
    if value is None:
        flags.append(
            Flag.model_construct(
                code=f"incomplete_{component}",
                message=f"no usable input for {component} yet: rated below expectation while the cycle "
                "is open; once it closes the score is held until there is, or until HR finalises it",
            )
        )
        return 0.0
    return round(min(max(value, 0.0), 100.0), 2)


@dataclass(frozen=True, slots=True)
class Assessment:
    """A score and what it lacks before it may be final (:func:`final_status`)."""

    score: Score
    missing: tuple[MissingInput, ...] = ()


def compute_score(
    inputs: CycleInputs,
    spec: RubricSpec,
    score_rubric: ScoreRubric,
    stats: RaterStats,
    rules: ScoringRules = DEFAULT_RULES,
    *,
    revision: int = 1,
    provisional: bool = False,
) -> Score:
    """The Score of one employee from their cycle inputs, in any order (see :func:`assess`)."""
    return assess(inputs, spec, score_rubric, stats, rules, revision=revision, provisional=provisional).score


def assess(
    inputs: CycleInputs,
    spec: RubricSpec,
    score_rubric: ScoreRubric,
    stats: RaterStats,
    rules: ScoringRules = DEFAULT_RULES,
    *,
    revision: int = 1,
    provisional: bool = False,
) -> Assessment:
    """The Score of one employee from their cycle inputs, in any order, with what it lacks.

    :param inputs: plan, achievement reports (all versions) and feedback (all versions).
    :param spec: the rubric of the employee's region (``RubricRegistry.for_region``).
    :param score_rubric: calls the rubric (``RubricRegistry.score``).
    :param stats: the cycle's rater statistics, kept up to date by the service.
    :param rules: national and bias rules; defaults are the national ones.
    :param revision: copied into the Score; the service counts recomputations.
    :param provisional: a score while the cycle is open. Peer, subordinate and citizen feedback
        then counts toward nothing: a score that moved with each such rating would let the ratee
        read one rater's rating off the difference (docs/scoring.md). They count from the close.
    """
    prepared = prepare_feedback(
        inputs.feedback,
        nip=inputs.nip,
        service_role=inputs.service_role,
        spec=spec,
        stats=stats,
        rules=rules.bias,
        held_back=ANONYMOUS_SOURCES if provisional else frozenset(),
    )
    results = _results_inputs(inputs)
    scoring_inputs = ScoringInputs(
        cycle_id=inputs.cycle_id,
        nip=inputs.nip,
        unit_id=inputs.unit_id,
        service_role=inputs.service_role,
        indicators=results.indicators,
        feedback=prepared.feedback,
        raters=prepared.raters,
    )
    outcome = score_rubric(spec, scoring_inputs)
    flags = [*prepared.flags, *outcome.flags]
    results_score = _index(outcome.results_score, "results", flags)
    behaviour_score = _index(outcome.behaviour_score, "behaviour", flags)
    bands = rules.national.bands
    results_rating, behaviour_rating = bands.rate(results_score), bands.rate(behaviour_score)
    predicate = rules.national.predicate(results_rating, behaviour_rating)
    steps = [
        *_pooled_steps(prepared),
        *outcome.steps,
        _rating_step("results", results_score, results_rating, rules.national),
        _rating_step("behaviour", behaviour_score, behaviour_rating, rules.national),
        f"predicate ({results_rating.value}, {behaviour_rating.value}) -> {predicate.value} "
        "(PermenPANRB 6/2022 predicate matrix)",
    ]
    canonical = canonical_inputs(
        inputs,
        spec,
        rules.fingerprint,
        results.indicators,
        inputs.achievements,
        prepared.considered,
        prepared.shifts,
    )
    explanation = Explanation.model_construct(
        inputs_used=results.used + _feedback_refs(prepared),
        left_out=results.left_out + prepared.left_out + list(outcome.left_out),
        weights=dict(sorted(outcome.weights.items())),
        criteria={cid: round(v, 2) for cid, v in sorted(outcome.criteria.items())},
        adjustments=prepared.adjustments,
        flags=flags,
        steps=steps,
    )
    missing = missing_inputs(inputs, spec, prepared, outcome.results_score, outcome.behaviour_score)
    if MissingInput.SUPERVISOR_ASSESSMENT in missing:
        flags.append(
            Flag.model_construct(
                code="no_supervisor_assessment",
                message="the appraising official has not assessed this employee: once the cycle "
                "closes the score is held until they do, or until HR finalises it",
            )
        )
    score = Score.model_construct(
        cycle_id=inputs.cycle_id,
        nip=inputs.nip,
        unit_id=inputs.unit_id,
        team_id=inputs.team_id,
        rubric_id=spec.rubric_id,
        rubric_version=spec.version,
        results_score=results_score,
        behaviour_score=behaviour_score,
        results_rating=results_rating,
        behaviour_rating=behaviour_rating,
        predicate=predicate,
        explanation=explanation,
        inputs_digest=digest(canonical),
        revision=revision,
    )
    return Assessment(score, missing)


def supervisor_required(spec: RubricSpec, service_role: bool) -> bool:
    """Whether the rubric asks the appraising official (the supervisor source) for any criterion
    that applies to the employee. A regional rubric without one is not held for its lack."""
    return any(
        Source.SUPERVISOR in c.sources for c in spec.criteria if service_role or not c.service_role_only
    )


def missing_inputs(
    inputs: CycleInputs,
    spec: RubricSpec,
    prepared: PreparedFeedback,
    results_index: float | None,
    behaviour_index: float | None,
) -> tuple[MissingInput, ...]:
    """What the score lacks before it may be final (PermenPANRB 6/2022: the appraising official
    rates results and behaviour; a rating that defaults to below expectation for want of input
    would be a predicate of misconduct for someone else's omission)."""
    out: list[MissingInput] = []
    if Source.SUPERVISOR not in prepared.feedback and supervisor_required(spec, inputs.service_role):
        out.append(MissingInput.SUPERVISOR_ASSESSMENT)
    if results_index is None:
        out.append(MissingInput.RESULTS)
    if behaviour_index is None:
        out.append(MissingInput.BEHAVIOUR)
    return tuple(out)


def final_status(assessment: Assessment, *, accepted_incomplete: bool) -> str:
    """``final``, or ``held`` for a closed cycle's score that lacks inputs and that HR has not
    finalised explicitly (docs/scoring.md, "Held scores")."""
    return "held" if assessment.missing and not accepted_incomplete else "final"


def _feedback_refs(prepared: PreparedFeedback) -> list[InputRef]:
    """Self and supervisor inputs one by one; peer, subordinate and citizen inputs are not listed,
    since an event id and version per input would tell the ratee which one changed."""
    return [
        InputRef.model_construct(event_id=f.event_id, kind=f"feedback:{f.source}", version=f.version)
        for f in sorted(prepared.used, key=lambda f: (f.source, f.submission_id))
        if f.source not in ANONYMOUS_SOURCES
    ]


def _pooled_steps(prepared: PreparedFeedback) -> list[str]:
    return [
        f"feedback:{source}: {raters} rater(s) pooled; their inputs are not listed one by one, so "
        "that none can be told apart (the inputs digest covers them)"
        for source, raters in sorted(prepared.raters.items())
        if source in ANONYMOUS_SOURCES
    ]


def _rating_step(component: str, index: float, rating: Rating, rules: NationalRules) -> str:
    bands = rules.bands
    return (
        f"{component} index {index:.2f} -> {rating.value} "
        f"(below under {bands.below_under:g}, above from {bands.above_from:g})"
    )
