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

from services.career.access import Audience, RecommendationFilter
from services.career.app import plugin_manager
from services.career.handlers import subscriptions
from services.career.service import CareerService
from services.career.store import CareerStore
from shared.events.career import Recommendation, RecommendationKind
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


def _data(rec_id: str, cycle: str, nip: str | None, team: str | None, unit: str) -> str:
    """A recommendation as the store keeps it (``data``)."""
    return Recommendation(
        recommendation_id=rec_id,
        cycle_id=cycle,
        nip=nip,
        team_id=team,
        unit_id=unit,
        kind=RecommendationKind.TEAM_AWARD if team else RecommendationKind.TRAINING,
        title="Pelatihan",
        reason="Seeded history.",
        score_event_ids=[],
        final=True,
    ).model_dump_json()


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
                "data": _data(f"rec-{i}", cycle, nip, None, unit),
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
    store = CareerStore(RecordingDatabase(db, recorded))  # type: ignore[arg-type]
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


async def test_recommendation_lists_page_by_id_through_indexes(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    """The lists HR, a supervisor and an employee page through: each read walks an index in id
    order from the key of the page before, whatever history the region holds."""
    db = mongo[isolated_settings.database("career")]
    recorded = Recorded()
    store = CareerStore(RecordingDatabase(db, recorded))  # type: ignore[arg-type]
    await store.ensure_indexes()
    await _seed(db)
    service = CareerService(store, plugin_manager())
    _, boss, _ = _history(7)
    staff = [_history(i)[1] for i in (8, 9)]
    await db["recommendations"].insert_many(
        [
            {"_id": f"rec-team-{t}", "region": REGION, "cycle_id": CYCLE, "nip": None, "team_id": t}
            | {"unit_id": "unit1", "kind": "team_award", "status": "proposed", "revision": 1}
            | {"data": _data(f"rec-team-{t}", CYCLE, None, t, "unit1")}
            for t in ("tim-a", "tim-b")
        ]
        # Another region names a team the same, with ids that sort first.
        + [
            {
                "_id": f"rec-a-{k}",
                "region": "plaju",
                "cycle_id": "plaju-2026",
                "nip": None,
                "team_id": "tim-a",
            }
            | {"unit_id": "unit1", "kind": "team_award", "status": "proposed", "revision": 1}
            | {"data": _data(f"rec-a-{k}", "plaju-2026", None, "tim-a", "unit1")}
            for k in range(5)
        ]
    )
    hr = Audience(region=REGION, whole_region=True)
    supervisor = Audience(
        region=REGION, whole_region=False, nips=frozenset([boss, *staff]), teams=frozenset(["tim-a"])
    )
    recorded.clear()

    pages: list[list[str]] = []
    after = None
    for _ in range(3):
        page = await service.visible_recommendations(hr, RecommendationFilter(status="proposed"), after, 100)
        pages.append([s.recommendation.recommendation_id for s in page])
        after = pages[-1][-1]
    everyone = sorted(
        [d["_id"] async for d in db["recommendations"].find({"status": "proposed"}, {"_id": 1})]
    )
    assert [i for page in pages for i in page] == everyone[:300]
    for wanted in (
        RecommendationFilter(kind="training"),
        RecommendationFilter(cycle_id=CYCLE),
        RecommendationFilter(nip=boss, status="proposed"),
        RecommendationFilter(team_id="tim-b"),
    ):
        assert await service.visible_recommendations(hr, wanted, None, 50), wanted
    ours = await service.visible_recommendations(hr, RecommendationFilter(team_id="tim-a"), None, 1)
    assert [s.recommendation.recommendation_id for s in ours] == ["rec-team-tim-a"]
    mine = await service.visible_recommendations(supervisor, RecommendationFilter(), None, 50)
    assert {s.recommendation.nip or s.recommendation.team_id for s in mine} == {boss, *staff, "tim-a"}
    assert (
        await service.visible_recommendations(
            supervisor, RecommendationFilter(), mine[0].recommendation.recommendation_id, 50
        )
        == mine[1:]
    )

    assert len(recorded.queries) >= 8, recorded.queries
    assert await unindexed(db, recorded) == [], recorded.queries
