"""The scoring service's use cases over an in-memory store (tests/scoring/memory.py): no broker,
no database. The same cycle runs on the real servers in test_service_flow.py; these tests pin
the use cases' own decisions: what a write stages, what a replay leaves alone, who may decide."""

from __future__ import annotations

import pytest

from services.scoring.service import ScoringService
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, ValidationFailed
from shared.events.scoring import CalibrationApplied, Predicate, ScoreComputed
from shared.plugins.manager import build_registry
from tests.scoring.flow import BOSS, CYCLE, NURSE, PEERS, REGION, UNIT, nurse_cycle
from tests.scoring.memory import MemoryRelay, MemoryScoringStore

HR = Principal("hr-marelan", Role.HR_ADMIN, REGION)
APPRAISER = Principal("kepala-unit", Role.SUPERVISOR, REGION, nip=BOSS)
PEER_AS_SUPERVISOR = Principal("rekan", Role.SUPERVISOR, REGION, nip=PEERS[0])


async def scored() -> tuple[ScoringService, MemoryScoringStore, MemoryRelay]:
    """The nurse's cycle recorded: the directory, the opening and her inputs, one at a time."""
    flow = nurse_cycle()
    store, relay = MemoryScoringStore(), MemoryRelay()
    service = ScoringService(store, relay, build_registry())
    await service.record_employees(flow.people)
    await service.record_cycle_opened(flow.opened)
    for event in flow.inputs:
        await service.record_inputs([event])
    return service, store, relay


async def test_inputs_give_a_provisional_score_and_a_replay_stages_nothing() -> None:
    service, store, _ = await scored()
    score = await store.score(CYCLE, NURSE)
    assert score is not None and (score["status"], score["predicate"]) == ("provisional", "baik")
    computed = [e for e in store.staged if isinstance(e, ScoreComputed)]
    assert computed and computed[-1].score.nip == NURSE
    staged = len(store.staged)

    for event in nurse_cycle().inputs:  # the same events, ids included: a redelivery
        await service.record_inputs([event])

    assert len(store.staged) == staged
    again = await store.score(CYCLE, NURSE)
    assert again is not None and again["revision"] == score["revision"]


async def test_a_close_publishes_final_scores_and_only_the_appraiser_or_hr_calibrates() -> None:
    service, store, relay = await scored()
    assert await service.finalize_cycle(nurse_cycle().closed) == 1
    assert [(e["type"], e["score"]["nip"]) for e in relay.published] == [("scoring.score_finalized", NURSE)]
    assert (await store.cycle(CYCLE) or {})["status"] == "closed"
    # A second close of the same inputs publishes nothing new.
    await store.set_cycle(CYCLE, {"status": "closing"})
    assert await service.finalize(CYCLE) == 0

    with pytest.raises(Forbidden, match="appraising official"):
        await service.calibrate(
            PEER_AS_SUPERVISOR, CYCLE, NURSE, decision="confirmed", predicate=None, reason="Sesuai"
        )
    with pytest.raises(ValidationFailed, match="override"):
        await service.calibrate(
            APPRAISER, CYCLE, NURSE, decision="confirmed", predicate=Predicate.SANGAT_BAIK, reason="x"
        )
    with pytest.raises(ValidationFailed, match="reason"):
        await service.calibrate(
            APPRAISER, CYCLE, NURSE, decision="overridden", predicate=Predicate.SANGAT_BAIK, reason=" "
        )
    event = await service.calibrate(
        APPRAISER, CYCLE, NURSE, decision="overridden", predicate=Predicate.SANGAT_BAIK, reason="Inovasi"
    )
    assert (event.previous_predicate, event.predicate, event.decided_by) == (
        Predicate.BAIK,
        Predicate.SANGAT_BAIK,
        "kepala-unit",
    )
    assert isinstance(store.staged[-1], CalibrationApplied)

    detail = await service.score_of(HR, CYCLE, NURSE)
    assert (detail.predicate, detail.calibrated) == ("sangat_baik", True)
    assert [(c.decision, c.from_, c.to, c.by) for c in detail.calibrations] == [
        ("overridden", "baik", "sangat_baik", "kepala-unit")
    ]
    own = await service.score_of(Principal("perawat", Role.EMPLOYEE, REGION, nip=NURSE), CYCLE, NURSE)
    assert own.calibrations[0].by is None and "by" not in own.model_dump()["calibrations"][0]
    with pytest.raises(Forbidden):
        await service.score_of(PEER_AS_SUPERVISOR, CYCLE, NURSE)

    unit = await service.distribution(HR, CYCLE, UNIT)
    assert unit.calibrated == [NURSE] and unit.predicates["sangat_baik"] == 1
    with pytest.raises(Conflict, match="held"):
        await service.finalise_held(HR, CYCLE, NURSE, reason="Tidak ada")
