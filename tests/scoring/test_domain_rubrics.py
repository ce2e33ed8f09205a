"""Each built-in rubric, scored through the core with cases taken from its seed document.

The registry is built from the ``kinerja`` entry points, as the service builds it. Rater
statistics are empty here (no cycle yet): nothing is bias-corrected, so the arithmetic is the
rubric's alone. Scale 1-5 with 3 = as expected: index = 50 + 25 x (rating - 3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pydantic
import pytest

from services.scoring.domain import RaterStats, compute_score
from services.scoring.domain.inputs import CycleInputs, FeedbackInput
from shared.events.feedback import Direction, ResultKind, Source
from shared.events.scoring import Predicate, Rating, Score
from shared.plugins.manager import RubricRegistry, build_registry
from shared.rubrics import asemrowo, berakhlak
from tests.scoring.support import cycle, fb, indicator, nip

SUP, PEER, SELF, CITIZEN = Source.SUPERVISOR, Source.PEER, Source.SELF, Source.CITIZEN


@pytest.fixture(scope="module")
def registry() -> RubricRegistry:
    return build_registry()


def score(registry: RubricRegistry, region: str, inputs: CycleInputs) -> Score:
    spec = registry.for_region(region)
    return compute_score(inputs, spec, registry.score, RaterStats())


def rated(
    source: Source, rater: str | None, ratings: Mapping[str, float], rubric: str, n: int = 0
) -> FeedbackInput:
    return fb(source, rater, ratings, rubric=rubric, sid=f"{rubric}-{source.value}-{n}")


# ----------------------------------------------------------------- Marelan (seed 000)


PEER_VIEW = {"kontribusi_tim": 3, "perilaku_profesional": 4, "pelayanan": 4}


def nurse_feedback(rubric: str = "marelan") -> tuple[FeedbackInput, ...]:
    """A nurse at a puskesmas: self, supervisor, three colleagues and three patients."""
    return (
        rated(SELF, nip(1), {"pencapaian_target": 5, "kontribusi_tim": 4, "perilaku_profesional": 5}, rubric),
        rated(
            SUP,
            nip(2),
            {"pencapaian_target": 4, "kontribusi_tim": 4, "perilaku_profesional": 4, "pelayanan": 5},
            rubric,
        ),
        *(
            rated(
                PEER, nip(10 + i), {"kontribusi_tim": 3, "perilaku_profesional": 4, "pelayanan": 4}, rubric, i
            )
            for i in range(3)
        ),
        *(rated(CITIZEN, None, {"pelayanan": 5}, rubric, i) for i in range(3)),
    )


def test_domain_marelan_nurse_in_a_service_role(registry: RubricRegistry) -> None:
    result = score(registry, "marelan", cycle(feedback=nurse_feedback(), service_role=True))
    crit = result.explanation.criteria
    # pencapaian_target: self 5 (w .2), supervisor 4 (w .5): 3 / .7 = 4.285714 -> 82.142857
    assert crit["pencapaian_target"] == 82.14
    # kontribusi_tim: .2 x 4 + .5 x 4 + .3 x 3 = 3.7 -> 67.5
    assert crit["kontribusi_tim"] == 67.5
    # results: .7 x 82.142857 + .3 x 67.5 = 57.5 + 20.25 = 77.75 -> Di Atas
    assert result.results_score == 77.75
    # perilaku_profesional: .2 x 5 + .5 x 4 + .3 x 4 = 4.2 -> 80
    # pelayanan (patients count): (.5 x 5 + .3 x 4 + .3 x 5) / 1.1 = 4.727273 -> 93.181818
    assert (crit["perilaku_profesional"], crit["pelayanan"]) == (80.0, 93.18)
    # behaviour: (80 + 93.181818) / 2 = 86.590909 -> 86.59, Di Atas
    assert result.behaviour_score == 86.59
    assert result.predicate is Predicate.SANGAT_BAIK
    assert result.rubric_id == "marelan"


def test_domain_marelan_without_service_role_is_not_rated_on_patients(registry: RubricRegistry) -> None:
    result = score(registry, "marelan", cycle(feedback=nurse_feedback(), service_role=False))
    assert "pelayanan" not in result.explanation.criteria
    assert result.behaviour_score == 80.0  # perilaku_profesional alone
    left = {lo.kind: lo for lo in result.explanation.left_out}
    # the supervisor's and 3 peers' 'pelayanan' ratings; the citizens' whole submissions
    assert left["rating:supervisor"].count == 1 and left["rating:peer"].count == 3
    assert left["feedback:citizen"].count == 3


def test_domain_marelan_poor_service_feedback_suggests_training(registry: RubricRegistry) -> None:
    items = (
        rated(SUP, nip(2), {"perilaku_profesional": 3, "pelayanan": 2}, "marelan"),
        *(rated(CITIZEN, None, {"pelayanan": 1}, "marelan", i) for i in range(3)),
    )
    result = score(registry, "marelan", cycle(feedback=items, service_role=True))
    # pelayanan (.5 x 2 + .3 x 1) / .8 = 1.625 -> 50 x .625 / 2 = 15.625 < 37.5
    assert result.explanation.criteria["pelayanan"] == 15.62
    assert "service_training" in [f.code for f in result.explanation.flags]


# ----------------------------------------------------------------- Plaju (seed 001)


def plaju_inputs(supervisor: Mapping[str, float], own: Mapping[str, float]) -> CycleInputs:
    return cycle(
        feedback=(rated(SUP, nip(2), supervisor, "plaju"), rated(SELF, nip(1), own, "plaju")),
        indicators=(indicator("iki-1", 100.0),),
        realised={"iki-1": 100.0},
    )


def test_domain_plaju_flags_supervisor_and_subordinate_disagreement(registry: RubricRegistry) -> None:
    supervisor = {"pengetahuan": 2, "keterampilan": 2, "sikap": 3, "proses": 2}
    own = {"pengetahuan": 4, "keterampilan": 4, "sikap": 4, "proses": 4}
    result = score(registry, "plaju", plaju_inputs(supervisor, own))
    # gaps 2, 2, 1, 2: mean 1.75 > 1.0
    flags = {f.code: f.message for f in result.explanation.flags}
    assert "differ by 1.75 points" in flags["supervisor_self_disagreement"]
    # proses (.2 x 4 + .5 x 2) / .7 = 2.571429 -> 39.285714; hasil: 100/100 -> 50
    # results .6 x 50 + .4 x 39.285714 = 45.714286
    assert result.results_score == 45.71
    # pengetahuan, keterampilan 39.285714 each; sikap (.8 + 1.5) / .7 = 3.285714 -> 57.142857
    # behaviour (2 x 39.285714 + 57.142857) / 3 = 45.238095
    assert result.behaviour_score == 45.24
    assert (result.results_rating, result.behaviour_rating) == (Rating.MEETS, Rating.MEETS)


def test_domain_plaju_agreement_within_a_point_is_not_flagged(registry: RubricRegistry) -> None:
    views = {"pengetahuan": 4, "keterampilan": 3, "sikap": 4, "proses": 4}
    own = {"pengetahuan": 5, "keterampilan": 4, "sikap": 4, "proses": 4}  # gaps 1, 1, 0, 0: 0.5
    result = score(registry, "plaju", plaju_inputs(views, own))
    assert "supervisor_self_disagreement" not in [f.code for f in result.explanation.flags]


# ----------------------------------------------------------------- Asemrowo (seed 002)

PERMIT_DAYS = indicator("izin", 5.0, direction=Direction.LOWER_IS_BETTER, name="Waktu penerbitan izin (hari)")


def test_domain_asemrowo_lower_is_better_permit_time_and_the_cap(registry: RubricRegistry) -> None:
    inputs = cycle(indicators=(PERMIT_DAYS,), realised={"izin": 4.0})
    result = score(registry, "asemrowo", inputs)
    # 5 days target / 4 days realised = 1.25, capped at 1.2 -> 100 (uncapped it would be 112.5)
    assert result.results_score == 100.0
    assert "ratio 1.2500 (cap 1.2) -> index 100.00" in result.explanation.steps[0]


def test_domain_asemrowo_mixes_directions_and_weights_additional_results_half(
    registry: RubricRegistry,
) -> None:
    indicators = (
        PERMIT_DAYS,
        indicator("apm", 95.0, name="Angka partisipasi sekolah (%)"),
        indicator("ikm", 80.0, kind=ResultKind.ADDITIONAL, name="Kepuasan masyarakat layanan kesehatan"),
    )
    result = score(
        registry, "asemrowo", cycle(indicators=indicators, realised={"izin": 6.0, "apm": 95.0, "ikm": 88.0})
    )
    # izin 5/6 = 0.833333 -> 41.666667; apm 95/95 -> 50; ikm 88/80 = 1.1 -> 75 at weight .5
    # (41.666667 + 50 + 37.5) / 2.5 = 51.666667
    assert result.results_score == 51.67


def test_domain_asemrowo_attendance_cannot_be_declared(registry: RubricRegistry) -> None:
    spec = registry.spec("asemrowo")
    attendance = berakhlak.criteria(frozenset({SUP}))[0].model_copy(
        update={"criterion_id": "kehadiran", "label_id": "Kehadiran", "label_en": "Attendance"}
    )
    with pytest.raises(pydantic.ValidationError, match="kehadiran"):
        type(spec).model_validate(
            {**spec.model_dump(), "criteria": [*spec.model_dump()["criteria"], attendance]}
        )


def test_domain_asemrowo_attendance_cannot_be_used(registry: RubricRegistry) -> None:
    spec = registry.spec("asemrowo")
    assert spec.rating_problems(SUP, {"attendance": 5}, service_role=False) == [
        "attendance: attendance is not a criterion of rubric asemrowo"
    ]
    feedback = (rated(SUP, nip(2), {"kehadiran": 5, "akuntabel": 4}, "asemrowo"),)
    indicators = (indicator("hadir", 100.0, name="Tingkat kehadiran pegawai"), indicator("apm", 95.0))
    inputs = cycle(feedback=feedback, indicators=indicators, realised={"hadir": 100.0, "apm": 76.0})
    result = score(registry, "asemrowo", inputs)
    # only apm counts: 76 / 95 = 0.8 -> 40. Attendance (100%) would have lifted it.
    assert result.results_score == 40.0
    assert result.explanation.criteria == {"akuntabel": 75.0}
    reasons = {lo.reason for lo in result.explanation.left_out}
    assert "attendance is not a criterion in Asemrowo" in reasons
    assert "kehadiran: kehadiran is not a criterion of rubric asemrowo" in reasons


def test_domain_asemrowo_self_evaluation_is_collected_but_weighs_nothing(registry: RubricRegistry) -> None:
    values = [cid for cid, _, _ in berakhlak.VALUES]
    feedback = (
        rated(SUP, nip(2), dict.fromkeys(values, 4), "asemrowo"),
        rated(SELF, nip(1), dict.fromkeys(values, 5), "asemrowo"),
    )
    result = score(registry, "asemrowo", cycle(feedback=feedback))
    assert result.behaviour_score == 75.0  # the supervisor's 4s alone; self 5s weigh 0
    assert "feedback:self" in [ref.kind for ref in result.explanation.inputs_used]
    assert asemrowo.SPEC.source_weights[SELF] == 0.0


# ----------------------------------------------------------------- Siulak (seed 003)


def test_domain_siulak_each_indicator_met_or_missed_against_its_standard(registry: RubricRegistry) -> None:
    indicators = (
        indicator("a", 100.0, standard=90.0),  # 95: met (>= 90), below 110: not exceeded
        indicator("b", 100.0),  # 80, no standard so the target is one: missed
        indicator("c", 10.0, standard=12.0, direction=Direction.LOWER_IS_BETTER),  # 8 <= 9: exceeded
        indicator("d", 50.0),  # not in the report: missed
    )
    values = [cid for cid, _, _ in berakhlak.VALUES]
    feedback = (rated(SUP, nip(2), dict.fromkeys(values, 3), "siulak"),)
    inputs = cycle(feedback=feedback, indicators=indicators, realised={"a": 95.0, "b": 80.0, "c": 8.0})
    result = score(registry, "siulak", inputs)
    steps = result.explanation.steps
    assert [s.rsplit("-> ", 1)[1] for s in steps[:4]] == ["met", "missed", "exceeded", "missed"]
    # (50 x 2 met + 50 x 1 exceeded) / 4 = 37.5: the lower edge of Sesuai
    assert result.results_score == 37.5
    assert result.results_rating is Rating.MEETS
    [flag] = result.explanation.flags
    assert flag.code == "standard_missed" and "b, d" in flag.message
    assert result.predicate is Predicate.BAIK


def test_domain_siulak_all_standards_met_is_as_expected(registry: RubricRegistry) -> None:
    inputs = cycle(indicators=(indicator("a", 100.0), indicator("b", 20.0)), realised={"a": 100.0, "b": 21.0})
    result = score(registry, "siulak", inputs)
    assert result.results_score == 50.0
    assert result.explanation.flags[0].code == "incomplete_behaviour"  # no supervisor rating yet


# ----------------------------------------------------------------- national default


def test_domain_national_default_scores_regions_without_a_rubric(registry: RubricRegistry) -> None:
    assert registry.for_region("sabang").rubric_id == "national"
    values = [cid for cid, _, _ in berakhlak.VALUES]
    assert len(values) == 7
    indicators = (
        indicator("guru-rpp", 100.0),  # 90 -> 0.9 -> 45
        indicator("keluhan-hari", 10.0, direction=Direction.LOWER_IS_BETTER),  # 8 -> 1.25, cap 1.2 -> 100
        indicator("seminar", 5.0, kind=ResultKind.ADDITIONAL),  # additional: weight 0 nationally
    )
    feedback = (
        rated(SUP, nip(2), dict.fromkeys(values, 4), "national"),
        *(rated(PEER, nip(10 + i), dict.fromkeys(values, 3), "national", i) for i in range(3)),
    )
    realised = {"guru-rpp": 90.0, "keluhan-hari": 8.0, "seminar": 10.0}
    result = score(registry, "sabang", cycle(feedback=feedback, indicators=indicators, realised=realised))
    # results (45 + 100) / 2 = 72.5 -> Di Atas
    assert result.results_score == 72.5
    # each value (.5 x 4 + .25 x 3) / .75 = 3.666667 -> 66.666667 -> Di Atas
    assert result.behaviour_score == 66.67
    assert result.predicate is Predicate.SANGAT_BAIK
    # supervisor 4 vs peers 3: a gap of exactly 1 point is not divergence
    assert result.explanation.flags == []
    assert math.isclose(sum(result.explanation.criteria.values()) / 7, 66.67)
