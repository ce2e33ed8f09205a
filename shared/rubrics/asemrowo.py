"""Asemrowo: achievement-based (berbasis capaian), outcomes against targets (seed 002).

Results are the plan's indicators, each judged in its own direction (a permit processed in fewer
days is better) with achievement capped at 120% so a soft target cannot buy a top score.
Attendance is refused as a criterion: the seed's point is outcomes, not presence at the office.
Self-ratings are collected for the self-evaluation loop the seed asks for, but weigh nothing.
"""

from __future__ import annotations

from shared.events.feedback import ResultKind, Source
from shared.events.scoring import LeftOut
from shared.plugins import Component, RubricResult, RubricSpec, ScoringInputs, hookimpl
from shared.plugins.measure import component_index, criteria_indices, indicators_index
from shared.rubrics import berakhlak

CAP = 1.2
KIND_WEIGHTS = {ResultKind.MAIN: 1.0, ResultKind.ADDITIONAL: 0.5}

SPEC = RubricSpec(
    rubric_id="asemrowo",
    version="1.0.0",
    title="Asemrowo: penilaian berbasis capaian",
    regions=("asemrowo",),
    criteria=berakhlak.criteria(frozenset({Source.SELF, Source.SUPERVISOR, Source.PEER})),
    source_weights={Source.SUPERVISOR: 0.7, Source.PEER: 0.3, Source.SELF: 0.0},
    weights={"main": 1.0, "additional": 0.5, "cap": CAP},
    prohibited=("attendance", "kehadiran", "absensi", "presensi"),
)


@hookimpl
def rubric_spec() -> RubricSpec:
    return SPEC


@hookimpl
def rubric_score(spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
    kept = tuple(i for i in inputs.indicators if spec.prohibited_match(i.indicator_id, i.name) is None)
    refused = len(inputs.indicators) - len(kept)
    results = indicators_index(kept, KIND_WEIGHTS, CAP)
    behaviour = criteria_indices(spec, inputs, Component.BEHAVIOUR)
    left_out = list(results.left_out)
    if refused:
        left_out.append(
            LeftOut(kind="indicator", count=refused, reason="attendance is not a criterion in Asemrowo")
        )
    return RubricResult(
        results_score=results.index,
        behaviour_score=component_index(spec, behaviour),
        criteria=behaviour,
        weights={**spec.weights, **{f"source:{s.value}": w for s, w in spec.source_weights.items()}},
        steps=results.steps,
        left_out=tuple(left_out),
    )
