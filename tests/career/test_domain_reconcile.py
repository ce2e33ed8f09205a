"""Replacement of recommendations by newer scores, reprocessing, and HR decisions."""

from __future__ import annotations

import pytest

from services.career.domain import (
    NATIONAL_POLICY,
    Decision,
    History,
    ScoreInput,
    decide,
    recommend,
    reconcile,
)
from shared.errors import Conflict, ValidationFailed
from shared.events.career import Recommendation, RecommendationKind, RecommendationStatus
from shared.events.scoring import Explanation, Predicate, Rating, Score

NIP = "198503122010011002"
PROPOSED, ACCEPTED, REJECTED, SUPERSEDED = (
    RecommendationStatus.PROPOSED,
    RecommendationStatus.ACCEPTED,
    RecommendationStatus.REJECTED,
    RecommendationStatus.SUPERSEDED,
)


def compute(
    predicate: Predicate = Predicate.SANGAT_BAIK,
    *,
    final: bool,
    criteria: dict[str, float] | None = None,
    nip: str = NIP,
    event_id: str = "evt-1",
) -> list[Recommendation]:
    score = Score(
        cycle_id="2025",
        nip=nip,
        unit_id="dinkes",
        rubric_id="marelan",
        rubric_version="1.0.0",
        results_score=90.0,
        behaviour_score=90.0,
        results_rating=Rating.ABOVE,
        behaviour_rating=Rating.ABOVE,
        predicate=predicate,
        explanation=Explanation(inputs_used=[], weights={}, criteria=criteria or {}),
        inputs_digest="0" * 64,
    )
    return recommend(
        ScoreInput(score=score, score_event_id=event_id, final=final), History(), NATIONAL_POLICY
    )


def ids(recs: tuple[Recommendation, ...] | list[Recommendation]) -> set[str]:
    return {r.recommendation_id for r in recs}


def accept(rec: Recommendation) -> Recommendation:
    return decide(rec, Decision(status="accepted", decided_by="hr-1"))


def test_reprocessing_the_same_score_changes_nothing() -> None:
    stored = compute(final=False)

    outcome = reconcile(stored, compute(final=False), final=False)

    assert not outcome.changed
    assert outcome.new == () and outcome.superseded == ()
    assert ids(outcome.unchanged) == ids(stored)


def test_final_score_supersedes_the_provisional_recommendations_of_its_cycle() -> None:
    provisional = compute(final=False, event_id="evt-p")
    final = compute(final=True, event_id="evt-f")

    outcome = reconcile(provisional, final, final=True)

    assert ids(outcome.new) == ids(final)
    assert ids(outcome.superseded) == ids(provisional)
    assert all(r.status == SUPERSEDED for r in outcome.superseded)
    assert outcome.unchanged == ()


def test_new_provisional_revision_replaces_only_what_changed() -> None:
    first = compute(Predicate.BAIK, final=False)
    # Computed predicate drops to Butuh Perbaikan: the allowance changes (100% -> 90%).
    second = compute(Predicate.BUTUH_PERBAIKAN, final=False, event_id="evt-2")

    outcome = reconcile(first, second, final=False)

    assert [r.title for r in outcome.superseded] == ["Tunjangan kinerja 100%"]
    assert [r.title for r in outcome.new] == ["Tunjangan kinerja 90%"]


def test_revision_with_the_same_conclusion_keeps_the_stored_recommendation() -> None:
    first = compute(Predicate.BAIK, final=False, criteria={"communication": 50.0})
    second = compute(Predicate.BAIK, final=False, criteria={"communication": 55.0}, event_id="evt-2")

    outcome = reconcile(first, second, final=False)

    assert not outcome.changed
    training = next(r for r in outcome.unchanged if r.kind == RecommendationKind.TRAINING)
    assert training.score_event_ids == ["evt-1"]


def test_decided_recommendation_is_not_reopened_by_reprocessing() -> None:
    stored = [accept(r) if r.kind == RecommendationKind.REWARD else r for r in compute(final=False)]

    outcome = reconcile(stored, compute(final=False), final=False)

    reward = next(r for r in outcome.unchanged if r.kind == RecommendationKind.REWARD)
    assert reward.status == ACCEPTED
    assert not outcome.changed


def test_final_score_neither_supersedes_nor_reissues_a_decided_equivalent() -> None:
    provisional = compute(final=False)
    stored = [accept(r) if r.kind == RecommendationKind.REWARD else r for r in provisional]

    outcome = reconcile(stored, compute(final=True), final=True)

    assert [r.kind for r in outcome.already_decided] == [RecommendationKind.REWARD]
    assert RecommendationKind.REWARD not in {r.kind for r in outcome.new}
    assert RecommendationKind.REWARD not in {r.kind for r in outcome.superseded}
    kept = [r for r in outcome.unchanged if r.kind == RecommendationKind.REWARD]
    assert [r.status for r in kept] == [ACCEPTED]


def test_late_provisional_after_final_changes_nothing() -> None:
    final = compute(final=True)

    outcome = reconcile(final, compute(Predicate.KURANG, final=False), final=False)

    assert not outcome.changed
    assert outcome.stale and ids(outcome.unchanged) == ids(final)


def test_superseded_recommendation_that_comes_back_is_issued_again() -> None:
    first = compute(Predicate.BAIK, final=False)
    second = compute(Predicate.BUTUH_PERBAIKAN, final=False)
    after_second = reconcile(first, second, final=False)
    stored = [*after_second.new, *after_second.unchanged, *after_second.superseded]

    back = reconcile(stored, compute(Predicate.BAIK, final=False), final=False)

    assert [r.title for r in back.new] == ["Tunjangan kinerja 100%"]
    assert all(r.status == PROPOSED for r in back.new)
    assert [r.title for r in back.superseded] == ["Tunjangan kinerja 90%"]


def test_reconcile_refuses_mixed_subjects_or_stages() -> None:
    with pytest.raises(ValidationFailed):
        reconcile(compute(final=False), compute(final=False, nip="199001012015022001"), final=False)
    with pytest.raises(ValidationFailed):
        reconcile([], compute(final=True), final=False)


def test_empty_final_set_supersedes_every_proposal() -> None:
    outcome = reconcile(compute(final=False), [], final=True)
    assert ids(outcome.superseded) == ids(compute(final=False))


def test_hr_accepts_or_rejects_with_a_reason() -> None:
    rec = compute(final=True)[0]

    assert accept(rec).status == ACCEPTED
    rejected = decide(rec, Decision(status="rejected", decided_by="hr-1", reason="Anggaran tidak tersedia"))
    assert rejected.status == REJECTED
    assert rejected.recommendation_id == rec.recommendation_id


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rejection_without_reason_is_invalid(reason: str | None) -> None:
    with pytest.raises(ValidationFailed):
        decide(compute(final=True)[0], Decision(status="rejected", decided_by="hr-1", reason=reason))


def test_decided_or_superseded_recommendation_cannot_be_decided_again() -> None:
    rec = compute(final=True)[0]
    accepted = accept(rec)

    assert accept(accepted) == accepted  # a retried request is harmless
    with pytest.raises(Conflict):
        decide(accepted, Decision(status="rejected", decided_by="hr-2", reason="berubah pikiran"))
    with pytest.raises(Conflict):
        accept(rec.model_copy(update={"status": SUPERSEDED}))
