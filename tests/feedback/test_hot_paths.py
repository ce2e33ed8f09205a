"""The feedback API's per-request reads go through indexes, whatever history the database holds.

Years of other cycles' plans, reports, submissions and notes, other regions' organisation and
employees are seeded into every collection a request reads; then a cycle's requests are made
through the API, and every filter the store sends must be one the database answers through an
index (explain; tests/indexes/recorder.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.feedback.store import (
    ACHIEVEMENTS,
    AUDIT,
    CYCLES,
    EMPLOYEES,
    NOTES,
    PLANS,
    PROGRESS,
    SUBMISSIONS,
    TEAMS,
    UNITS,
)
from shared.auth import Role
from shared.mongo import page_key
from shared.settings import Settings
from tests.feedback.org import SUP, A, B, C, D, plan_body
from tests.indexes.recorder import Recorded, RecordingDatabase, seed, unindexed

HISTORY = 50_000
BASE = "/regions/marelan/cycles/marelan-2026"
_START = datetime(2024, 1, 1, tzinfo=UTC)
#: The audit history's middle entry, and the key a client would page on from it.
_OLD_AT = _START + timedelta(minutes=HISTORY // 2)
OLD_KEY = page_key(_OLD_AT, f"{HISTORY // 2:032x}")
FORM = {"pencapaian_target": 4, "kontribusi_tim": 3, "perilaku_profesional": 5}


async def _seed_history(db: Any) -> None:
    at = _START
    docs: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (EMPLOYEES, PLANS, PROGRESS, ACHIEVEMENTS, SUBMISSIONS, NOTES, UNITS, TEAMS, AUDIT)
    }
    for i in range(HISTORY):
        cycle, nip = f"marelan-{2000 + i % 20}", f"{197001012000000000 + i}"
        docs[EMPLOYEES].append(
            {"_id": nip, "region": "plaju", "unit_id": f"u{i % 40}", "supervisor_nip": None}
        )
        docs[PLANS].append({"_id": f"{cycle}:{nip}", "cycle_id": cycle, "nip": nip, "region": "marelan"})
        docs[PROGRESS].append({"_id": f"p-{i}", "cycle_id": cycle, "nip": nip, "reported_at": at})
        docs[ACHIEVEMENTS].append({"_id": f"{cycle}:{nip}", "cycle_id": cycle, "nip": nip})
        docs[SUBMISSIONS].append({"_id": f"s-{i}", "cycle_id": cycle, "ratee_nip": nip, "source": "peer"})
        docs[NOTES].append({"_id": f"n-{i}", "nip": nip, "written_at": at})
        docs[UNITS].append({"_id": f"plaju:u{i}", "region": "plaju", "unit_id": f"u{i}"})
        docs[TEAMS].append({"_id": f"plaju:t{i}", "region": "plaju", "team_id": f"t{i}"})
        docs[AUDIT].append(
            {
                "_id": f"a-{i}",
                "region": "marelan",
                "at": at + timedelta(minutes=i),
                "page_key": page_key(at + timedelta(minutes=i), f"{i:032x}"),
                "actor": "hr",
                "role": "hr_admin",
                "action": "plan.submitted",
                "target": nip,
                "detail": {},
            }
        )
    await seed(db, docs)
    await db[CYCLES].insert_many(
        [
            {"_id": f"plaju:plaju-{2000 + y}", "region": "plaju", "cycle_id": f"plaju-{2000 + y}"}
            for y in range(20)
        ]
    )


async def test_a_cycles_requests_read_only_through_indexes(
    app: Litestar,
    client: AsyncTestClient[Litestar],
    auth: Any,
    seed: Any,
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
) -> None:
    provider = app.dependencies["service"]
    assert isinstance(provider, Provide)
    store = provider.dependency().store
    db = mongo[isolated_settings.database("feedback")]
    await _seed_history(db)
    recorded = Recorded()
    store.db = RecordingDatabase(store.db, recorded)

    await seed()
    a, sup, b, hr = (
        auth(Role.EMPLOYEE, nip=A),
        auth(Role.SUPERVISOR, nip=SUP),
        auth(Role.EMPLOYEE, nip=B),
        auth(Role.HR_ADMIN),
    )
    calls = [
        ("PUT", f"{BASE}/plans/{A}", plan_body(), a),
        ("POST", f"{BASE}/plans/{A}/approve", None, sup),
        ("GET", f"{BASE}/plans/{A}", None, a),
        ("POST", f"{BASE}/progress/{A}", {"realisations": [{"indicator_id": "iki-1", "value": 40}]}, a),
        ("GET", f"{BASE}/progress/{A}", None, sup),
        ("PUT", f"{BASE}/achievements/{A}", {"realisations": [{"indicator_id": "iki-1", "value": 90}]}, a),
        ("PUT", f"{BASE}/feedback/{A}", {"source": "self", "ratings": FORM}, a),
        ("PUT", f"{BASE}/feedback/{A}", {"source": "peer", "ratings": FORM}, b),
        ("PUT", f"{BASE}/feedback/{A}", {"source": "supervisor", "ratings": {**FORM, "pelayanan": 4}}, sup),
        ("GET", f"{BASE}/feedback/{A}", None, a),
        ("POST", f"/regions/marelan/employees/{A}/notes", {"text": "Tepat waktu"}, sup),
        ("GET", f"/regions/marelan/employees/{A}/notes", None, a),
        ("GET", "/regions/marelan/cycles", None, hr),
        ("GET", "/regions/marelan/units", None, hr),
        ("GET", "/regions/marelan/teams", None, hr),
        ("GET", f"/regions/marelan/employees/{A}", None, hr),
        # Newest-first and paged lists: the index walked in order, up to the page.
        ("GET", "/regions/marelan/audit?limit=20", None, hr),
        ("GET", f"/regions/marelan/audit?limit=20&before={OLD_KEY}&since=2020-01-01T00:00:00Z", None, hr),
        ("GET", "/regions/marelan/employees?limit=3", None, hr),
        ("GET", f"/regions/marelan/employees?limit=3&after={A}", None, hr),
        ("GET", "/regions/marelan/employees?limit=2", None, sup),
        ("GET", f"/regions/marelan/employees?limit=3&after={A}", None, sup),
        ("GET", "/regions/marelan/employees", None, a),
        # The web's pages: a team's progress (a supervisor's reports; HR: a unit's), a to-do list.
        ("GET", f"{BASE}/team", None, sup),
        ("GET", f"{BASE}/team?unit=dinkes&limit=3", None, hr),
        ("GET", f"{BASE}/team?supervisor={SUP}&after={A}", None, hr),
        ("GET", f"{BASE}/to-do", None, b),
        ("GET", f"{BASE}/to-do", None, sup),
    ]
    answers = {}
    for method, url, body, headers in calls:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code < 300, (method, url, response.text)
        answers[(url, headers["Authorization"])] = response.json()

    audit = answers[("/regions/marelan/audit?limit=20", hr["Authorization"])]
    assert len(audit) == 20 and audit == sorted(audit, key=lambda e: e["at"], reverse=True)
    older = answers[
        (f"/regions/marelan/audit?limit=20&before={OLD_KEY}&since=2020-01-01T00:00:00Z", hr["Authorization"])
    ]
    assert [e["page_key"] for e in older] == [
        page_key(_OLD_AT - timedelta(minutes=i), f"{HISTORY // 2 - i:032x}") for i in range(1, 21)
    ]
    # Pages by key: the next page starts after the last NIP of the one before.
    first = [e["nip"] for e in answers[("/regions/marelan/employees?limit=3", hr["Authorization"])]]
    second = [
        e["nip"] for e in answers[(f"/regions/marelan/employees?limit=3&after={A}", hr["Authorization"])]
    ]
    assert A in first and second and min(second) > A
    # A supervisor's list: themselves, then their reports by NIP (A < B < C < D), paged as one list.
    team = answers[("/regions/marelan/employees?limit=2", sup["Authorization"])]
    assert [e["nip"] for e in team] == [SUP, A]
    team = answers[(f"/regions/marelan/employees?limit=3&after={A}", sup["Authorization"])]
    assert [e["nip"] for e in team] == [B, C, D]
    assert [e["nip"] for e in answers[("/regions/marelan/employees", a["Authorization"])]] == [A]

    assert [m["nip"] for m in answers[(f"{BASE}/team", sup["Authorization"])]["members"]] == [A, B, C, D]
    assert answers[(f"{BASE}/team?unit=dinkes&limit=3", hr["Authorization"])]["next"] is not None
    todo = answers[(f"{BASE}/to-do", b["Authorization"])]["items"]
    assert ("peer", A, True) in {(i["source"], i["nip"], i["done"]) for i in todo}

    assert len(recorded.queries) >= 10, recorded.queries
    assert await unindexed(db, recorded) == [], recorded.queries


async def test_a_units_team_walks_the_unit_index_not_the_whole_region(
    app: Litestar,
    client: AsyncTestClient[Litestar],
    auth: Any,
    seed: Any,
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
) -> None:
    """HR's view of one unit's team (the web's curve and 9-box pages) reads that unit's employees
    through ``(region, unit_id, _id)``, not every employee of a large region."""
    await seed()
    db = mongo[isolated_settings.database("feedback")]
    await db[EMPLOYEES].insert_many(
        [
            {"_id": f"{197001012000000000 + i}", "region": "marelan", "unit_id": f"u{i % 40}"}
            for i in range(20_000)
        ]
    )
    provider = app.dependencies["service"]
    assert isinstance(provider, Provide)
    store = provider.dependency().store
    recorded = Recorded()
    store.db = RecordingDatabase(store.db, recorded)
    response = await client.get(f"{BASE}/team?unit=dinkes&limit=3&after={A}", headers=auth(Role.HR_ADMIN))
    assert [m["nip"] for m in response.json()["members"]] == [B, C, D]
    [query] = [q for q in recorded.queries if q.collection == EMPLOYEES and "unit_id" in q.filter]
    plan = await db.command(
        "explain", {"find": EMPLOYEES, "filter": query.filter, "sort": dict(query.sort or {}), "limit": 3}
    )
    detail = " ".join(plan["queryPlanner"]["Plan"])
    assert "unit_id" in detail and "TEMP B-TREE" not in detail, detail
    assert await unindexed(db, recorded) == [], recorded.queries
