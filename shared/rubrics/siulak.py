"""Siulak: the annual achievement report judged against standards, indicator by indicator (seed 003).

Each indicator is met (reaches its standard, or its target when no standard is set) or missed;
not reporting it counts as missed, since the supervisor judges the report. Beating the target by
a clear margin earns the reward the seed describes. Behaviour is BerAKHLAK as rated by the
supervisor and colleagues.
"""

from __future__ import annotations

from shared.events.feedback import Direction, Source
from shared.events.scoring import Flag
from shared.plugins import Component, IndicatorOutcome, RubricResult, RubricSpec, ScoringInputs, hookimpl
from shared.plugins.measure import component_index, criteria_indices
from shared.rubrics import berakhlak

EXCEED_MARGIN = 0.10
"""Beating the target by 10% or more counts as exceeded (rewards: certificate, bonus, promotion)."""

SPEC = RubricSpec(
    rubric_id="siulak",
    version="1.0.0",
    title="Siulak: laporan capaian terhadap standar",
    regions=("siulak",),
    criteria=berakhlak.criteria(frozenset({Source.SUPERVISOR, Source.PEER})),
    source_weights={Source.SUPERVISOR: 0.7, Source.PEER: 0.3},
    weights={"met": 50.0, "exceeded": 50.0, "exceed_margin": EXCEED_MARGIN},
)


@hookimpl
def rubric_spec() -> RubricSpec:
    return SPEC


def judge(indicator: IndicatorOutcome) -> str:
    """'missed', 'met' or 'exceeded' for one indicator."""
    value = indicator.realised
    if value is None:
        return "missed"
    standard = indicator.target if indicator.standard is None else indicator.standard
    if indicator.direction is Direction.LOWER_IS_BETTER:
        if value > standard:
            return "missed"
        return "exceeded" if value <= indicator.target * (1 - EXCEED_MARGIN) else "met"
    if value < standard:
        return "missed"
    return "exceeded" if value >= indicator.target * (1 + EXCEED_MARGIN) else "met"


@hookimpl
def rubric_score(spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
    verdicts = {(i.result_id, i.indicator_id): (i, judge(i)) for i in inputs.indicators}
    steps = []
    for (rid, iid), (ind, verdict) in sorted(verdicts.items()):
        standard = ind.target if ind.standard is None else ind.standard
        realised = "not reported" if ind.realised is None else f"{ind.realised:g}"
        steps.append(f"{rid}/{iid}: {realised} vs standard {standard:g}, target {ind.target:g} -> {verdict}")
    results = None
    if verdicts:
        met = sum(v != "missed" for _, v in verdicts.values())
        exceeded = sum(v == "exceeded" for _, v in verdicts.values())
        # index = 50 x share met + 50 x share exceeded: all met is 'as expected' (50).
        results = (50.0 * met + 50.0 * exceeded) / len(verdicts)
        steps.append(f"results = (50 x {met} met + 50 x {exceeded} exceeded) / {len(verdicts)} indicators")
    missed = sorted(iid for (_, iid), (_, v) in verdicts.items() if v == "missed")
    flags: tuple[Flag, ...] = ()
    if missed:
        message = f"standards missed: {', '.join(missed)}; coaching (pembinaan) follows"
        flags = (Flag(code="standard_missed", message=message),)
    behaviour = criteria_indices(spec, inputs, Component.BEHAVIOUR)
    return RubricResult(
        results_score=results,
        behaviour_score=component_index(spec, behaviour),
        criteria=behaviour,
        weights={**spec.weights, **{f"source:{s.value}": w for s, w in spec.source_weights.items()}},
        steps=tuple(steps),
        flags=flags,
    )
