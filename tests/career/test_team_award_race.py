"""Two career instances rank one cycle's team awards at once; the ranking of all scores stands.

The interleaving is arranged on the real database: this instance reads the final scores, then
the other instance stores the last team's scores and ranks them all before this one writes.
"""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from services.career.app import plugin_manager
from services.career.service import CareerService
from services.career.store import CareerStore
from shared.events.scoring import Predicate
from shared.settings import Settings
from tests.career.scenario import finalized, score

CYCLE = "siulak-2024"
TEAM_A = ("199001012015031001", "199001022015031002", "199001032015031003")
TEAM_B = ("199101012016031004", "199101022016031005", "199101032016031006")


def _service(db: Any) -> CareerService:
    return CareerService(CareerStore(db), plugin_manager())


async def test_a_ranking_of_fewer_scores_written_last_is_ranked_again(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    db = mongo[isolated_settings.database("career")]
    mine, other = _service(db), _service(db)
    for nip in TEAM_A:
        await mine.record_score(
            finalized("siulak", score(CYCLE, nip, Predicate.BAIK, team_id="tim-a", mean=80.0))
        )

    real_read = mine.store.final_team_scores
    reads = 0

    async def read_then_other_instance_goes(region: str, cycle_id: str) -> list[dict[str, Any]]:
        nonlocal reads
        reads += 1
        docs = await real_read(region, cycle_id)
        if reads == 1:
            # Team B's scores land on the other instance, which ranks everything and writes.
            for nip in TEAM_B:
                event = finalized("siulak", score(CYCLE, nip, Predicate.BAIK, team_id="tim-b", mean=95.0))
                await other.record_score(event)
            await other.refresh_team_awards("siulak", CYCLE)
        return docs

    mine.store.final_team_scores = read_then_other_instance_goes  # type: ignore[method-assign]
    await mine.refresh_team_awards("siulak", CYCLE)

    awards = {d["team_id"]: d["status"] async for d in db["recommendations"].find({"kind": "team_award"})}
    assert awards == {"tim-a": "superseded", "tim-b": "proposed"}
    assert reads >= 2, "the ranking was not checked against the scores stored meanwhile"
