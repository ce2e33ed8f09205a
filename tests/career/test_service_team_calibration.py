"""Team awards follow the final scores of a cycle; a calibration replaces the predicate in force."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.career.app import create_app
from shared.events.scoring import CalibrationApplied, Predicate
from shared.settings import Settings
from tests.career.scenario import envelope, finalized, publish, score

CYCLE = "siulak-2024"
TEAM_A = ("199001012015031001", "199001022015031002", "199001032015031003")
TEAM_B = ("199101012016031004", "199101022016031005", "199101032016031006")


async def test_team_award_moves_to_the_better_team_and_calibration_changes_rewards(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    settings = isolated_settings
    recs = mongo[settings.database("career")]["recommendations"]

    def scored(nip: str, team: str, mean: float, revision: int = 1) -> Any:
        return finalized(
            "siulak", score(CYCLE, nip, Predicate.BAIK, team_id=team, mean=mean, revision=revision)
        )

    async def awards() -> dict[str, str]:
        return {d["team_id"]: d["status"] async for d in recs.find({"kind": "team_award"})}

    async with AsyncTestClient(create_app(settings)):
        await publish(settings, [*(scored(n, "tim-a", 85.0) for n in TEAM_A)])
        await publish(settings, [*(scored(n, "tim-b", 80.0) for n in TEAM_B)])

        async def b_scored() -> dict[str, str] | None:
            done = await recs.count_documents({"nip": {"$in": list(TEAM_B)}, "kind": "allowance"})
            return await awards() if done == len(TEAM_B) else None

        assert await eventually(b_scored) == {"tim-a": "proposed"}

        # Team B's scores are recomputed higher: Tim Terbaik moves to it, A's proposal is superseded.
        await publish(settings, [*(scored(n, "tim-b", 95.0, revision=2) for n in TEAM_B)])

        async def moved() -> dict[str, str] | None:
            now = await awards()
            return now if now.get("tim-b") == "proposed" else None

        assert await eventually(moved) == {"tim-a": "superseded", "tim-b": "proposed"}
        [award] = [d async for d in recs.find({"kind": "team_award", "status": "proposed"})]
        assert '"rank":1' in award["data"] and award["nip"] is None and award["region"] == "siulak"

        calibration: CalibrationApplied = CalibrationApplied.build(
            cycle_id=CYCLE,
            nip=TEAM_A[0],
            unit_id="dinkes",
            previous_predicate=Predicate.BAIK,
            predicate=Predicate.SANGAT_BAIK,
            decision="overridden",
            decided_by="pejabat-penilai",
            reason="Capaian melampaui target pelayanan.",
            **envelope("siulak", TEAM_A[0]),
        )
        await publish(settings, [calibration])

        async def rewards() -> dict[str, str] | None:
            docs = [d async for d in recs.find({"nip": TEAM_A[0], "kind": "reward"})]
            statuses = sorted(f"{d['status']}:{d['data'].count('bonus_kinerja')}" for d in docs)
            settled = statuses == ["proposed:0", "proposed:1", "superseded:0"]
            return {d["_id"]: d["status"] for d in docs} if settled else None

        by_id = await eventually(rewards)
        assert by_id is not None, "the calibration did not reach the rewards"
        # Baik earned a certificate (now superseded); Sangat Baik earns a certificate and a bonus in Siulak.
        assert sorted(by_id.values()) == ["proposed", "proposed", "superseded"]
        bonus = await recs.find_one({"nip": TEAM_A[0], "status": "proposed", "data": {"$regex": "bonus"}})
        assert bonus is not None and str(calibration.event_id) in bonus["data"]

        # The cycle is reopened and finalised again from changed inputs: scoring clears the
        # calibration (docs/scoring.md), and so does career: the computed Baik is in force again.
        await publish(settings, [scored(TEAM_A[0], "tim-a", 84.0, revision=2)])

        async def bonus_withdrawn() -> bool:
            proposed = [
                d async for d in recs.find({"nip": TEAM_A[0], "kind": "reward", "status": "proposed"})
            ]
            return bool(proposed) and all("bonus_kinerja" not in d["data"] for d in proposed)

        assert await eventually(bonus_withdrawn), "the cleared calibration still decides the reward"
        doc = await mongo[settings.database("career")]["scores"].find_one({"nip": TEAM_A[0]})
        assert doc is not None and doc["calibration"] is None
