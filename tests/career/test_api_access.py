"""Every endpoint for every role, on the real stack: who sees and decides what, as problem documents."""

from __future__ import annotations

import json
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
    output_topic,
    publish,
    score,
)

PROBLEM = "https://kinerja.example.id/problems/"
CYCLE = "siulak-2024"
EMPLOYEE = "199203152018012001"  # in team tim-a, reports to SUPERVISOR
TEAMMATES = ("199305202019022002", "199407252020032003")  # tim-a, report to SUPERVISOR too
SUPERVISOR = "197801012005011001"
OTHER = "199508302021012004"  # same region, reports to OTHER_SUPERVISOR, not scored
OTHER_SUPERVISOR = "197902022006021002"
ELSEWHERE = "198706062011011005"  # Plaju


async def seed(settings: Settings, db: Any, eventually: Callable[..., Awaitable[Any]]) -> dict[str, str]:
    """Directory and final scores through Kafka; returns recommendation ids by name."""
    people = [
        employee_upserted("siulak", EMPLOYEE, supervisor_nip=SUPERVISOR, team_id="tim-a"),
        *(employee_upserted("siulak", n, supervisor_nip=SUPERVISOR, team_id="tim-a") for n in TEAMMATES),
        employee_upserted("siulak", SUPERVISOR),
        employee_upserted("siulak", OTHER, supervisor_nip=OTHER_SUPERVISOR, team_id="tim-b"),
        employee_upserted("siulak", OTHER_SUPERVISOR),
        employee_upserted("plaju", ELSEWHERE),
        cycle_opened("plaju", "plaju-2024", 2024),
    ]
    await publish(settings, people)

    async def directory_in() -> bool:
        employees = await db["employees"].count_documents({})
        return employees == len(people) - 1 and await db["cycles"].find_one({"_id": "plaju-2024"}) is not None

    assert await eventually(directory_in)
    scores = [
        finalized("siulak", score(CYCLE, nip, Predicate.BAIK, team_id="tim-a", mean=80.0 + i))
        for i, nip in enumerate((EMPLOYEE, *TEAMMATES))
    ]
    await publish(settings, [*scores, finalized("plaju", score("plaju-2024", ELSEWHERE, Predicate.BAIK))])

    async def recommendations_in() -> dict[str, str] | None:
        docs = [d async for d in db["recommendations"].find({})]
        ids = {
            "allowance": [d["_id"] for d in docs if d["nip"] == EMPLOYEE and d["kind"] == "allowance"],
            "reward": [d["_id"] for d in docs if d["nip"] == EMPLOYEE and d["kind"] == "reward"],
            "team": [d["_id"] for d in docs if d["team_id"] == "tim-a" and d["status"] == "proposed"],
            "plaju": [d["_id"] for d in docs if d["nip"] == ELSEWHERE],
        }
        return {k: v[0] for k, v in ids.items()} if all(len(v) == 1 for v in ids.values()) else None

    found = await eventually(recommendations_in)
    assert found is not None, "seed recommendations did not arrive"
    return dict(found)


async def test_every_endpoint_for_every_role(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    settings = isolated_settings
    async with AsyncTestClient(create_app(settings)) as client:
        ids = await seed(settings, mongo[settings.database("career")], eventually)
        callers: dict[str, dict[str, str]] = {
            "no token": {},
            "employee": auth(settings, Role.EMPLOYEE, "siulak", EMPLOYEE),
            "other employee": auth(settings, Role.EMPLOYEE, "siulak", OTHER),
            "supervisor": auth(settings, Role.SUPERVISOR, "siulak", SUPERVISOR),
            "other supervisor": auth(settings, Role.SUPERVISOR, "siulak", OTHER_SUPERVISOR),
            "region_admin": auth(settings, Role.REGION_ADMIN, "siulak"),
            "system": auth(settings, Role.SYSTEM, None),
            "other region hr": auth(settings, Role.HR_ADMIN, "plaju"),
            "hr_admin": auth(settings, Role.HR_ADMIN, "siulak"),  # last: it changes state
        }

        async def call(endpoint: str, headers: dict[str, str]) -> Any:
            if endpoint == "list":
                params = {"region": "siulak", "nip": EMPLOYEE}
                return await client.get("/recommendations", params=params, headers=headers)
            if endpoint == "get":
                return await client.get(f"/recommendations/{ids['allowance']}", headers=headers)
            if endpoint == "decide":
                path = f"/recommendations/{ids['reward']}/decision"
                return await client.post(path, json={"status": "accepted"}, headers=headers)
            path = f"/employees/{EMPLOYEE}/potentials/{CYCLE}"
            return await client.put(path, json={"level": "tinggi"}, headers=headers)

        ok, role = (200, None), (403, "role")
        not_yours, other_region = (403, "not-yours"), (403, "other-region")
        expected: dict[str, tuple[tuple[int, str | None], ...]] = {
            #                    list          get           decide        potential
            "no token": ((401, "missing-token"),) * 4,
            "employee": (ok, ok, role, role),
            "other employee": (not_yours, not_yours, role, role),
            "supervisor": (ok, ok, role, role),
            "other supervisor": (not_yours, not_yours, role, role),
            "region_admin": (ok, ok, role, role),
            "system": (ok, ok, role, role),
            "other region hr": (other_region, other_region, other_region, other_region),
            "hr_admin": (ok, ok, ok, ok),
        }
        endpoints = ("list", "get", "decide", "potential")
        for caller, headers in callers.items():
            for endpoint, (status, slug) in zip(endpoints, expected[caller], strict=True):
                response = await call(endpoint, headers)
                assert response.status_code == status, (caller, endpoint, response.text)
                if slug is not None:
                    assert response.headers["content-type"].startswith("application/problem+json")
                    assert response.json()["type"] == PROBLEM + slug, (caller, endpoint, response.text)

        async def listed(caller: str, **params: str) -> set[str]:
            response = await client.get("/recommendations", params=params, headers=callers[caller])
            assert response.status_code == 200, response.text
            return {r["recommendation_id"] for r in response.json()}

        mine = await listed("employee")
        assert {ids["allowance"], ids["reward"], ids["team"]} <= mine, "own and own team's award"
        assert ids["plaju"] not in mine
        team = await listed("supervisor")
        assert {ids["allowance"], ids["team"]} <= team and ids["plaju"] not in team
        assert await listed("other employee") == set()
        assert await listed("other region hr") == {ids["plaju"]}
        assert {ids["allowance"], ids["plaju"]} <= await listed("system")


async def test_hr_decisions_and_potential(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    read_topic: Callable[..., Awaitable[list[Any]]],
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    settings = isolated_settings
    async with AsyncTestClient(create_app(settings)) as client:
        ids = await seed(settings, mongo[settings.database("career")], eventually)
        hr = auth(settings, Role.HR_ADMIN, "siulak")
        decision = f"/recommendations/{ids['allowance']}/decision"

        for body in ({"status": "rejected"}, {"status": "rejected", "reason": "   "}):
            response = await client.post(decision, json=body, headers=hr)
            assert response.status_code == 422, response.text
            assert response.json()["type"] == PROBLEM + "rejection-reason"
        malformed = await client.post(decision, json={"status": "maybe"}, headers=hr)
        assert malformed.status_code == 400 and malformed.json()["type"] == PROBLEM + "validation"

        reason = "Tunjangan sudah diatur oleh BKD."
        rejected = await client.post(decision, json={"status": "rejected", "reason": reason}, headers=hr)
        assert rejected.status_code == 200, rejected.text
        body = rejected.json()
        assert (body["status"], body["decision_reason"], body["decided_by"]) == (
            "rejected",
            reason,
            "hr_admin-siulak",
        )
        again = await client.post(decision, json={"status": "rejected", "reason": reason}, headers=hr)
        assert again.status_code == 200 and again.json()["revision"] == body["revision"], "a retry is a no-op"
        flip = await client.post(decision, json={"status": "accepted"}, headers=hr)
        assert flip.status_code == 409 and flip.json()["type"] == PROBLEM + "recommendation-not-proposed"
        shown = await client.get(f"/recommendations/{ids['allowance']}", headers=hr)
        assert shown.json()["status"] == "rejected"

        missing = await client.get("/recommendations/rec-nothing", headers=hr)
        assert missing.status_code == 404 and missing.json()["type"] == PROBLEM + "recommendation-not-found"
        unknown = await client.put(
            f"/employees/{'1' * 18}/potentials/{CYCLE}", json={"level": "tinggi"}, headers=hr
        )
        assert unknown.status_code == 404 and unknown.json()["type"] == PROBLEM + "employee-not-found"
        # Another region's cycle, and a cycle career never saw, take no potential.
        for cycle_id, status, slug in (
            ("plaju-2024", 403, "other-region"),
            ("nowhere-2024", 404, "cycle-not-found"),
        ):
            wrong = await client.put(
                f"/employees/{EMPLOYEE}/potentials/{cycle_id}", json={"level": "tinggi"}, headers=hr
            )
            assert (wrong.status_code, wrong.json()["type"]) == (status, PROBLEM + slug), cycle_id
        # Asking by NIP for another region's employee is refused, not answered with an empty list.
        elsewhere = await client.get("/recommendations", params={"nip": ELSEWHERE}, headers=hr)
        assert (elsewhere.status_code, elsewhere.json()["type"]) == (403, PROBLEM + "other-region")

        potential = await client.put(
            f"/employees/{EMPLOYEE}/potentials/{CYCLE}",
            json={"level": "tinggi", "method": "assessment_center", "assessment_id": "ac-7"},
            headers=hr,
        )
        assert potential.status_code == 200, potential.text
        [box] = [r for r in potential.json()["recommendations"] if r["kind"] == "talent_box"]
        # Baik (meets expectations) with high potential: box 8 (PermenPANRB 3/2020).
        assert box["details"]["box"] == 8 and box["details"]["talent_pool"] is True
        assert "ac-7" in box["reason"]

        # The relay publishes asynchronously: wait, while the app still runs, for both events.
        async def published() -> list[dict[str, Any]]:
            found = [json.loads(r.value) for r in await read_topic(output_topic(settings), 100, timeout=2.0)]
            kinds = {(e["type"], e.get("recommendation", {}).get("kind")) for e in found}
            wanted = {("career.recommendation_issued", "talent_box"), ("career.recommendation_decided", None)}
            return found if wanted <= kinds else []

        out: list[dict[str, Any]] = await eventually(published, timeout=30)
    decided = {e["event_id"]: e for e in out if e["type"] == "career.recommendation_decided"}
    assert [(e["recommendation_id"], e["status"], e["reason"]) for e in decided.values()] == [
        (ids["allowance"], "rejected", reason)
    ]
    assert any(
        e["type"] == "career.recommendation_issued" and e["recommendation"]["kind"] == "talent_box"
        for e in out
    )
