"""Marelan: annual appraisal by self-evaluation, supervisor and peers (seed 000).

The form covers target achievement, contribution to the team and professional behaviour; staff
in service roles (health, permits) are also rated on how they deal with patients, the public and
colleagues. Several raters answer the seed's worry about supervisor subjectivity; the core's
bias handling and divergence flag do the rest.
"""

from __future__ import annotations

from shared.events.feedback import Source
from shared.events.scoring import Flag
from shared.plugins import Component, Criterion, RubricResult, RubricSpec, ScoringInputs, hookimpl
from shared.plugins.measure import component_index, criteria_indices

FORM = frozenset({Source.SELF, Source.SUPERVISOR, Source.PEER})
SERVICE = frozenset({Source.SUPERVISOR, Source.PEER, Source.CITIZEN})
LOW_SERVICE_INDEX = 37.5
"""Below this (under 2.5 on the 1-5 scale) service feedback leads to training (seed 000)."""

SPEC = RubricSpec(
    rubric_id="marelan",
    version="1.0.0",
    title="Marelan: evaluasi diri, atasan dan rekan kerja",
    regions=("marelan",),
    criteria=(
        Criterion(
            criterion_id="pencapaian_target",
            label_id="Pencapaian target",
            label_en="Target achievement",
            component=Component.RESULTS,
            sources=FORM,
            weight=0.7,
        ),
        Criterion(
            criterion_id="kontribusi_tim",
            label_id="Kontribusi terhadap tim",
            label_en="Contribution to the team",
            component=Component.RESULTS,
            sources=FORM,
            weight=0.3,
        ),
        Criterion(
            criterion_id="perilaku_profesional",
            label_id="Perilaku profesional",
            label_en="Professional behaviour",
            component=Component.BEHAVIOUR,
            sources=FORM,
        ),
        Criterion(
            criterion_id="pelayanan",
            label_id="Interaksi dengan pasien, masyarakat dan kolega",
            label_en="Dealing with patients, the public and colleagues",
            component=Component.BEHAVIOUR,
            sources=SERVICE,
            service_role_only=True,
        ),
    ),
    # The supervisor's view counts most, but not alone (seed 000: subjectivity from personal ties).
    source_weights={Source.SELF: 0.2, Source.SUPERVISOR: 0.5, Source.PEER: 0.3, Source.CITIZEN: 0.3},
)


@hookimpl
def rubric_spec() -> RubricSpec:
    return SPEC


@hookimpl
def rubric_score(spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
    results = criteria_indices(spec, inputs, Component.RESULTS)
    behaviour = criteria_indices(spec, inputs, Component.BEHAVIOUR)
    flags = []
    service = behaviour.get("pelayanan")
    if service is not None and service < LOW_SERVICE_INDEX:
        flags.append(
            Flag(
                code="service_training",
                message=f"service feedback index {service:.1f} is below {LOW_SERVICE_INDEX}: "
                "communication and service training advised",
            )
        )
    steps = tuple(f"{cid}: index {value:.2f}" for cid, value in sorted({**results, **behaviour}.items()))
    return RubricResult(
        results_score=component_index(spec, results),
        behaviour_score=component_index(spec, behaviour),
        criteria={**results, **behaviour},
        weights={
            **{f"criterion:{c.criterion_id}": c.weight for c in spec.criteria},
            **{f"source:{s.value}": w for s, w in spec.source_weights.items()},
        },
        steps=steps,
        flags=tuple(flags),
    )
