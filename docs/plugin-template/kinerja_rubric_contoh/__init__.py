"""Rubric of the region 'contoh' (rename): results from the plan, behaviour from two criteria."""

from __future__ import annotations

from shared.events.feedback import ResultKind, Source
from shared.plugins import (
    Component,
    Criterion,
    RatingScale,
    RubricResult,
    RubricSpec,
    ScoringInputs,
    hookimpl,
)
from shared.plugins.measure import component_index, criteria_indices, indicators_index

# Additional (tambahan) results count half as much as main (utama) ones.
KIND_WEIGHTS = {ResultKind.MAIN: 1.0, ResultKind.ADDITIONAL: 0.5}
CAP = 1.2

SPEC = RubricSpec(
    rubric_id="contoh",
    version="1.0.0",
    title="Contoh: rubrik daerah",
    regions=("contoh",),
    scale=RatingScale(low=1, high=5, step=1, meets=3),
    criteria=(
        Criterion(
            criterion_id="pelayanan",
            label_id="Pelayanan",
            label_en="Service",
            component=Component.BEHAVIOUR,
            sources=frozenset({Source.SUPERVISOR, Source.PEER, Source.CITIZEN}),
        ),
        Criterion(
            criterion_id="kerja_sama",
            label_id="Kerja sama",
            label_en="Teamwork",
            component=Component.BEHAVIOUR,
            sources=frozenset({Source.SELF, Source.SUPERVISOR, Source.PEER}),
        ),
    ),
    source_weights={Source.SELF: 0.1, Source.SUPERVISOR: 0.6, Source.PEER: 0.2, Source.CITIZEN: 0.1},
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
