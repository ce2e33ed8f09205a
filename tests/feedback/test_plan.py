"""Plans (SKP) and reports: submit, link to the superior's result, approve or return, report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from shared.auth import Role
from shared.events.feedback import INPUTS_TOPIC
from shared.settings import Settings
from tests.feedback.org import HEAD, PROBLEM, SUP, A, B, E, cycle_body, plan_body, read_events

Client = AsyncTestClient[Litestar]
BASE = "/regions/marelan/cycles/marelan-2026"


async def test_plan_is_linked_returned_revised_approved_and_reported(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings, read_topic: Any
) -> None:
    await seed()
    a, sup = auth(Role.EMPLOYEE, nip=A), auth(Role.SUPERVISOR, nip=SUP)
    assert (await client.put(f"{BASE}/plans/{SUP}", json=plan_body(), headers=sup)).status_code == 200
    link = f"marelan-2026-{SUP}/rhk-1"
    submitted = await client.put(f"{BASE}/plans/{A}", json=plan_body(supports=link), headers=a)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"

    returned = await client.post(
        f"{BASE}/plans/{A}/return", json={"reason": "target terlalu rendah"}, headers=sup
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    revised = plan_body(supports=link, indicators=("iki-1", "iki-2"))
    assert (await client.put(f"{BASE}/plans/{A}", json=revised, headers=a)).json()["status"] == "submitted"
    approved = await client.post(f"{BASE}/plans/{A}/approve", headers=sup)
    assert approved.status_code == 200 and approved.json()["decided_by"] == SUP
    locked = await client.put(f"{BASE}/plans/{A}", json=plan_body(), headers=a)
    assert locked.status_code == 409 and locked.json()["type"] == PROBLEM + "plan-approved"

    progress = {"realisations": [{"indicator_id": "iki-1", "value": 40}], "note": "semester 1"}
    assert (await client.post(f"{BASE}/progress/{A}", json=progress, headers=a)).status_code == 201
    final = {
        "realisations": [
            {"indicator_id": "iki-1", "value": 110, "evidence": ["https://dok.example.id/1.pdf"]},
            {"indicator_id": "iki-2", "value": 95},
        ]
    }
    first = await client.put(f"{BASE}/achievements/{A}", json=final, headers=a)
    second = await client.put(f"{BASE}/achievements/{A}", json=final, headers=a)
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert (await client.get(f"{BASE}/achievements/{A}", headers=sup)).json()["version"] == 2

    records = await read_events(read_topic, isolated_settings.topic(INPUTS_TOPIC), 8)
    mine = [e for e in records if e["key"] == A]
    assert [e["type"] for e in mine] == [
        "feedback.plan_submitted",
        "feedback.plan_returned",
        "feedback.plan_submitted",
        "feedback.plan_approved",
        "feedback.progress_reported",
        "feedback.achievement_reported",
        "feedback.achievement_reported",
    ]
    assert mine[1]["reason"] == "target terlalu rendah"
    assert mine[3]["approved_by"] == SUP and mine[3]["results"][0]["supports"] == link
    assert [e["version"] for e in mine[5:]] == [1, 2]
    assert mine[5]["realisations"][0]["evidence"] == ["https://dok.example.id/1.pdf"]


async def test_links_must_name_a_result_of_the_supervisors_own_plan(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    a = auth(Role.EMPLOYEE, nip=A)
    for nip in (SUP, E):
        await client.put(f"{BASE}/plans/{nip}", json=plan_body(), headers=auth(Role.EMPLOYEE, nip=nip))
    for link in (
        f"marelan-2026-{SUP}/rhk-9",
        f"marelan-2026-{E}/rhk-1",
        "no-slash",
        f"marelan-2026-{B}/rhk-1",
    ):
        response = await client.put(f"{BASE}/plans/{A}", json=plan_body(supports=link), headers=a)
        assert response.status_code == 422, link
        assert response.json()["type"] == PROBLEM + "invalid-plan"
    head = auth(Role.SUPERVISOR, nip=HEAD)
    response = await client.put(
        f"{BASE}/plans/{HEAD}", json=plan_body(supports=f"marelan-2026-{SUP}/rhk-1"), headers=head
    )
    assert response.status_code == 422 and "no supervisor" in response.json()["detail"]
    # A links to SUP's results, so A reads SUP's plan; not a peer's (E is SUP's peer, B is A's).
    assert (await client.get(f"{BASE}/plans/{SUP}", headers=a)).status_code == 200
    for other in (E, HEAD):
        response = await client.get(f"{BASE}/plans/{other}", headers=a)
        assert response.status_code == 403 and response.json()["type"] == PROBLEM + "not-yours", other
    no_main = plan_body()
    no_main["results"][0]["kind"] = "tambahan"
    response = await client.put(f"{BASE}/plans/{A}", json=no_main, headers=a)
    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "invalid-plan"


async def test_only_the_owner_submits_and_only_the_recorded_supervisor_decides(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    response = await client.put(f"{BASE}/plans/{A}", json=plan_body(), headers=auth(Role.EMPLOYEE, nip=B))
    assert response.status_code == 403 and response.json()["type"] == PROBLEM + "not-own"
    await client.put(f"{BASE}/plans/{A}", json=plan_body(), headers=auth(Role.EMPLOYEE, nip=A))
    response = await client.post(f"{BASE}/plans/{A}/approve", headers=auth(Role.SUPERVISOR, nip=HEAD))
    assert response.status_code == 403 and response.json()["type"] == PROBLEM + "not-supervisor"
    response = await client.post(
        f"{BASE}/plans/{A}/return", json={"reason": ""}, headers=auth(Role.SUPERVISOR, nip=SUP)
    )
    assert response.status_code == 400 and response.json()["type"] == PROBLEM + "validation"
    response = await client.get(f"{BASE}/plans/{A}", headers=auth(Role.EMPLOYEE, nip=B))
    assert response.status_code == 403 and response.json()["type"] == PROBLEM + "not-yours"
    response = await client.get(f"{BASE}/plans/{A}", headers=auth(Role.SUPERVISOR, nip=HEAD))
    assert response.status_code == 403, "a supervisor sees their direct reports only"


async def test_reports_need_a_plan_and_the_final_one_an_approved_plan_covered_in_full(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    a, sup = auth(Role.EMPLOYEE, nip=A), auth(Role.SUPERVISOR, nip=SUP)
    progress = {"realisations": [{"indicator_id": "iki-1", "value": 1}]}
    response = await client.post(f"{BASE}/progress/{A}", json=progress, headers=a)
    assert response.status_code == 409 and response.json()["type"] == PROBLEM + "no-plan"
    await client.put(f"{BASE}/plans/{A}", json=plan_body(indicators=("iki-1", "iki-2")), headers=a)
    final = {"realisations": [{"indicator_id": "iki-1", "value": 1}]}
    response = await client.put(f"{BASE}/achievements/{A}", json=final, headers=a)
    assert response.status_code == 409 and response.json()["type"] == PROBLEM + "plan-not-approved"
    await client.post(f"{BASE}/plans/{A}/approve", headers=sup)
    response = await client.put(f"{BASE}/achievements/{A}", json=final, headers=a)
    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "invalid-realisation"
    assert "iki-2" in response.json()["detail"]
    wrong = {"realisations": [{"indicator_id": "iki-9", "value": 1}]}
    response = await client.post(f"{BASE}/progress/{A}", json=wrong, headers=a)
    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "invalid-realisation"
    bad_link = {"realisations": [{"indicator_id": "iki-1", "value": 1, "evidence": ["javascript:alert(1)"]}]}
    response = await client.post(f"{BASE}/progress/{A}", json=bad_link, headers=a)
    assert response.status_code == 400 and response.json()["type"] == PROBLEM + "validation"


async def test_nothing_is_accepted_outside_the_window_or_after_closing(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    hr, a = auth(Role.HR_ADMIN), auth(Role.EMPLOYEE, nip=A)
    await client.post(
        "/regions/marelan/cycles", json=cycle_body("later", opens_in=timedelta(days=5)), headers=hr
    )
    response = await client.put(f"/regions/marelan/cycles/later/plans/{A}", json=plan_body(), headers=a)
    assert response.status_code == 409 and response.json()["type"] == PROBLEM + "outside-window"
    await client.post("/regions/marelan/cycles/marelan-2026/close", json={}, headers=hr)
    response = await client.put(f"{BASE}/plans/{A}", json=plan_body(), headers=a)
    assert response.status_code == 409 and response.json()["type"] == PROBLEM + "cycle-closed"


async def test_values_an_indicator_unit_cannot_take_are_refused(client: Client, auth: Any, seed: Any) -> None:
    await seed()
    a, sup = auth(Role.EMPLOYEE, nip=A), auth(Role.SUPERVISOR, nip=SUP)
    negative_target = plan_body()
    negative_target["results"][0]["indicators"][0]["target"] = -5
    response = await client.put(f"{BASE}/plans/{A}", json=negative_target, headers=a)
    assert response.status_code == 422, response.text
    assert "iki-1 target: -5 pasien cannot be negative" in response.json()["detail"]

    plan = plan_body(indicators=("iki-1", "iki-2"))
    plan["results"][0]["indicators"][1]["unit"] = "± poin"  # a change that may go either way
    assert (await client.put(f"{BASE}/plans/{A}", json=plan, headers=a)).status_code == 200
    await client.post(f"{BASE}/plans/{A}/approve", headers=sup)
    negative = {"realisations": [{"indicator_id": "iki-1", "value": -40}]}
    for url, send in ((f"{BASE}/progress/{A}", client.post), (f"{BASE}/achievements/{A}", client.put)):
        response = await send(url, json=negative, headers=a)
        assert (response.status_code, response.json()["type"]) == (422, PROBLEM + "invalid-realisation"), url
        assert response.json()["problems"][0].startswith("iki-1: -40 pasien cannot be negative")
    signed = {"realisations": [{"indicator_id": "iki-2", "value": -3}]}
    assert (await client.post(f"{BASE}/progress/{A}", json=signed, headers=a)).status_code == 201


async def test_hr_records_the_decision_on_a_heads_plan_and_only_on_a_heads(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings, read_topic: Any
) -> None:
    await seed()
    head, hr = auth(Role.SUPERVISOR, nip=HEAD), auth(Role.HR_ADMIN, nip=E)
    assert (await client.put(f"{BASE}/plans/{HEAD}", json=plan_body(), headers=head)).status_code == 200
    own = await client.post(f"{BASE}/plans/{HEAD}/approve", headers=head)
    assert (own.status_code, own.json()["type"]) == (403, PROBLEM + "not-supervisor")
    no_nip = await client.post(f"{BASE}/plans/{HEAD}/approve", headers=auth(Role.HR_ADMIN))
    assert (no_nip.status_code, no_nip.json()["type"]) == (403, PROBLEM + "no-nip")

    approved = await client.post(f"{BASE}/plans/{HEAD}/approve", headers=hr)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", E)

    # Someone with a supervisor in the region: HR does not decide for the supervisor.
    assert (
        await client.put(f"{BASE}/plans/{A}", json=plan_body(), headers=auth(Role.EMPLOYEE, nip=A))
    ).status_code == 200
    refused = await client.post(f"{BASE}/plans/{A}/approve", headers=hr)
    assert (refused.status_code, refused.json()["type"]) == (403, PROBLEM + "not-supervisor")

    events = await read_events(read_topic, isolated_settings.topic(INPUTS_TOPIC), 3)
    approvals = [e for e in events if e["type"] == "feedback.plan_approved"]
    assert [(e["nip"], e["approved_by"]) for e in approvals] == [(HEAD, E)]
    audit = (await client.get("/regions/marelan/audit", headers=auth(Role.HR_ADMIN))).json()
    assert any(a["action"] == "plan.approved" and a["role"] == "hr_admin" for a in audit)
