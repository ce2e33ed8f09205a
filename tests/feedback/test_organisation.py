"""Organisation data: the NIP rules, employees through the API, units and teams, request guards."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.feedback.domain import nip_problems
from shared.auth import Role
from shared.events.feedback import EMPLOYEES_TOPIC, EmploymentType
from shared.settings import Settings
from tests.feedback.org import PROBLEM, SUP, A, F, employee_body, read_events

Client = AsyncTestClient[Litestar]


@pytest.mark.parametrize(
    ("nip", "kind", "why"),
    [
        ("19850312201001100", EmploymentType.PNS, "18 digits"),
        ("19850312201001100x", EmploymentType.PPPK, "18 digits"),
        ("198502302010011002", EmploymentType.PNS, "not a valid date"),
        ("198503122010131002", EmploymentType.PNS, "no valid month"),
        ("198503122002011002", EmploymentType.PNS, "before the 18th birthday"),
        ("198503122010013002", EmploymentType.PNS, "sex digit"),
    ],
)
def test_bad_nips_are_named_with_their_reason(nip: str, kind: EmploymentType, why: str) -> None:
    assert any(why in p for p in nip_problems(nip, kind)), nip_problems(nip, kind)


def test_good_nips_pass_and_pppk_is_checked_for_length_and_digits_only() -> None:
    assert nip_problems(A, EmploymentType.PNS) == []
    assert nip_problems("200303122021031001", EmploymentType.PNS) == [], (
        "start in the month of the 18th birthday"
    )
    assert nip_problems(F, EmploymentType.PPPK) == []
    assert nip_problems(F, EmploymentType.PNS) != [], "a PPPK number does not follow the PNS layout"


async def test_employee_is_created_updated_and_published(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings, read_topic: Any
) -> None:
    await seed(cycle=False)
    hr = auth(Role.HR_ADMIN)
    nip = "199202022018012007"
    body = employee_body(name="Rina", supervisor_nip=SUP, language="en", email="rina@example.id")
    created = await client.put(f"/regions/marelan/employees/{nip}", json=body, headers=hr)
    assert created.status_code == 200, created.text
    assert created.json()["supervisor_nip"] == SUP and created.json()["region"] == "marelan"
    changed = await client.patch(
        f"/regions/marelan/employees/{nip}", json={"position": "Kepala Seksi"}, headers=hr
    )
    assert changed.status_code == 200
    assert changed.json()["position"] == "Kepala Seksi" and changed.json()["name"] == "Rina"

    records = await read_events(read_topic, isolated_settings.topic(EMPLOYEES_TOPIC), 10)
    mine = [e for e in records if e["key"] == nip]
    assert [e["employee"]["position"] for e in mine] == ["Staf", "Kepala Seksi"]
    assert all(e["type"] == "feedback.employee_upserted" and e["region"] == "marelan" for e in mine)

    audit = (await client.get("/regions/marelan/audit", headers=hr)).json()
    actions = {(a["action"], a["target"]) for a in audit}
    assert {("employee.created", nip), ("employee.updated", nip)} <= actions
    assert all(a["actor"] and a["at"] for a in audit)


@pytest.mark.parametrize(
    ("nip", "body", "status", "slug"),
    [
        ("198503122010013002", employee_body(), 422, "invalid-employee"),
        ("199202022018012007", employee_body(unit="nowhere"), 422, "invalid-employee"),
        ("199202022018012007", employee_body(supervisor_nip="197001012000011009"), 422, "invalid-employee"),
        ("199202022018012007", employee_body(employment_type="CPNS"), 400, "validation"),
        ("199202022018012007", employee_body(name="x" * 201), 400, "validation"),
        ("1992", employee_body(), 400, "validation"),
    ],
)
async def test_bad_employee_records_are_refused(
    client: Client, auth: Any, seed: Any, nip: str, body: dict[str, Any], status: int, slug: str
) -> None:
    await seed(cycle=False)
    response = await client.put(f"/regions/marelan/employees/{nip}", json=body, headers=auth(Role.HR_ADMIN))
    assert response.status_code == status, response.text
    assert response.json()["type"] == PROBLEM + slug
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_nip_of_another_region_is_refused(client: Client, auth: Any, seed: Any) -> None:
    await seed("marelan", cycle=False)
    plaju = auth(Role.HR_ADMIN, "plaju")
    assert (
        await client.put("/regions/plaju/units/dinkes", json={"name": "Dinkes"}, headers=plaju)
    ).status_code == 200
    response = await client.put(f"/regions/plaju/employees/{A}", json=employee_body(), headers=plaju)
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "other-region-nip"
    seen = await client.get(f"/regions/marelan/employees/{A}", headers=plaju)
    assert seen.status_code == 403
    assert seen.json()["type"] == PROBLEM + "other-region"


async def test_team_must_belong_to_an_existing_unit(client: Client, auth: Any, seed: Any) -> None:
    await seed(cycle=False)
    response = await client.put(
        "/regions/marelan/teams/t2", json={"name": "T", "unit_id": "nowhere"}, headers=auth(Role.REGION_ADMIN)
    )
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "unknown-unit"
    units = await client.get("/regions/marelan/units", headers=auth(Role.EMPLOYEE, nip=A))
    assert [u["unit_id"] for u in units.json()] == ["dinkes"]


@pytest.mark.parametrize(
    "body",
    [
        {"$set": {"name": "x"}},
        {"name": "x", "nested": {"a.b": 1}},
        {"name": "x", "list": [{"$where": "1"}]},
    ],
)
async def test_operator_and_dotted_keys_never_reach_the_database(
    client: Client, auth: Any, seed: Any, body: dict[str, Any]
) -> None:
    await seed(cycle=False)
    response = await client.patch(f"/regions/marelan/employees/{A}", json=body, headers=auth(Role.HR_ADMIN))
    assert response.status_code == 400
    assert response.json()["type"] == PROBLEM + "unsafe-key"


async def test_oversized_body_and_text_are_refused(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings
) -> None:
    await seed(cycle=False)
    big = {"name": "x" * (isolated_settings.max_body_bytes + 10)}
    response = await client.patch(f"/regions/marelan/employees/{A}", json=big, headers=auth(Role.HR_ADMIN))
    assert response.status_code == 413
    assert response.json()["type"] == PROBLEM + "payload-too-large"
    response = await client.post(
        f"/regions/marelan/employees/{A}/notes",
        json={"text": "x" * 4001},
        headers=auth(Role.SUPERVISOR, nip=SUP),
    )
    assert response.status_code == 400
    assert response.json()["type"] == PROBLEM + "validation"


async def test_a_patch_cannot_clear_a_required_field(client: Any, auth: Any, seed: Any) -> None:
    await seed(cycle=False)
    for body in ({"active": None}, {"name": None}, {"employment_type": None}):
        response = await client.patch(
            "/regions/marelan/employees/198503122010011002", json=body, headers=auth(Role.HR_ADMIN)
        )
        assert (response.status_code, response.json()["type"]) == (422, PROBLEM + "invalid-employee"), body
