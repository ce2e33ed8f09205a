"""``GET /cycles/{cycle_id}/scores``: a cycle's current scores a page at a time, keyed by NIP."""

from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.scoring.app import create_app
from services.scoring.store import FINALS, SCORES, ScoringStore
from shared.auth import Role, issue_token
from shared.settings import Settings

CYCLE = "c-2026"
NIPS = [f"19850312201001100{i}" for i in range(5)]


def doc(
    nip: str, region: str, *, cycle: str = CYCLE, status: str = "provisional", revision: int = 1
) -> dict[str, Any]:
    score = {"cycle_id": cycle, "nip": nip, "rubric_id": region, "results_score": 50.0}
    return {
        "_id": f"{cycle}|{nip}",
        "cycle_id": cycle,
        "nip": nip,
        "region": region,
        "unit_id": "dinkes",
        "status": status,
        "revision": revision,
        "predicate": "baik",
        "score": json.dumps(score),
        "_outbox": {"e1": {"topic": "t"}},
    }


async def seed(mongo: AsyncIOMotorClient[dict[str, Any]], settings: Settings) -> None:
    db = mongo[settings.database("scoring")]
    await db[SCORES].insert_many(
        [
            doc(NIPS[0], "marelan", revision=3),
            doc(NIPS[3], "plaju"),
            doc(NIPS[4], "marelan"),
            doc(NIPS[1], "marelan"),
            doc(NIPS[2], "plaju", revision=2),
            doc(NIPS[1], "marelan", cycle="c-2025"),
        ]
    )
    # A final below a reopened cycle's provisional revision, and one above its provisional.
    await db[FINALS].insert_many(
        [
            doc(NIPS[0], "marelan", status="final", revision=2),
            doc(NIPS[2], "plaju", status="final", revision=4),
        ]
    )


async def test_pages_hold_the_current_scores_in_nip_order(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    await seed(mongo, isolated_settings)
    store = ScoringStore(mongo[isolated_settings.database("scoring")])
    await store.ensure_indexes()

    first = await store.cycle_scores_after(CYCLE, None, 2)
    second = await store.cycle_scores_after(CYCLE, first[-1]["nip"], 2)
    last = await store.cycle_scores_after(CYCLE, second[-1]["nip"], 2)

    pages = [[(d["nip"], d["status"], d["revision"]) for d in page] for page in (first, second, last)]
    assert pages == [
        [(NIPS[0], "provisional", 3), (NIPS[1], "provisional", 1)],
        [(NIPS[2], "final", 4), (NIPS[3], "provisional", 1)],
        [(NIPS[4], "provisional", 1)],
    ]
    assert all("_outbox" not in d for d in first + second + last)
    plaju = await store.cycle_scores_after(CYCLE, None, 10, "plaju")
    assert [d["nip"] for d in plaju] == [NIPS[2], NIPS[3]]
    # A page of one region is full while the cycle holds more of it, whatever lies between.
    assert [d["nip"] for d in await store.cycle_scores_after(CYCLE, None, 1, "plaju")] == [NIPS[2]]
    assert [d["nip"] for d in await store.cycle_scores_after(CYCLE, NIPS[2], 1, "plaju")] == [NIPS[3]]


def auth(settings: Settings, role: Role, region: str | None) -> dict[str, str]:
    token = issue_token(settings, subject=role.value, role=role, region=region, nip=None)
    return {"Authorization": f"Bearer {token}"}


async def test_the_api_pages_by_nip_and_keeps_each_caller_to_their_region(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    await seed(mongo, isolated_settings)
    url = f"/cycles/{CYCLE}/scores"
    async with AsyncTestClient(create_app(isolated_settings)) as client:
        system = auth(isolated_settings, Role.SYSTEM, None)
        first = await client.get(url, params={"limit": 3}, headers=system)
        assert first.status_code == 200, first.text
        assert [i["nip"] for i in first.json()["items"]] == NIPS[:3]
        assert first.json()["next"] == NIPS[2]
        rest = await client.get(url, params={"limit": 3, "after": NIPS[2]}, headers=system)
        assert [i["nip"] for i in rest.json()["items"]] == NIPS[3:]
        assert rest.json()["next"] is None
        assert first.json()["items"][2]["score"]["rubric_id"] == "plaju"

        plaju = await client.get(url, headers=auth(isolated_settings, Role.HR_ADMIN, "plaju"))
        own = [(i["nip"], i["region"]) for i in plaju.json()["items"]]
        assert own == [(NIPS[2], "plaju"), (NIPS[3], "plaju")]

        employee = await client.get(url, headers=auth(isolated_settings, Role.EMPLOYEE, "plaju"))
        assert employee.status_code == 403
        bad = await client.get(url, params={"after": "x"}, headers=system)
        assert bad.status_code == 400
