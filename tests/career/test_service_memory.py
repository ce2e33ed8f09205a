"""Career's use cases over the in-memory store (tests/career/memory.py): no Kafka, no MongoDB.

What the service concludes from scores (proposals, their replacement by a final score, nothing
new for a redelivered one), HR's decision and who may list what are tested here; the same on the
real servers is in the flow tests of this folder and tests/indexes.
"""

from __future__ import annotations

import pytest

from services.career.access import RecommendationFilter
from services.career.app import plugin_manager
from services.career.domain import Decision
from services.career.service import CareerService, ScoreEvent, event_id_for, touched_by
from services.career.store import CareerStorage
from shared.auth import Principal, Role
from shared.errors import Forbidden
from shared.events.base import new_event_id
from shared.events.career import RecommendationDecided, RecommendationIssued
from shared.events.scoring import Predicate
from tests.career.memory import MemoryCareerStore
from tests.career.scenario import computed, cycle_opened, employee_upserted, finalized, score

REGION, CYCLE = "marelan", "marelan-2024"
NIP = "198811202012122001"
BOSS = "197501012000031001"
PEER = "199002022015032002"


@pytest.fixture
def store() -> MemoryCareerStore:
    return MemoryCareerStore()


@pytest.fixture
async def service(store: MemoryCareerStore) -> CareerService:
    typed: CareerStorage = store  # the fake keeps the protocol the service is typed against
    service = CareerService(typed, plugin_manager())
    await service.record_cycle(cycle_opened(REGION, CYCLE, 2024))
    return service


async def handle(service: CareerService, *events: ScoreEvent) -> None:
    """What the score handler does with a batch: record, then refresh what the batch touched."""
    for event in events:
        await service.record_score(event)
    employees, teams = touched_by(events)
    for nip, cycle_id in employees:
        await service.refresh_employee(nip, cycle_id)
    for region, cycle_id in teams:
        await service.refresh_team_awards(region, cycle_id)


def standing(store: MemoryCareerStore) -> list[tuple[str, str, bool]]:
    """(kind, status, final) of every recommendation kept."""
    return sorted(
        (s.recommendation.kind.value, s.recommendation.status.value, s.recommendation.final)
        for s in store.recommendations.values()
    )


async def test_a_provisional_score_proposes_an_allowance_announced_under_a_derived_event_id(
    service: CareerService, store: MemoryCareerStore
) -> None:
    await handle(service, computed(REGION, score(CYCLE, NIP, Predicate.BAIK)))

    assert standing(store) == [("allowance", "proposed", False)]
    [stored] = store.recommendations.values()
    [event] = store.staged
    assert isinstance(event, RecommendationIssued)
    assert event.recommendation == stored.recommendation
    assert event.event_id == event_id_for(stored.recommendation_id, 1)


async def test_a_final_score_supersedes_the_provisional_proposal_and_its_redelivery_changes_nothing(
    service: CareerService, store: MemoryCareerStore
) -> None:
    await handle(service, computed(REGION, score(CYCLE, NIP, Predicate.BAIK)))
    final = finalized(REGION, score(CYCLE, NIP, Predicate.SANGAT_BAIK))
    await handle(service, final)

    assert standing(store) == [
        ("allowance", "proposed", True),
        ("allowance", "superseded", False),
        ("reward", "proposed", True),
    ]
    announced = [e for e in store.staged if isinstance(e, RecommendationIssued)]
    assert [(e.recommendation.kind.value, e.recommendation.status.value) for e in announced] == [
        ("allowance", "proposed"),
        ("allowance", "superseded"),
        ("allowance", "proposed"),
        ("reward", "proposed"),
    ]

    kept, staged = dict(store.recommendations), list(store.staged)
    await handle(service, final, final.model_copy(update={"event_id": new_event_id()}))
    assert store.recommendations == kept
    assert store.staged == staged


async def test_hr_accepts_a_proposal_once_and_only_in_its_own_region(
    service: CareerService, store: MemoryCareerStore
) -> None:
    await handle(service, finalized(REGION, score(CYCLE, NIP, Predicate.BAIK)))
    [proposal] = store.recommendations.values()
    decision = Decision(status="accepted", decided_by="hr-marelan", reason=None)

    with pytest.raises(Forbidden):
        await service.decide_recommendation(proposal.recommendation_id, decision, region="plaju")
    decided = await service.decide_recommendation(proposal.recommendation_id, decision, region=REGION)

    assert (decided.revision, decided.recommendation.status.value) == (2, "accepted")
    assert decided.decision is not None and decided.decision.decided_by == "hr-marelan"
    assert store.recommendations[proposal.recommendation_id] == decided
    [event] = [e for e in store.staged if isinstance(e, RecommendationDecided)]
    assert event.event_id == event_id_for(proposal.recommendation_id, 2)

    again = await service.decide_recommendation(proposal.recommendation_id, decision, region=REGION)
    assert again == decided  # a retried request: nothing new written or announced
    assert len([e for e in store.staged if isinstance(e, RecommendationDecided)]) == 1


async def test_a_supervisor_lists_their_reports_and_an_employee_only_their_own(
    service: CareerService, store: MemoryCareerStore
) -> None:
    for event in (
        employee_upserted(REGION, BOSS),
        employee_upserted(REGION, NIP, supervisor_nip=BOSS),
        employee_upserted(REGION, PEER),
    ):
        await service.record_employee(event)
    for nip in (NIP, PEER):
        await handle(service, finalized(REGION, score(CYCLE, nip, Predicate.BAIK)))
    boss = Principal(subject="boss", role=Role.SUPERVISOR, region=REGION, nip=BOSS)
    employee = Principal(subject="nip", role=Role.EMPLOYEE, region=REGION, nip=NIP)
    hr_elsewhere = Principal(subject="hr", role=Role.HR_ADMIN, region="plaju")

    seen = await service.visible_recommendations(
        await service.audience(boss), RecommendationFilter(), None, 50
    )
    assert {s.recommendation.nip for s in seen} == {NIP}
    own = await service.visible_recommendations(
        await service.audience(employee), RecommendationFilter(), None, 50
    )
    assert own == seen

    with pytest.raises(Forbidden) as refused:
        await service.visible_recommendations(
            await service.audience(employee), RecommendationFilter(nip=PEER), None, 50
        )
    assert refused.value.problem_slug == "not-yours"
    with pytest.raises(Forbidden) as elsewhere:
        await service.visible_recommendations(
            await service.audience(hr_elsewhere), RecommendationFilter(nip=NIP), None, 50
        )
    assert elsewhere.value.problem_slug == "other-region"
    [peers] = [s for s in store.recommendations.values() if s.recommendation.nip == PEER]
    with pytest.raises(Forbidden):
        await service.visible_recommendation(employee, peers.recommendation_id)
    assert await service.visible_recommendation(boss, seen[0].recommendation_id) == seen[0]
