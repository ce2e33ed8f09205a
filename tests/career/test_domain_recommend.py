"""Single-cycle career rules: score input, calibration, training, allowance, rewards, 9-box."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.career.domain import (
    NATIONAL_POLICY,
    REGIONAL_POLICIES,
    History,
    PotentialAssessment,
    PotentialLevel,
    ScoreInput,
    place_talent_box,
    recommend,
)
from shared.errors import ValidationFailed
from shared.events.career import Recommendation, RecommendationKind
from shared.events.scoring import (
    CalibrationApplied,
    Explanation,
    Predicate,
    Rating,
    Score,
    ScoreComputed,
    ScoreFinalized,
)

NIP = "198503122010011002"
OTHER_NIP = "199001012015022001"
EMPTY = History()


def make_score(
    *,
    predicate: Predicate = Predicate.BAIK,
    criteria: dict[str, float] | None = None,
    final: bool = True,
    event_id: str = "evt-2025",
) -> ScoreInput:
    score = Score(
        cycle_id="2025",
        nip=NIP,
        unit_id="dinkes",
        rubric_id="marelan",
        rubric_version="1.0.0",
        results_score=80.0,
        behaviour_score=80.0,
        results_rating=Rating.MEETS,
        behaviour_rating=Rating.MEETS,
        predicate=predicate,
        explanation=Explanation(inputs_used=[], weights={}, criteria=criteria or {}),
        inputs_digest="0" * 64,
    )
    return ScoreInput(score=score, score_event_id=event_id, final=final)


def of_kind(recs: list[Recommendation], kind: RecommendationKind) -> list[Recommendation]:
    return [r for r in recs if r.kind == kind]


def envelope() -> dict[str, str]:
    return {"region": "marelan", "correlation_id": "req-1", "producer": "scoring", "key": NIP}


def test_score_input_from_events_marks_finality_and_event_id() -> None:
    score = make_score().score
    computed = ScoreComputed.build(score=score, **envelope())
    finalized = ScoreFinalized.build(score=score, **envelope())

    provisional = ScoreInput.from_event(computed)
    final = ScoreInput.from_event(finalized)

    assert (provisional.final, final.final) == (False, True)
    assert provisional.event_ids == (str(computed.event_id),)
    assert final.predicate == Predicate.BAIK


def test_calibration_replaces_predicate_and_is_cited() -> None:
    final = make_score(predicate=Predicate.BAIK)
    calibration = CalibrationApplied.build(
        cycle_id="2025",
        nip=NIP,
        unit_id="dinkes",
        previous_predicate=Predicate.BAIK,
        predicate=Predicate.KURANG,
        decision="overridden",
        decided_by="pejabat-penilai-1",
        reason="Target utama tidak tercapai",
        **envelope(),
    )

    calibrated = final.with_calibration(calibration)
    (allowance,) = of_kind(recommend(calibrated, EMPTY, NATIONAL_POLICY), RecommendationKind.ALLOWANCE)

    assert calibrated.predicate == Predicate.KURANG
    assert allowance.details["percent"] == 85.0
    assert allowance.score_event_ids == ["evt-2025", str(calibration.event_id)]
    assert str(calibration.event_id) in allowance.reason


def test_calibration_rejected_for_provisional_or_other_employee() -> None:
    calibration = CalibrationApplied.build(
        cycle_id="2025",
        nip=OTHER_NIP,
        unit_id="dinkes",
        previous_predicate=Predicate.BAIK,
        predicate=Predicate.BAIK,
        decision="confirmed",
        decided_by="pejabat-penilai-1",
        reason="ok",
        **envelope(),
    )
    with pytest.raises(ValidationFailed):
        make_score(final=False).with_calibration(calibration)
    with pytest.raises(ValidationFailed):
        make_score().with_calibration(calibration)


def test_training_for_weakest_criteria_below_threshold_at_most_two() -> None:
    score = make_score(
        criteria={"communication": 52.0, "public_service": 58.0, "akuntabel": 65.0, "kompeten": 90.0}
    )

    trainings = of_kind(recommend(score, EMPTY, NATIONAL_POLICY), RecommendationKind.TRAINING)

    # Threshold 70, max 2: akuntabel (65) is weak too but third in line.
    assert sorted(str(r.details["code"]) for r in trainings) == ["komunikasi_pelayanan", "pelayanan_prima"]
    communication = next(r for r in trainings if r.details["code"] == "komunikasi_pelayanan")
    assert communication.title == "Pelatihan komunikasi pelayanan publik"
    assert communication.details["criteria"] == "communication"
    assert "communication 52" in communication.reason
    assert communication.score_event_ids == ["evt-2025"]


def test_training_merges_criteria_that_share_a_course_and_normalises_keys() -> None:
    score = make_score(criteria={"Communication": 50.0, "komunikasi": 55.0, "Public-Service": 69.9})

    trainings = of_kind(recommend(score, EMPTY, NATIONAL_POLICY), RecommendationKind.TRAINING)

    assert sorted((str(r.details["code"]), str(r.details["criteria"])) for r in trainings) == [
        ("komunikasi_pelayanan", "Communication,komunikasi"),
        ("pelayanan_prima", "Public-Service"),
    ]


def test_training_threshold_is_policy_and_unknown_criteria_are_skipped() -> None:
    score = make_score(criteria={"communication": 55.0, "juggling": 10.0})
    strict = replace(NATIONAL_POLICY, training=replace(NATIONAL_POLICY.training, threshold=50.0))

    assert of_kind(recommend(score, EMPTY, strict), RecommendationKind.TRAINING) == []
    codes = [
        r.details["code"]
        for r in of_kind(recommend(score, EMPTY, NATIONAL_POLICY), RecommendationKind.TRAINING)
    ]
    assert codes == ["komunikasi_pelayanan"]


@pytest.mark.parametrize(
    ("predicate", "percent", "title"),
    [
        (Predicate.SANGAT_BAIK, 100.0, "Tunjangan kinerja 100%"),
        (Predicate.BAIK, 100.0, "Tunjangan kinerja 100%"),
        (Predicate.BUTUH_PERBAIKAN, 90.0, "Tunjangan kinerja 90%"),
        (Predicate.KURANG, 85.0, "Tunjangan kinerja 85%"),
        (Predicate.SANGAT_KURANG, 80.0, "Tunjangan kinerja 80%"),
    ],
)
def test_allowance_percentage_by_predicate(predicate: Predicate, percent: float, title: str) -> None:
    (allowance,) = of_kind(
        recommend(make_score(predicate=predicate), EMPTY, NATIONAL_POLICY), RecommendationKind.ALLOWANCE
    )
    assert (allowance.details["percent"], allowance.title) == (percent, title)


def test_allowance_table_is_regional_data() -> None:
    table = dict(NATIONAL_POLICY.allowance_percent) | {Predicate.KURANG: 70.0}
    regional = replace(NATIONAL_POLICY, name="somewhere", allowance_percent=table)
    (allowance,) = of_kind(
        recommend(make_score(predicate=Predicate.KURANG), EMPTY, regional), RecommendationKind.ALLOWANCE
    )
    assert allowance.details["percent"] == 70.0
    assert "somewhere" in allowance.reason


@pytest.mark.parametrize(
    ("region", "predicate", "codes"),
    [
        ("national", Predicate.SANGAT_BAIK, ["piagam_penghargaan"]),
        ("national", Predicate.BAIK, []),
        ("siulak", Predicate.SANGAT_BAIK, ["bonus_kinerja", "piagam_penghargaan"]),
        ("siulak", Predicate.BAIK, ["piagam_penghargaan"]),
        ("siulak", Predicate.BUTUH_PERBAIKAN, []),
    ],
)
def test_rewards_by_predicate(region: str, predicate: Predicate, codes: list[str]) -> None:
    policy = REGIONAL_POLICIES.get(region, NATIONAL_POLICY)
    rewards = of_kind(recommend(make_score(predicate=predicate), EMPTY, policy), RecommendationKind.REWARD)
    assert sorted(str(r.details["code"]) for r in rewards) == codes


@pytest.mark.parametrize(
    ("performance", "potential", "box"),
    [
        (Rating.BELOW, PotentialLevel.LOW, 1),
        (Rating.MEETS, PotentialLevel.LOW, 2),
        (Rating.BELOW, PotentialLevel.MEDIUM, 3),
        (Rating.ABOVE, PotentialLevel.LOW, 4),
        (Rating.MEETS, PotentialLevel.MEDIUM, 5),
        (Rating.BELOW, PotentialLevel.HIGH, 6),
        (Rating.ABOVE, PotentialLevel.MEDIUM, 7),
        (Rating.MEETS, PotentialLevel.HIGH, 8),
        (Rating.ABOVE, PotentialLevel.HIGH, 9),
    ],
)
def test_nine_box_numbering_of_permenpanrb_3_2020(
    performance: Rating, potential: PotentialLevel, box: int
) -> None:
    assert place_talent_box(performance, potential) == box


@pytest.mark.parametrize(
    ("predicate", "level", "box", "pool", "ready", "coaching"),
    [
        (Predicate.SANGAT_BAIK, PotentialLevel.HIGH, 9, True, True, False),
        (Predicate.BAIK, PotentialLevel.HIGH, 8, True, False, False),
        (Predicate.BAIK, PotentialLevel.MEDIUM, 5, False, False, False),
        (Predicate.BUTUH_PERBAIKAN, PotentialLevel.MEDIUM, 3, False, False, True),
        (Predicate.KURANG, PotentialLevel.LOW, 1, False, False, True),
    ],
)
def test_talent_box_recommendation(
    predicate: Predicate, level: PotentialLevel, box: int, pool: bool, ready: bool, coaching: bool
) -> None:
    potential = PotentialAssessment(assessment_id="asm-7", nip=NIP, level=level)

    (placed,) = of_kind(
        recommend(make_score(predicate=predicate), EMPTY, NATIONAL_POLICY, potential),
        RecommendationKind.TALENT_BOX,
    )

    assert placed.details["box"] == box
    assert (placed.details["talent_pool"], placed.details["ready_for_promotion"]) == (pool, ready)
    assert placed.details["needs_coaching"] is coaching
    assert "asm-7" in placed.reason


def test_no_potential_means_no_talent_box_and_foreign_potential_is_refused() -> None:
    assert of_kind(recommend(make_score(), EMPTY, NATIONAL_POLICY), RecommendationKind.TALENT_BOX) == []
    foreign = PotentialAssessment(assessment_id="asm-8", nip=OTHER_NIP, level=PotentialLevel.HIGH)
    with pytest.raises(ValidationFailed):
        recommend(make_score(), EMPTY, NATIONAL_POLICY, foreign)


def test_every_recommendation_points_to_its_score_and_carries_finality() -> None:
    criteria = {"communication": 40.0}
    potential = PotentialAssessment(assessment_id="asm-1", nip=NIP, level=PotentialLevel.LOW)
    for final in (True, False):
        recs = recommend(
            make_score(predicate=Predicate.KURANG, criteria=criteria, final=final),
            EMPTY,
            NATIONAL_POLICY,
            potential,
        )
        kinds = {r.kind for r in recs}
        assert kinds == {
            RecommendationKind.TRAINING,
            RecommendationKind.ALLOWANCE,
            RecommendationKind.SANCTION,
            RecommendationKind.TALENT_BOX,
        }
        for rec in recs:
            assert rec.reason.endswith("Score events: evt-2025.")
            assert (rec.final, rec.nip, rec.cycle_id, rec.unit_id) == (final, NIP, "2025", "dinkes")


def test_provisional_and_final_recommendations_have_different_ids() -> None:
    provisional = {r.recommendation_id for r in recommend(make_score(final=False), EMPTY, NATIONAL_POLICY)}
    final = {r.recommendation_id for r in recommend(make_score(final=True), EMPTY, NATIONAL_POLICY)}
    assert provisional and final and not provisional & final
