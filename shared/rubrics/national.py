"""National default rubric: SKP indicators for results, BerAKHLAK for behaviour.

Used by every region without a rubric of its own (PermenPANRB 6/2022). Results are the main
(utama) RHK indicators' achievement; the regulation sets no weighted formula between main and
additional RHK, so additional ones are shown in the steps but weigh 0.
"""

from __future__ import annotations

from shared.events.feedback import ResultKind, Source
from shared.plugins import Component, RubricResult, RubricSpec, ScoringInputs, hookimpl
from shared.plugins.measure import component_index, criteria_indices, indicators_index
from shared.rubrics import berakhlak

KIND_WEIGHTS = {ResultKind.MAIN: 1.0, ResultKind.ADDITIONAL: 0.0}

SPEC = RubricSpec(
    rubric_id="national",
    version="1.0.0",
    title="Nasional: SKP dan BerAKHLAK",
    default=True,
    criteria=berakhlak.criteria(frozenset({Source.SELF, Source.SUPERVISOR, Source.PEER, Source.SUBORDINATE})),
    # The supervisor rates behaviour (PermenPANRB 6/2022); peers and subordinates may add 360
    # feedback (PP 30/2019). Self-ratings inform the dialogue but weigh little: they run lenient.
    source_weights={Source.SUPERVISOR: 0.5, Source.PEER: 0.25, Source.SUBORDINATE: 0.15, Source.SELF: 0.1},
    weights={"main": KIND_WEIGHTS[ResultKind.MAIN], "additional": KIND_WEIGHTS[ResultKind.ADDITIONAL]},
)


@hookimpl
def rubric_spec() -> RubricSpec:
    return SPEC


@hookimpl
def rubric_score(spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
    results = indicators_index(inputs.indicators, KIND_WEIGHTS)
    behaviour = criteria_indices(spec, inputs, Component.BEHAVIOUR)
    return RubricResult(
        results_score=results.index,
        behaviour_score=component_index(spec, behaviour),
        criteria=behaviour,
        weights={**spec.weights, **{f"source:{s.value}": w for s, w in spec.source_weights.items()}},
        steps=results.steps,
        left_out=results.left_out,
    )
