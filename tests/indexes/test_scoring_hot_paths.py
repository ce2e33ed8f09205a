"""scoring's per-event and per-request work is answered through indexes, whatever history the
database holds: inputs, scores and the directory of earlier cycles and other regions are seeded
into every collection the paths read."""

from __future__ import annotations

from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from services.scoring.service import ScoringService, finalisation
from services.scoring.store import CYCLES, EMPLOYEES, FEEDBACK_FIELDS, FINALS, INPUTS, SCORES, ScoringStore
from shared.outbox import OutboxRelay
from shared.plugins.manager import build_registry
from shared.settings import Settings
from tests.indexes.recorder import Recorded, RecordingDatabase, nowhere, seed, unindexed
from tests.scoring.flow import CYCLE, NURSE, UNIT, nurse_cycle
from tools.workload import cycle_id
from tools.workload.stored import closing, provisional_scores, stored_inputs

HISTORY = 50_000
CLOSED = 130  # employees of the cycle a close finalises: the workload's units of 50, 50 and 30


async def _seed(db: Any) -> None:
    docs: dict[str, list[dict[str, Any]]] = {name: [] for name in (INPUTS, SCORES, FINALS, EMPLOYEES)}
    for i in range(HISTORY):
        cycle, nip, unit = f"marelan-{2000 + i % 20}", f"{197001012000000000 + i}", f"unit{i % 40}"
        key = {"_id": f"{cycle}|{nip}", "cycle_id": cycle, "nip": nip}
        docs[INPUTS].append({**key, "region": "marelan"})
        shape = {**key, "region": "marelan", "unit_id": unit, "team_id": None, "revision": 1, "score": "{}"}
        docs[SCORES].append({**shape, "status": "provisional"})
        docs[FINALS].append({**shape, "status": "final", "revision": 2})
        docs[EMPLOYEES].append({"_id": nip, "region": "plaju", "unit_id": unit})
    await seed(db, docs)
    await db[CYCLES].insert_many(
        [{"_id": f"marelan-{2000 + y}", "region": "marelan", "status": "closed"} for y in range(20)]
    )


async def _seeded_store(db: Any) -> tuple[Recorded, RecordingDatabase, ScoringStore]:
    """scoring's store over a recording database, its indexes made and the history seeded."""
    recorded = Recorded()
    recording = RecordingDatabase(db, recorded)
    store = ScoringStore(recording)  # type: ignore[arg-type]
    await store.ensure_indexes()
    await _seed(db)
    return recorded, recording, store


async def test_inputs_and_score_reads_go_through_indexes(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    db = mongo[isolated_settings.database("scoring")]
    recorded, recording, store = await _seeded_store(db)

    service = ScoringService(store, OutboxRelay(recording, nowhere, isolated_settings), build_registry())  # type: ignore[arg-type]
    flow = nurse_cycle()
    await service.record_employees(flow.people)
    await service.record_cycle_opened(flow.opened)

    recorded.clear()
    for event in flow.inputs:  # one consumed event at a time, as a batch of one
        await service.record_inputs([event])
    # What the read API does per request.
    await store.score(CYCLE, NURSE)
    await store.employee(NURSE)
    await store.cycle_scores(CYCLE, UNIT)
    await store.employee_scores(NURSE)
    # An export's pages: the first, a later one (a range on the NIP, patch 0005) and one region's.
    await store.cycle_scores_after(CYCLE, None, 500)
    await store.cycle_scores_after(CYCLE, "190001012000011001", 500)
    await store.cycle_scores_after(CYCLE, "190001012000011001", 500, "marelan")

    assert await db[SCORES].count_documents({"cycle_id": CYCLE}) == 1, "the inputs were scored"
    assert len(recorded.queries) >= 6, recorded.queries
    assert await unindexed(db, recorded) == [], recorded.queries


async def test_a_close_reads_the_cycle_a_block_of_units_at_a_time_through_indexes(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Finalisation never holds the cycle: its only cycle-wide read of the inputs takes the NIP
    and the feedback (the rater statistics), and whole inputs documents and score states are read
    by ``_id``, a block of whole units at a time, every query through an index."""
    monkeypatch.setattr(finalisation, "READ_BLOCK", 50)  # the workload's units: 50, 50, 30
    db = mongo[isolated_settings.database("scoring")]
    recorded, recording, store = await _seeded_store(db)
    for chunk in stored_inputs(CLOSED):
        await db[EMPLOYEES].insert_many([c["employee"] for c in chunk])
        await db[INPUTS].insert_many([c["inputs"] for c in chunk])
    for docs in provisional_scores(CLOSED):
        await db[SCORES].insert_many(docs)
    service = ScoringService(store, OutboxRelay(recording, nowhere, isolated_settings), build_registry())  # type: ignore[arg-type]

    recorded.clear()
    assert await service.finalize_cycle(closing(CLOSED)) == CLOSED

    cycle_wide = [q for q in recorded.queries if q.filter.get("cycle_id") == cycle_id("marelan")]
    assert [(q.collection, q.projection) for q in cycle_wide] == [(INPUTS, FEEDBACK_FIELDS)]
    by_id = [q for q in recorded.queries if q.collection in (INPUTS, SCORES, FINALS) and q not in cycle_wide]
    assert {q.collection for q in by_id} == {INPUTS, SCORES, FINALS}, by_id
    for q in by_id:
        assert list(q.filter) == ["_id"], q
        ids = q.filter["_id"]["$in"] if isinstance(q.filter["_id"], dict) else [q.filter["_id"]]
        assert 0 < len(ids) <= 50, q
    assert await unindexed(db, recorded) == [], recorded.queries
