"""career's per-event work is answered through indexes, whatever history the database holds.

Issue 16, item 6: a calibration published after a close's final scores reached career's
allowance minutes later, because every score event made career read whole collections (find by
``nip``, by cycle and NIP, by region and cycle), and the local FerretDB decodes every document of
a collection it scans. With history seeded into each collection the handler reads, every query
the handler sends is one the database answers through an index.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from services.career.app import plugin_manager
from services.career.handlers import subscriptions
from services.career.service import CareerService
from services.career.store import CareerStore
from shared.events.scoring import CalibrationApplied, Predicate
from shared.settings import Settings
from tests.career.scenario import envelope, finalized, score
from tests.indexes.recorder import Recorded, RecordingDatabase, seed, unindexed

HISTORY = 50_000
"""Documents of earlier cycles seeded into each collection career reads per event."""
REGION, CYCLE = "siulak", "siulak-2026"
TEAM = ("199001012015031001", "199001022015031002", "199001032015031003")


def _history(i: int) -> tuple[str, str, str]:
    return f"siulak-{2000 + i % 20}", f"{198001012005000000 + i}", f"unit{i % 40}"


async def _seed(db: Any) -> None:
    now = datetime.now(UTC)
    batches: dict[str, list[dict[str, Any]]] = {
        "scores": [],
        "recommendations": [],
        "potentials": [],
        "employees": [],
    }
    for i in range(HISTORY):
        cycle, nip, unit = _history(i)
        batches["scores"].append(
            {"_id": f"{cycle}|{nip}", "cycle_id": cycle, "nip": nip, "region": REGION, "first_seen_at": now}
        )
        batches["recommendations"].append(
            {
                "_id": f"rec-{i}",
                "region": REGION,
                "cycle_id": cycle,
                "nip": nip,
                "team_id": None,
                "unit_id": unit,
                "kind": "training",
                "status": "proposed",
                "revision": 1,
            }
        )
        batches["potentials"].append(
            {"_id": f"{cycle}|{nip}", "cycle_id": cycle, "nip": nip, "region": REGION}
        )
        batches["employees"].append({"_id": nip, "region": REGION, "supervisor_nip": None, "unit_id": unit})
    await seed(db, batches)
    await db["cycles"].insert_many(
        [
            {"_id": f"siulak-{2000 + y}", "region": REGION, "period_end": f"{2000 + y}-12-31"}
            for y in range(20)
        ]
    )


async def test_a_batch_of_final_scores_and_a_calibration_reads_only_through_indexes(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    db = mongo[isolated_settings.database("career")]
    recorded = Recorded()
    store = CareerStore(RecordingDatabase(db, recorded), lambda *_: None)  # type: ignore[arg-type]
    await store.ensure_indexes()
    await _seed(db)
    [on_scores] = [
        s.handler for s in subscriptions(CareerService(store, plugin_manager())) if "scores" in s.topic
    ]
    finals = [finalized(REGION, score(CYCLE, nip, Predicate.BAIK, team_id="tim-a")) for nip in TEAM]
    calibration: CalibrationApplied = CalibrationApplied.build(
        cycle_id=CYCLE,
        nip=TEAM[0],
        unit_id="dinkes",
        previous_predicate=Predicate.BAIK,
        predicate=Predicate.SANGAT_BAIK,
        decision="overridden",
        decided_by="pejabat-penilai",
        reason="Capaian melampaui target pelayanan.",
        **envelope(REGION, TEAM[0]),
    )

    recorded.clear()
    await on_scores(finals)
    await on_scores([calibration])

    assert await db["recommendations"].count_documents({"cycle_id": CYCLE}) > 0, "the handler did its work"
    assert len(recorded.queries) >= 5, recorded.queries
    assert await unindexed(db, recorded) == [], recorded.queries
