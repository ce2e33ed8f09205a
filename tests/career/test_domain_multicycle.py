"""Rules over an employee's history: promotion readiness, seminars, scholarships, sanction ladder."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic import ValidationError

from services.career.domain import (
    NATIONAL_POLICY,
    REGIONAL_POLICIES,
    CareerPolicy,
    CycleOutcome,
    History,
    PotentialAssessment,
    PotentialLevel,
    ScoreInput,
    recommend,
)
from shared.errors import ValidationFailed
from shared.events.career import Recommendation, RecommendationKind
from shared.events.scoring import Explanation, Predicate, Rating, Score

NIP = "198503122010011002"
SB, B, BP, K, SK = (
    Predicate.SANGAT_BAIK,
    Predicate.BAIK,
    Predicate.BUTUH_PERBAIKAN,
    Predicate.KURANG,
    Predicate.SANGAT_KURANG,
)
MARELAN, PLAJU, SIULAK = REGIONAL_POLICIES["marelan"], REGIONAL_POLICIES["plaju"], REGIONAL_POLICIES["siulak"]


def make_score(
    cycle: str, predicate: Predicate, *, criteria: dict[str, float] | None = None, final: bool = True
) -> ScoreInput:
    score = Score(
        cycle_id=cycle,
        nip=NIP,
        unit_id="dinkes",
        rubric_id="plaju",
        rubric_version="1.0.0",
        results_score=85.0,
        behaviour_score=85.0,
        results_rating=Rating.MEETS,
        behaviour_rating=Rating.MEETS,
        predicate=predicate,
        explanation=Explanation(inputs_used=[], weights={}, criteria=criteria or {}),
        inputs_digest="0" * 64,
    )
    return ScoreInput(score=score, score_event_id=f"evt-{cycle}", final=final)


def history_of(*predicates: Predicate, start: int = 2021) -> History:
    return History(
        outcomes=tuple(
            CycleOutcome(
                cycle_id=str(start + i),
                period=str(start + i),
                predicate=p,
                score_event_ids=(f"evt-{start + i}",),
            )
            for i, p in enumerate(predicates)
        )
    )


def codes(recs: list[Recommendation], *kinds: RecommendationKind) -> list[str]:
    return sorted(str(r.details["code"]) for r in recs if r.kind in kinds)


def run_cycles(predicates: list[Predicate], policy: CareerPolicy) -> list[list[Recommendation]]:
    """Process one final score per year, adding each outcome to the history as the service would."""
    history, produced = History(), []
    for year, predicate in enumerate(predicates, start=2023):
        score = make_score(str(year), predicate)
        produced.append(recommend(score, history, policy))
        history = history.with_outcome(CycleOutcome.from_score(score, period=str(year)))
    return produced


def test_two_years_of_sangat_baik_make_an_employee_promotion_ready() -> None:
    first, second = run_cycles([SB, SB], NATIONAL_POLICY)

    assert codes(first, RecommendationKind.PROMOTION_READINESS) == []
    (ready,) = [r for r in second if r.kind == RecommendationKind.PROMOTION_READINESS]
    assert ready.title == "Kesiapan promosi jabatan"
    assert ready.details["cycles"] == "2023,2024"
    assert ready.score_event_ids == ["evt-2023", "evt-2024"]
    assert "2023 Sangat Baik, 2024 Sangat Baik" in ready.reason


@pytest.mark.parametrize(
    ("past", "ready"),
    [((SB,), True), ((B,), False), ((SB, B), False), ((), False), ((SB, SB, SB), True)],
)
def test_promotion_needs_consecutive_top_predicates(past: tuple[Predicate, ...], ready: bool) -> None:
    recs = recommend(make_score("2030", SB), history_of(*past), NATIONAL_POLICY)
    assert (codes(recs, RecommendationKind.PROMOTION_READINESS) == ["siap_promosi"]) is ready


def test_promotion_streak_length_is_policy() -> None:
    three = replace(NATIONAL_POLICY, promotion=replace(NATIONAL_POLICY.promotion, consecutive=3))
    assert (
        codes(
            recommend(make_score("2030", SB), history_of(SB), three), RecommendationKind.PROMOTION_READINESS
        )
        == []
    )
    recs = recommend(make_score("2030", SB), history_of(SB, SB), three)
    (ready,) = [r for r in recs if r.kind == RecommendationKind.PROMOTION_READINESS]
    assert ready.score_event_ids == ["evt-2021", "evt-2022", "evt-2030"]


def test_marelan_sends_consistently_outstanding_staff_to_seminars_outside_the_region() -> None:
    recs = recommend(make_score("2025", SB), history_of(SB, start=2024), MARELAN)

    assert codes(recs, RecommendationKind.SEMINAR) == ["seminar_luar_daerah"]
    assert "pelatihan_lanjutan" in codes(recs, RecommendationKind.TRAINING)
    national = recommend(make_score("2025", SB), history_of(SB, start=2024), NATIONAL_POLICY)
    assert codes(national, RecommendationKind.SEMINAR) == []
    one_year = recommend(make_score("2025", SB), history_of(B, start=2024), MARELAN)
    assert codes(one_year, RecommendationKind.SEMINAR) == []


@pytest.mark.parametrize(
    ("past", "current", "criteria", "granted"),
    [
        (B, SB, {"pengetahuan": 85.0, "keterampilan": 90.0, "sikap": 80.0}, True),
        (SB, B, {"pengetahuan": 85.0, "keterampilan": 90.0, "sikap": 80.0}, True),
        (B, SB, {"pengetahuan": 85.0, "keterampilan": 90.0, "sikap": 79.5}, False),
        (BP, SB, {"pengetahuan": 95.0}, False),
        (B, SB, {}, False),
    ],
)
def test_plaju_scholarship_needs_good_cycles_and_no_competency_gap(
    past: Predicate, current: Predicate, criteria: dict[str, float], granted: bool
) -> None:
    recs = recommend(make_score("2025", current, criteria=criteria), history_of(past, start=2024), PLAJU)
    assert (codes(recs, RecommendationKind.SCHOLARSHIP) == ["beasiswa_pendidikan_lanjutan"]) is granted


def test_scholarship_is_plaju_only() -> None:
    criteria = {"pengetahuan": 90.0}
    national = recommend(
        make_score("2025", SB, criteria=criteria), history_of(SB, start=2024), NATIONAL_POLICY
    )
    assert codes(national, RecommendationKind.SCHOLARSHIP) == []


def test_siulak_repeated_kurang_escalates_coaching_warning_disciplinary_review() -> None:
    cycles = run_cycles([K, K, SK, K], SIULAK)

    sanctions = [[r for r in recs if r.kind == RecommendationKind.SANCTION] for recs in cycles]
    assert [[s.details["code"] for s in found] for found in sanctions] == [
        ["pembinaan"],
        ["teguran_tertulis_rpk"],
        ["pemeriksaan_disiplin"],
        ["pemeriksaan_disiplin"],  # the last rung repeats
    ]
    assert [found[0].details["step"] for found in sanctions] == [1, 2, 3, 3]
    assert [found[0].details["consecutive_poor_cycles"] for found in sanctions] == [1, 2, 3, 4]
    third = sanctions[2][0]
    assert third.title == "Pemeriksaan disiplin"
    assert third.score_event_ids == ["evt-2023", "evt-2024", "evt-2025"]
    assert "step 3 of 3" in third.reason


def test_a_good_cycle_resets_the_sanction_ladder() -> None:
    cycles = run_cycles([K, K, B, K], SIULAK)
    ladder = [codes(recs, RecommendationKind.SANCTION) for recs in cycles]
    assert ladder == [["pembinaan"], ["teguran_tertulis_rpk"], [], ["pembinaan"]]


def test_national_ladder_is_coaching_only_and_butuh_perbaikan_is_not_poor() -> None:
    cycles = run_cycles([K, K, K], NATIONAL_POLICY)
    assert [codes(recs, RecommendationKind.SANCTION) for recs in cycles] == [["pembinaan"]] * 3
    assert (
        codes(
            recommend(make_score("2025", BP), history_of(K, start=2024), SIULAK), RecommendationKind.SANCTION
        )
        == []
    )


def test_provisional_score_counts_as_the_current_cycle() -> None:
    recs = recommend(make_score("2025", K, final=False), history_of(K, start=2024), SIULAK)
    (sanction,) = [r for r in recs if r.kind == RecommendationKind.SANCTION]
    assert (sanction.details["step"], sanction.final) == (2, False)


def test_reprocessing_an_old_cycle_ignores_later_history() -> None:
    history = history_of(SB, SB, K, start=2023)  # 2023, 2024, 2025

    recs = recommend(make_score("2024", SB), history, NATIONAL_POLICY)

    assert codes(recs, RecommendationKind.PROMOTION_READINESS) == ["siap_promosi"]
    assert codes(recs, RecommendationKind.SANCTION) == []


def test_history_is_ordered_by_period_and_rejects_duplicates() -> None:
    a = CycleOutcome(cycle_id="c-b", period="2024", predicate=SB, score_event_ids=("e2",))
    b = CycleOutcome(cycle_id="c-a", period="2023", predicate=K, score_event_ids=("e1",))
    assert [o.period for o in History(outcomes=(a, b)).outcomes] == ["2023", "2024"]
    with pytest.raises(ValidationError):
        History(outcomes=(a, a))
    replaced = History(outcomes=(a, b)).with_outcome(a.model_copy(update={"predicate": B}))
    assert [(o.cycle_id, o.predicate) for o in replaced.outcomes] == [("c-a", K), ("c-b", B)]


def test_only_final_scores_enter_the_history() -> None:
    with pytest.raises(ValidationFailed):
        CycleOutcome.from_score(make_score("2025", SB, final=False), period="2025")


def test_same_input_twice_gives_identical_output_ids_included() -> None:
    potential = PotentialAssessment(assessment_id="asm-1", nip=NIP, level=PotentialLevel.HIGH)
    criteria = {"communication": 60.0, "kolaboratif": 65.0}

    def run() -> list[Recommendation]:
        return recommend(
            make_score("2025", SB, criteria=criteria), history_of(SB, SB, start=2023), MARELAN, potential
        )

    first, second = run(), run()
    assert [r.model_dump() for r in first] == [r.model_dump() for r in second]
    assert len({r.recommendation_id for r in first}) == len(first) == 8
    shuffled = History(outcomes=tuple(reversed(history_of(SB, SB, start=2023).outcomes)))
    again = recommend(make_score("2025", SB, criteria=criteria), shuffled, MARELAN, potential)
    assert [r.recommendation_id for r in again] == [r.recommendation_id for r in first]


def test_republished_score_with_new_event_keeps_ids_and_cites_new_event() -> None:
    original = make_score("2025", K)
    republished = original.model_copy(update={"score_event_id": "evt-2025-redelivered"})

    before = recommend(original, History(), NATIONAL_POLICY)
    after = recommend(republished, History(), NATIONAL_POLICY)

    assert [r.recommendation_id for r in before] == [r.recommendation_id for r in after]
    assert all(r.score_event_ids == ["evt-2025-redelivered"] for r in after)
