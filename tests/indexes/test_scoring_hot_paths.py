"""scoring's per-event and per-request work is answered through indexes, whatever history the
database holds: inputs, scores and the directory of earlier cycles and other regions are seeded
into every collection the paths read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from services.scoring.service import ScoringService
from services.scoring.store import CYCLES, EMPLOYEES, FINALS, INPUTS, SCORES, ScoringStore
from shared.events.feedback import CycleOpened
from shared.outbox import OutboxRelay
from shared.plugins.manager import build_registry
from shared.settings import Settings
from tests.indexes.recorder import Recorded, RecordingDatabase, nowhere, seed, unindexed
from tests.scoring.test_service_flow import BOSS, CYCLE, NURSE, PEERS, UNIT, employee, envelope, inputs

HISTORY = 50_000


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


async def test_inputs_and_score_reads_go_through_indexes(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    db = mongo[isolated_settings.database("scoring")]
    recorded = Recorded()
    recording = RecordingDatabase(db, recorded)
    store = ScoringStore(recording)  # type: ignore[arg-type]
    await store.ensure_indexes()
    await _seed(db)

    service = ScoringService(store, OutboxRelay(recording, nowhere, isolated_settings), build_registry())  # type: ignore[arg-type]
    people = [employee(BOSS, None), employee(NURSE, BOSS, service_role=True)] + [
        employee(p, BOSS) for p in PEERS
    ]
    await service.record_employees(people)
    await service.record_cycle_opened(
        CycleOpened.build(
            **envelope(CYCLE),
            cycle_id=CYCLE,
            kind="annual",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            window_opens=datetime.now(UTC) - timedelta(days=1),
            window_closes=datetime.now(UTC) + timedelta(days=1),
        )
    )

    recorded.clear()
    for event in inputs():  # one consumed event at a time, as a batch of one
        await service.record_inputs([event])
    # What the read API does per request.
    await store.score(CYCLE, NURSE)
    await store.employee(NURSE)
    await store.cycle_scores(CYCLE, UNIT)
    await store.employee_scores(NURSE)

    assert await db[SCORES].count_documents({"cycle_id": CYCLE}) == 1, "the inputs were scored"
    assert len(recorded.queries) >= 6, recorded.queries
    assert await unindexed(db, recorded) == [], recorded.queries
