"""Plaju: competency-based appraisal, judging process as well as results (seed 001).

Behaviour is the three competencies, knowledge, skills and attitude (pengetahuan, keterampilan,
sikap). Results combine the plan's indicators (the result) with a rated 'proses' criterion (how
it was reached). Sources are self, supervisor and peers; the rubric flags when the supervisor's
and the employee's own view disagree, a known source of conflict in Plaju.
"""

from __future__ import annotations

from shared.events.feedback import ResultKind, Source
from shared.events.scoring import Flag
from shared.plugins import Component, Criterion, RubricResult, RubricSpec, ScoringInputs, hookimpl
from shared.plugins.measure import component_index, criteria_indices, indicators_index, weighted_mean

SOURCES = frozenset({Source.SELF, Source.SUPERVISOR, Source.PEER})
KIND_WEIGHTS = {ResultKind.MAIN: 1.0, ResultKind.ADDITIONAL: 0.5}
RESULT_WEIGHT, PROCESS_WEIGHT = 0.6, 0.4
DISAGREEMENT_POINTS = 1.0
"""Mean gap (scale points, after bias correction) between supervisor and self that is flagged."""


def _criterion(cid: str, label_id: str, label_en: str, component: Component) -> Criterion:
    return Criterion(
        criterion_id=cid, label_id=label_id, label_en=label_en, component=component, sources=SOURCES
    )


SPEC = RubricSpec(
    rubric_id="plaju",
    version="1.0.0",
    title="Plaju: penilaian berbasis kompetensi",
    regions=("plaju",),
    criteria=(
        _criterion("pengetahuan", "Pengetahuan", "Knowledge", Component.BEHAVIOUR),
        _criterion("keterampilan", "Keterampilan", "Skills", Component.BEHAVIOUR),
        _criterion("sikap", "Sikap", "Attitude", Component.BEHAVIOUR),
        _criterion("proses", "Proses mencapai target", "Process of reaching the targets", Component.RESULTS),
    ),
    source_weights={Source.SELF: 0.2, Source.SUPERVISOR: 0.5, Source.PEER: 0.3},
    weights={"hasil": RESULT_WEIGHT, "proses": PROCESS_WEIGHT},
)


@hookimpl
def rubric_spec() -> RubricSpec:
    return SPEC


def _disagreement(inputs: ScoringInputs) -> Flag | None:
    supervisor = inputs.feedback.get(Source.SUPERVISOR, {})
    own = inputs.feedback.get(Source.SELF, {})
    common = sorted(supervisor.keys() & own.keys())
    if not common:
        return None
    gap = sum(abs(supervisor[c] - own[c]) for c in common) / len(common)
    if gap <= DISAGREEMENT_POINTS:
        return None
    return Flag(
        code="supervisor_self_disagreement",
        message=f"supervisor and self-evaluation differ by {gap:.2f} points on average over "
        f"{len(common)} criteria (more than {DISAGREEMENT_POINTS:g}): discuss before finalizing",
    )


@hookimpl
def rubric_score(spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
    outcome = indicators_index(inputs.indicators, KIND_WEIGHTS)
    process = criteria_indices(spec, inputs, Component.RESULTS)
    behaviour = criteria_indices(spec, inputs, Component.BEHAVIOUR)
    parts = [(outcome.index, RESULT_WEIGHT), (process.get("proses"), PROCESS_WEIGHT)]
    results = weighted_mean((value, weight) for value, weight in parts if value is not None)
    flag = _disagreement(inputs)
    return RubricResult(
        results_score=results,
        behaviour_score=component_index(spec, behaviour),
        criteria={**process, **behaviour},
        weights={**spec.weights, **{f"source:{s.value}": w for s, w in spec.source_weights.items()}},
        steps=(*outcome.steps, f"results = {RESULT_WEIGHT:g} x hasil + {PROCESS_WEIGHT:g} x proses"),
        flags=(flag,) if flag else (),
        left_out=outcome.left_out,
    )
