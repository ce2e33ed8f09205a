"""Scores of several cycles through Kafka into recommendations on Kafka and the API (real stack)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.career.app import create_app
from shared.auth import Role
from shared.events.scoring import Predicate
from shared.settings import Settings
from tests.career.scenario import (
    auth,
    cycle_opened,
    employee_upserted,
    finalized,
    issued,
    output_topic,
    publish,
    score,
)

STAR = "198503122010011002"  # Asemrowo: national policy
LAGGARD = "199001012015032003"  # Siulak: escalating sanction ladder
SB, K = Predicate.SANGAT_BAIK, Predicate.KURANG


async def test_consecutive_cycles_lead_to_promotion_readiness_and_an_escalating_sanction_ladder(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    read_topic: Callable[..., Awaitable[list[Any]]],
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    settings = isolated_settings
    cycles = [
        *(cycle_opened("asemrowo", f"asemrowo-{y}", y) for y in (2023, 2024)),
        *(cycle_opened("siulak", f"siulak-{y}", y) for y in (2023, 2024, 2025)),
    ]
    star_scores = [finalized("asemrowo", score(f"asemrowo-{y}", STAR, SB)) for y in (2023, 2024)]
    laggard_scores = [finalized("siulak", score(f"siulak-{y}", LAGGARD, K)) for y in (2023, 2024, 2025)]
    app = create_app(settings)
    # The test client runs the app on its own event loop: read the database with our own client.
    db = mongo[settings.database("career")]
    async with AsyncTestClient(app) as client:
        await publish(settings, [*cycles, employee_upserted("siulak", LAGGARD)])

        async def periods_known() -> bool:
            return await db["cycles"].count_documents({}) == len(cycles)

        # Periods first, so that the history is ordered by period_end and not by arrival.
        assert await eventually(periods_known)
        await publish(settings, [*star_scores, *laggard_scores])

        async def all_in() -> list[dict[str, Any]] | None:
            docs = [d async for d in db["recommendations"].find({})]
            return docs if len(docs) == 2 * 2 + 1 + 3 * 2 else None

        docs = await eventually(all_in)
        assert docs is not None, "recommendations did not arrive"

        hr = auth(settings, Role.HR_ADMIN, "asemrowo")
        response = await client.get(
            "/recommendations", params={"nip": STAR, "kind": "promotion_readiness"}, headers=hr
        )
        assert response.status_code == 200
        [promotion] = response.json()
        assert promotion["cycle_id"] == "asemrowo-2024"
        assert promotion["status"] == "proposed" and promotion["final"] is True
        assert promotion["region"] == "asemrowo"
        # The reason points at both cycles' score events.
        assert set(promotion["score_event_ids"]) == {str(e.event_id) for e in star_scores}
        assert all(str(e.event_id) in promotion["reason"] for e in star_scores)

        siulak_hr = auth(settings, Role.HR_ADMIN, "siulak")
        response = await client.get(
            "/recommendations", params={"nip": LAGGARD, "kind": "sanction"}, headers=siulak_hr
        )
        ladder = sorted(response.json(), key=lambda r: r["cycle_id"])
        assert [(r["cycle_id"], r["details"]["code"], r["details"]["step"]) for r in ladder] == [
            ("siulak-2023", "pembinaan", 1),
            ("siulak-2024", "teguran_tertulis_rpk", 2),
            ("siulak-2025", "pemeriksaan_disiplin", 3),
        ]
        assert ladder[2]["title"] == "Pemeriksaan disiplin"
        assert set(ladder[2]["score_event_ids"]) == {str(e.event_id) for e in laggard_scores}

    published = issued(await read_topic(output_topic(settings), len(docs)))
    by_kind = {
        (e["recommendation"]["nip"], e["recommendation"]["kind"], e["recommendation"]["cycle_id"])
        for e in published
    }
    assert (STAR, "promotion_readiness", "asemrowo-2024") in by_kind
    assert (STAR, "promotion_readiness", "asemrowo-2023") not in by_kind
    assert {(LAGGARD, "sanction", f"siulak-{y}") for y in (2023, 2024, 2025)} <= by_kind
    assert len(published) == len(docs), "one RecommendationIssued per recommendation"
    assert all(e["key"] == e["recommendation"]["nip"] for e in published)
