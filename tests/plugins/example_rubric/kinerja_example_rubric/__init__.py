"""Example external rubric: Sabang, where citizens' feedback on public service counts (seed 004).

Results: the plan's indicators, achievement capped at 110%. Behaviour: public service (rated by
the supervisor and citizens, weighted double) and teamwork (supervisor and peers).
"""

from __future__ import annotations

from shared.events.feedback import ResultKind, Source
from shared.plugins import Component, Criterion, RubricResult, RubricSpec, ScoringInputs, hookimpl
from shared.plugins.measure import component_index, criteria_indices, indicators_index

CAP = 1.1
KIND_WEIGHTS = {ResultKind.MAIN: 1.0, ResultKind.ADDITIONAL: 0.5}

SPEC = RubricSpec(
    rubric_id="sabang",
    version="1.0.0",
    title="Sabang: pelayanan publik",
    regions=("sabang",),
    criteria=(
        Criterion(
            criterion_id="pelayanan_publik",
            label_id="Pelayanan publik",
            label_en="Public service",
            component=Component.BEHAVIOUR,
            sources=frozenset({Source.SUPERVISOR, Source.CITIZEN}),
            weight=2.0,
        ),
        Criterion(
            criterion_id="kerja_sama",
            label_id="Kerja sama",
            label_en="Teamwork",
            component=Component.BEHAVIOUR,
            sources=frozenset({Source.SUPERVISOR, Source.PEER}),
        ),
    ),
    source_weights={Source.SUPERVISOR: 0.6, Source.PEER: 0.2, Source.CITIZEN: 0.2},
    weights={"main": 1.0, "additional": 0.5, "cap": CAP},
)


@hookimpl
def rubric_spec() -> RubricSpec:
    return SPEC


@hookimpl
def rubric_score(spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
    results = indicators_index(inputs.indicators, KIND_WEIGHTS, CAP)
    behaviour = criteria_indices(spec, inputs, Component.BEHAVIOUR)
    return RubricResult(
        results_score=results.index,
        behaviour_score=component_index(spec, behaviour),
        criteria=behaviour,
        weights=spec.weights,
        steps=results.steps,
        left_out=results.left_out,
    )
