"""Cycles: open, close with the units' predicates, reopen for corrections with an audit entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from shared.auth import Role
from shared.events.feedback import CYCLES_TOPIC
from shared.settings import Settings
from tests.feedback.org import PROBLEM, cycle_body, read_events

Client = AsyncTestClient[Litestar]


async def test_cycle_opens_closes_and_reopens_with_events_and_audit(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings, read_topic: Any
) -> None:
    await seed(cycle=False)
    admin, hr = auth(Role.REGION_ADMIN), auth(Role.HR_ADMIN)
    opened = await client.post("/regions/marelan/cycles", json=cycle_body("marelan-q1"), headers=admin)
    assert opened.status_code == 201 and opened.json()["status"] == "open"
    again = await client.post("/regions/marelan/cycles", json=cycle_body("marelan-q1"), headers=admin)
    assert again.status_code == 409 and again.json()["type"] == PROBLEM + "cycle-exists"

    closed = await client.post(
        "/regions/marelan/cycles/marelan-q1/close", json={"unit_predicates": {"dinkes": "Baik"}}, headers=hr
    )
    assert closed.status_code == 201 and closed.json()["status"] == "closed"
    twice = await client.post("/regions/marelan/cycles/marelan-q1/close", json={}, headers=hr)
    assert twice.status_code == 409 and twice.json()["type"] == PROBLEM + "cycle-closed"

    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    reopened = await client.post(
        "/regions/marelan/cycles/marelan-q1/reopen",
        json={"reason": "koreksi nilai unit dinkes", "window_closes": later},
        headers=hr,
    )
    assert reopened.status_code == 201 and reopened.json()["reopened"] == 1
    open_again = await client.post(
        "/regions/marelan/cycles/marelan-q1/reopen",
        json={"reason": "lagi", "window_closes": later},
        headers=hr,
    )
    assert open_again.status_code == 409 and open_again.json()["type"] == PROBLEM + "cycle-open"

    events = await read_events(read_topic, isolated_settings.topic(CYCLES_TOPIC), 3)
    assert [e["type"] for e in events] == [
        "feedback.cycle_opened",
        "feedback.cycle_closed",
        "feedback.cycle_opened",
    ]
    assert events[1]["unit_predicates"] == {"dinkes": "Baik"}
    assert events[2]["reopened"] is True and events[2]["reason"] == "koreksi nilai unit dinkes"
    assert all(e["key"] == "marelan-q1" for e in events)

    audit = (await client.get("/regions/marelan/audit", headers=hr)).json()
    entry = next(a for a in audit if a["action"] == "cycle.reopened")
    assert entry["target"] == "marelan-q1" and entry["detail"]["reason"] == "koreksi nilai unit dinkes"
    assert entry["actor"].startswith("hr_admin") and entry["role"] == "hr_admin"


async def test_bad_cycles_and_predicates_are_refused(client: Client, auth: Any, seed: Any) -> None:
    await seed(cycle=False)
    hr = auth(Role.HR_ADMIN)
    backwards = cycle_body("c-bad", lasts=timedelta(days=-1))
    response = await client.post("/regions/marelan/cycles", json=backwards, headers=hr)
    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "invalid-window"
    await client.post("/regions/marelan/cycles", json=cycle_body("c-ok"), headers=hr)
    response = await client.post(
        "/regions/marelan/cycles/c-ok/close", json={"unit_predicates": {"dinkes": "Luar Biasa"}}, headers=hr
    )
    assert response.status_code == 400 and response.json()["type"] == PROBLEM + "validation"
    response = await client.post(
        "/regions/marelan/cycles/c-ok/close", json={"unit_predicates": {"nowhere": "Baik"}}, headers=hr
    )
    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "unknown-unit"
    response = await client.post("/regions/marelan/cycles/nope/close", json={}, headers=hr)
    assert response.status_code == 404 and response.json()["type"] == PROBLEM + "cycle-not-found"
    await client.post("/regions/marelan/cycles/c-ok/close", json={}, headers=hr)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = await client.post(
        "/regions/marelan/cycles/c-ok/reopen", json={"reason": "koreksi", "window_closes": past}, headers=hr
    )
    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "invalid-window"


async def test_a_close_without_unit_predicates_warns_and_a_region_may_require_them(
    client: Client, auth: Any, isolated_settings: Settings
) -> None:
    from services.feedback.app import create_app

    hr = auth(Role.HR_ADMIN)
    await client.put("/regions/marelan/units/dinkes", json={"name": "Dinkes"}, headers=hr)
    for cycle_id in ("marelan-q1", "marelan-q2"):
        await client.post("/regions/marelan/cycles", json=cycle_body(cycle_id), headers=hr)
    bare = await client.post("/regions/marelan/cycles/marelan-q1/close", json={}, headers=hr)
    assert bare.status_code == 201, bare.text
    [warning] = bare.json()["warnings"]
    assert warning.startswith("closed without unit predicates: no unit's distribution curve is checked")
    full = await client.post(
        "/regions/marelan/cycles/marelan-q2/close", json={"unit_predicates": {"dinkes": "Baik"}}, headers=hr
    )
    assert full.status_code == 201 and full.json()["warnings"] == []

    strict = isolated_settings.model_copy(update={"require_unit_predicates": "marelan"})
    async with AsyncTestClient(create_app(strict)) as other:
        await other.post("/regions/marelan/cycles", json=cycle_body("marelan-q3"), headers=hr)
        refused = await other.post("/regions/marelan/cycles/marelan-q3/close", json={}, headers=hr)
    assert (refused.status_code, refused.json()["type"]) == (422, PROBLEM + "unit-predicates-required")


async def test_an_impossible_window_is_422_invalid_window_as_documented(client: Client, auth: Any) -> None:
    hr = auth(Role.HR_ADMIN)
    body = cycle_body("marelan-x")
    cases = [
        {**body, "window_closes": body["window_opens"]},
        {**body, "period_start": "2026-12-31", "period_end": "2026-01-01"},
        {**body, "window_opens": "2026-01-01T00:00:00"},
    ]
    for bad in cases:
        response = await client.post("/regions/marelan/cycles", json=bad, headers=hr)
        assert (response.status_code, response.json()["type"]) == (422, PROBLEM + "invalid-window"), bad
        assert response.json()["problems"], bad


async def test_a_regions_open_cycles_are_public_without_their_details(
    client: Client, seed: Any, auth: Any
) -> None:
    """The citizen form, which has no account, learns where its feedback goes; nothing more."""
    await seed()
    found = (await client.get("/public/regions/marelan/open-cycles")).json()
    assert [c["cycle_id"] for c in found] == ["marelan-2026"]
    assert set(found[0]) == {"cycle_id", "kind", "window_opens", "window_closes"}
    closed = await client.post(
        "/regions/marelan/cycles/marelan-2026/close",
        json={"unit_predicates": {"dinkes": "Baik"}},
        headers=auth(Role.HR_ADMIN),
    )
    assert closed.status_code == 201, closed.text
    assert (await client.get("/public/regions/marelan/open-cycles")).json() == []
