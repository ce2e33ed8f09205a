"""The web's read models: a team's plan states and progress per indicator, and a person's to-do
list of assessments, with the deadline and the region's rubric deciding which sources are asked."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from shared.auth import Role
from tests.feedback.org import HEAD, PROBLEM, SUP, A, B, C, D, E, plan_body

Client = AsyncTestClient[Litestar]


async def test_a_supervisor_sees_plan_states_and_the_latest_value_per_indicator(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    base = "/regions/marelan/cycles/marelan-2026"
    a, sup = auth(Role.EMPLOYEE, nip=A), auth(Role.SUPERVISOR, nip=SUP)
    assert (
        await client.put(f"{base}/plans/{A}", json=plan_body(indicators=("iki-1", "iki-2")), headers=a)
    ).status_code == 200
    assert (
        await client.put(f"{base}/plans/{B}", json=plan_body(), headers=auth(Role.EMPLOYEE, nip=B))
    ).status_code == 200
    assert (await client.post(f"{base}/plans/{A}/approve", headers=sup)).status_code == 200
    for value in (10, 25):
        report = {"realisations": [{"indicator_id": "iki-1", "value": value}]}
        assert (await client.post(f"{base}/progress/{A}", json=report, headers=a)).status_code == 201

    team = await client.get(f"{base}/team", headers=sup)
    assert team.status_code == 200, team.text
    members = {m["nip"]: m for m in team.json()["members"]}
    assert sorted(members) == sorted([A, B, C, D])
    assert members[A]["plan_status"] == "approved" and members[A]["reported"] and members[A]["reports"] == 2
    assert [(i["indicator_id"], i["latest"]) for i in members[A]["indicators"]] == [
        ("iki-1", 25),
        ("iki-2", None),
    ]
    assert members[B]["plan_status"] == "submitted" and not members[B]["reported"]
    assert (
        members[C]["plan_status"] == "none" and members[C]["indicators"] == [] and not members[C]["reported"]
    )
    assert team.json()["next"] is None

    page = (await client.get(f"{base}/team", params={"limit": 2}, headers=sup)).json()
    rest = (await client.get(f"{base}/team", params={"after": page["next"]}, headers=sup)).json()
    assert [m["nip"] for m in page["members"] + rest["members"]] == sorted([A, B, C, D])


async def test_hr_sees_a_units_team_and_others_are_refused(client: Client, auth: Any, seed: Any) -> None:
    await seed()
    base = "/regions/marelan/cycles/marelan-2026/team"
    hr = auth(Role.HR_ADMIN)
    unit = await client.get(base, params={"unit": "dinkes"}, headers=hr)
    assert unit.status_code == 200 and len(unit.json()["members"]) == 8
    by_supervisor = await client.get(base, params={"supervisor": HEAD}, headers=hr)
    assert sorted(m["nip"] for m in by_supervisor.json()["members"]) == sorted([SUP, E])
    cases = [
        (hr, {}, 400, "team-filter"),
        (auth(Role.EMPLOYEE, nip=A), {}, 403, "role"),
        (auth(Role.SUPERVISOR, nip=SUP), {"unit": "dinkes"}, 403, "not-yours"),
        (auth(Role.SUPERVISOR, nip=SUP), {"supervisor": HEAD}, 403, "not-yours"),
        (auth(Role.HR_ADMIN, "plaju"), {"unit": "dinkes"}, 403, "other-region"),
    ]
    for headers, params, status, slug in cases:
        response = await client.get(base, params=params, headers=headers)
        assert response.status_code == status and response.json()["type"] == PROBLEM + slug, (
            params,
            response.text,
        )


async def test_the_to_do_list_asks_what_the_rubric_asks_and_marks_what_is_given(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    base = "/regions/marelan/cycles/marelan-2026"
    a = auth(Role.EMPLOYEE, nip=A)
    todo = await client.get(f"{base}/to-do", headers=a)
    assert todo.status_code == 200, todo.text
    assert todo.json()["deadline"]
    # Marelan's rubric asks self, supervisor and peers, not subordinates: A rates A and A's peers.
    items = {(i["source"], i["nip"]): i["done"] for i in todo.json()["items"]}
    assert items == {("self", A): False, ("peer", B): False, ("peer", C): False, ("peer", D): False}

    sup = {
        (i["source"], i["nip"])
        for i in (await client.get(f"{base}/to-do", headers=auth(Role.SUPERVISOR, nip=SUP))).json()["items"]
    }
    assert sup == {
        ("self", SUP),
        ("peer", E),
        ("supervisor", A),
        ("supervisor", B),
        ("supervisor", C),
        ("supervisor", D),
    }

    spec = (await client.get("/public/regions/marelan/rubric")).json()
    peer_criteria = [
        c["criterion_id"] for c in spec["criteria"] if "peer" in c["sources"] and not c["service_role_only"]
    ]
    body = {"source": "peer", "ratings": dict.fromkeys(peer_criteria, 4.0)}
    assert (await client.put(f"{base}/feedback/{B}", json=body, headers=a)).status_code == 200
    after = {
        (i["source"], i["nip"]): i["done"]
        for i in (await client.get(f"{base}/to-do", headers=a)).json()["items"]
    }
    assert after[("peer", B)] is True and after[("peer", C)] is False

    hr = await client.get(f"{base}/to-do", headers=auth(Role.HR_ADMIN))
    assert hr.status_code == 403 and hr.json()["type"] == PROBLEM + "role"


async def test_a_rubric_without_self_assessment_leaves_it_out(client: Client, auth: Any, seed: Any) -> None:
    await seed("asemrowo")  # self weighs 0 in Asemrowo's rubric
    me = auth(Role.EMPLOYEE, "asemrowo", A)
    todo = await client.get("/regions/asemrowo/cycles/asemrowo-2026/to-do", headers=me)
    assert {i["source"] for i in todo.json()["items"]} == {"peer"}, todo.text


async def test_the_national_rubric_asks_subordinates_too(client: Client, auth: Any, seed: Any) -> None:
    await seed("sabang")  # no rubric of its own: the national default asks subordinates
    sup = auth(Role.SUPERVISOR, "sabang", SUP)
    todo = (await client.get("/regions/sabang/cycles/sabang-2026/to-do", headers=sup)).json()
    assert ("subordinate", HEAD) in {(i["source"], i["nip"]) for i in todo["items"]}


async def test_a_supervisor_token_without_a_nip_sees_no_ones_team(
    client: Client, auth: Any, seed: Any
) -> None:
    """The unit heads have no supervisor (None); a token naming no NIP must not match them."""
    await seed()
    nameless = auth(Role.SUPERVISOR, nip=None)
    team = await client.get("/regions/marelan/cycles/marelan-2026/team", headers=nameless)
    assert team.status_code == 403 and team.json()["type"] == PROBLEM + "no-nip"
    listed = await client.get("/regions/marelan/employees", headers=nameless)
    assert listed.status_code == 200 and listed.json() == []
    head = await client.get(f"/regions/marelan/employees/{HEAD}", headers=nameless)
    assert head.status_code == 403


async def test_a_colleague_who_left_is_not_on_the_to_do_list(client: Client, auth: Any, seed: Any) -> None:
    await seed()
    left = await client.patch(
        "/regions/marelan/employees/" + C, json={"active": False}, headers=auth(Role.HR_ADMIN)
    )
    assert left.status_code == 200, left.text
    todo = (
        await client.get("/regions/marelan/cycles/marelan-2026/to-do", headers=auth(Role.EMPLOYEE, nip=A))
    ).json()
    assert {i["nip"] for i in todo["items"] if i["source"] == "peer"} == {B, D}
