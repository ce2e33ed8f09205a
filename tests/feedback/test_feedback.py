"""360 feedback: who may rate whom, versioned resubmissions, pooled views, citizens and notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shared.auth import Role
from shared.events.feedback import INPUTS_TOPIC
from shared.settings import Settings
from tests.feedback.org import HEAD, PROBLEM, SUP, A, B, C, D, E, F, cycle_body, read_events

Client = AsyncTestClient[Litestar]
BASE = "/regions/marelan/cycles/marelan-2026"
FORM = {"pencapaian_target": 4, "kontribusi_tim": 3, "perilaku_profesional": 5}


def rating(source: str, **extra: Any) -> dict[str, Any]:
    return {"source": source, "ratings": dict(FORM), **extra}


async def test_each_source_is_accepted_from_the_right_rater_and_published(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings, read_topic: Any
) -> None:
    await seed()
    cases = [(A, "self", Role.EMPLOYEE), (SUP, "supervisor", Role.SUPERVISOR), (B, "peer", Role.EMPLOYEE)]
    for rater, source, role in cases:
        body = rating(source, comment="baik")
        if source == "supervisor":
            body["ratings"]["pelayanan"] = 4  # A serves the public
        response = await client.put(f"{BASE}/feedback/{A}", json=body, headers=auth(role, nip=rater))
        assert response.status_code == 200, response.text
        assert response.json()["version"] == 1
    events = await read_events(read_topic, isolated_settings.topic(INPUTS_TOPIC), 3)
    assert [(e["source"], e["rater_nip"], e["ratee_nip"]) for e in events] == [
        ("self", A, A),
        ("supervisor", SUP, A),
        ("peer", B, A),
    ]
    assert all(e["rubric_id"] == "marelan" and e["key"] == A for e in events)


@pytest.mark.parametrize(
    ("rater", "role", "source", "slug"),
    [
        (A, Role.EMPLOYEE, "peer", "self-rating"),
        (B, Role.EMPLOYEE, "self", "not-self"),
        (HEAD, Role.SUPERVISOR, "supervisor", "not-supervisor"),
        (B, Role.EMPLOYEE, "supervisor", "not-supervisor"),
        (E, Role.EMPLOYEE, "peer", "not-peer"),
        (F, Role.EMPLOYEE, "peer", "not-peer"),
        (B, Role.EMPLOYEE, "subordinate", "not-subordinate"),
    ],
)
async def test_raters_must_be_what_the_organisation_data_says(
    client: Client, auth: Any, seed: Any, rater: str, role: Role, source: str, slug: str
) -> None:
    await seed()
    response = await client.put(f"{BASE}/feedback/{A}", json=rating(source), headers=auth(role, nip=rater))
    assert response.status_code == 403, response.text
    assert response.json()["type"] == PROBLEM + slug


async def test_hr_gives_a_heads_supervisor_assessment_and_no_other_rating(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings, read_topic: Any
) -> None:
    """A unit head has no supervisor in the region; without this nobody could give the assessment
    the national rules need, and the head's final score would be held for ever (docs/scoring.md)."""
    await seed()
    hr = auth(Role.HR_ADMIN, nip=E)
    given = await client.put(f"{BASE}/feedback/{HEAD}", json=rating("supervisor"), headers=hr)
    assert given.status_code == 200, given.text
    for ratee, source in [(A, "supervisor"), (HEAD, "peer"), (E, "self")]:
        refused = await client.put(f"{BASE}/feedback/{ratee}", json=rating(source), headers=hr)
        assert (refused.status_code, refused.json()["type"]) == (403, PROBLEM + "hr-heads-only"), ratee
    no_nip = await client.put(
        f"{BASE}/feedback/{HEAD}", json=rating("supervisor"), headers=auth(Role.HR_ADMIN)
    )
    assert (no_nip.status_code, no_nip.json()["type"]) == (403, PROBLEM + "no-nip")
    events = await read_events(read_topic, isolated_settings.topic(INPUTS_TOPIC), 1)
    assert [(e["source"], e["rater_nip"], e["ratee_nip"]) for e in events] == [("supervisor", E, HEAD)]


async def test_subordinates_rate_their_supervisor_where_the_rubric_asks_them(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed("sabang")  # no rubric of its own: the national one, which asks subordinates
    body = {"source": "subordinate", "ratings": {"akuntabel": 4, "kolaboratif": 5}}
    url = f"/regions/sabang/cycles/sabang-2026/feedback/{SUP}"
    response = await client.put(url, json=body, headers=auth(Role.EMPLOYEE, "sabang", nip=A))
    assert response.status_code == 200 and response.json()["source"] == "subordinate"


async def test_subordinate_ratings_are_refused_where_the_rubric_does_not_ask_them(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed("plaju")  # plaju's rubric does not ask subordinates
    body = {"source": "subordinate", "ratings": {"sikap": 4}}
    url = f"/regions/plaju/cycles/plaju-2026/feedback/{SUP}"
    response = await client.put(url, json=body, headers=auth(Role.EMPLOYEE, "plaju", nip=A))
    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "invalid-ratings"


@pytest.mark.parametrize(
    ("ratings", "why"),
    [
        ({"pencapaian_target": 6}, "outside"),
        ({"pencapaian_target": 3.5}, "step"),
        ({"kehadiran": 3}, "not a criterion"),
        ({"pelayanan": 3}, "service role"),
    ],
)
async def test_ratings_must_fit_the_regions_rubric(
    client: Client, auth: Any, seed: Any, ratings: dict[str, float], why: str
) -> None:
    await seed()
    body = {"source": "peer", "ratings": ratings}
    response = await client.put(f"{BASE}/feedback/{B}", json=body, headers=auth(Role.EMPLOYEE, nip=C))
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-ratings"
    assert why in response.json()["detail"]


async def test_a_resubmission_replaces_the_earlier_one_with_a_new_version(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings, read_topic: Any
) -> None:
    await seed()
    b = auth(Role.EMPLOYEE, nip=B)
    first = (await client.put(f"{BASE}/feedback/{A}", json=rating("peer"), headers=b)).json()
    changed = rating("peer")
    changed["ratings"]["kontribusi_tim"] = 5
    second = (await client.put(f"{BASE}/feedback/{A}", json=changed, headers=b)).json()
    assert second["submission_id"] == first["submission_id"]
    assert (first["version"], second["version"]) == (1, 2)
    summary = (await client.get(f"{BASE}/feedback/{A}", headers=auth(Role.HR_ADMIN))).json()
    assert [s["raters"] for s in summary["sources"] if s["source"] == "peer"] == [1]
    events = await read_events(read_topic, isolated_settings.topic(INPUTS_TOPIC), 2)
    assert [e["version"] for e in events] == [1, 2]
    assert {e["submission_id"] for e in events} == {first["submission_id"]}


async def test_feedback_outside_the_window_or_after_closing_is_refused(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    hr, b = auth(Role.HR_ADMIN), auth(Role.EMPLOYEE, nip=B)
    await client.post(
        "/regions/marelan/cycles", json=cycle_body("old", opens_in=timedelta(days=-10)), headers=hr
    )
    response = await client.put(f"/regions/marelan/cycles/old/feedback/{A}", json=rating("peer"), headers=b)
    assert response.status_code == 409 and response.json()["type"] == PROBLEM + "outside-window"
    closed = await client.post("/regions/marelan/cycles/marelan-2026/close", json={}, headers=hr)
    assert closed.status_code == 201, closed.text
    response = await client.put(f"{BASE}/feedback/{A}", json=rating("peer"), headers=b)
    assert response.status_code == 409 and response.json()["type"] == PROBLEM + "cycle-closed"


async def test_the_ratee_sees_peers_only_pooled_from_three_at_the_close_and_never_who_said_what(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    a = auth(Role.EMPLOYEE, nip=A)
    for peer, score in ((B, 2), (C, 4)):
        body = {"source": "peer", "ratings": {"pencapaian_target": score}, "comment": f"catatan {score}"}
        await client.put(f"{BASE}/feedback/{A}", json=body, headers=auth(Role.EMPLOYEE, nip=peer))
    body = {"source": "peer", "ratings": {"pencapaian_target": 3}, "comment": "catatan 3"}
    await client.put(f"{BASE}/feedback/{A}", json=body, headers=auth(Role.EMPLOYEE, nip=D))
    open_view = await client.get(f"{BASE}/feedback/{A}", headers=a)
    peers = next(s for s in open_view.json()["sources"] if s["source"] == "peer")
    assert peers == {
        "source": "peer",
        "raters": 3,
        "shown": False,
        "withheld": "until-close",
        "means": {},
        "comments": [],
    }

    closed = await client.post(f"{BASE}/close", json={}, headers=auth(Role.HR_ADMIN))
    assert closed.status_code == 201, closed.text
    three = await client.get(f"{BASE}/feedback/{A}", headers=a)
    peers = next(s for s in three.json()["sources"] if s["source"] == "peer")
    assert peers["shown"] and peers["withheld"] is None and peers["means"] == {"pencapaian_target": 3.0}
    assert peers["comments"] == ["catatan 2", "catatan 3", "catatan 4"]
    for nip in (B, C, D):
        assert nip not in three.text, "a rater's NIP reached the ratee"
    for reader in (auth(Role.SUPERVISOR, nip=SUP), auth(Role.HR_ADMIN)):
        text = (await client.get(f"{BASE}/feedback/{A}", headers=reader)).text
        assert not any(nip in text for nip in (B, C, D))


async def test_a_closed_cycle_with_too_few_peers_still_hides_them(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    body = {"source": "peer", "ratings": {"pencapaian_target": 2}, "comment": "catatan"}
    await client.put(f"{BASE}/feedback/{A}", json=body, headers=auth(Role.EMPLOYEE, nip=B))
    await client.post(f"{BASE}/close", json={}, headers=auth(Role.HR_ADMIN))
    view = await client.get(f"{BASE}/feedback/{A}", headers=auth(Role.EMPLOYEE, nip=A))
    peers = next(s for s in view.json()["sources"] if s["source"] == "peer")
    assert (peers["shown"], peers["withheld"], peers["means"], peers["comments"]) == (
        False,
        "too-few-raters",
        {},
        [],
    )


async def test_citizen_feedback_is_anonymous_and_rate_limited(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings, read_topic: Any
) -> None:
    await seed()
    url = "/public/regions/marelan/citizen-feedback"
    on_unit = {
        "cycle_id": "marelan-2026",
        "unit_id": "dinkes",
        "ratings": {"pelayanan": 5},
        "comment": "ramah",
    }
    on_person = {"cycle_id": "marelan-2026", "ratee_nip": A, "ratings": {"pelayanan": 4}}
    assert (await client.post(url, json=on_unit)).status_code == 201
    assert (await client.post(url, json=on_person)).status_code == 201
    not_public = {"cycle_id": "marelan-2026", "ratee_nip": B, "ratings": {"pelayanan": 4}}
    response = await client.post(url, json=not_public)
    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "invalid-ratings"
    both = {**on_unit, "ratee_nip": A}
    response = await client.post(url, json=both)
    assert response.status_code == 400 and response.json()["type"] == PROBLEM + "validation"
    statuses = [(await client.post(url, json=on_unit)).status_code for _ in range(10)]
    # 10 per window: 3 used above (the 400 never reached the handler), so 7 more, then 429.
    assert statuses == [201] * 7 + [429] * 3, statuses
    response = await client.post(url, json=on_unit)
    assert response.json()["type"] == PROBLEM + "rate-limited"

    events = await read_events(read_topic, isolated_settings.topic(INPUTS_TOPIC), 9)
    assert len(events) == 9 and {e["source"] for e in events} == {"citizen"}
    assert all(e["rater_nip"] is None for e in events)
    assert events[0]["unit_id"] == "dinkes" and events[1]["ratee_nip"] == A
    audit = (await client.get("/regions/marelan/audit", headers=auth(Role.HR_ADMIN))).json()
    citizen = [a for a in audit if a["action"] == "feedback.citizen"]
    assert citizen and all(
        a["actor"] == "anonymous" and a["detail"] == {"source": "citizen"} for a in citizen
    )


async def test_supervisor_writes_continuous_notes_any_time(
    client: Client, auth: Any, seed: Any, isolated_settings: Settings, read_topic: Any
) -> None:
    await seed()
    sup = auth(Role.SUPERVISOR, nip=SUP)
    written = await client.post(
        f"/regions/marelan/employees/{A}/notes", json={"text": "Laporan rapi."}, headers=sup
    )
    assert written.status_code == 201 and written.json()["cycle_id"] == "marelan-2026"
    response = await client.post(
        f"/regions/marelan/employees/{A}/notes", json={"text": "x"}, headers=auth(Role.SUPERVISOR, nip=HEAD)
    )
    assert response.status_code == 403 and response.json()["type"] == PROBLEM + "not-supervisor"
    notes = (
        await client.get(f"/regions/marelan/employees/{A}/notes", headers=auth(Role.EMPLOYEE, nip=A))
    ).json()
    assert [n["text"] for n in notes] == ["Laporan rapi."]
    events = await read_events(read_topic, isolated_settings.topic(INPUTS_TOPIC), 1)
    assert events[0]["type"] == "feedback.continuous_noted" and events[0]["author_nip"] == SUP


async def test_the_rubric_form_is_public_and_follows_the_region(client: AsyncTestClient[Litestar]) -> None:
    """The citizen form asks a region's questions without an account; Siulak's rubric is its own."""
    marelan = (await client.get("/public/regions/marelan/rubric")).json()
    siulak = (await client.get("/public/regions/siulak/rubric")).json()
    assert marelan["rubric_id"] == "marelan" and siulak["rubric_id"] == "siulak"
    citizen = [c for c in marelan["criteria"] if "citizen" in c["sources"]]
    assert citizen and all(c["label_id"] and c["label_en"] for c in citizen)
    assert marelan["scale"]["low"] < marelan["scale"]["high"]
    assert "citizen" in marelan["sources"]
    # With a source, only what that source is asked: about a unit (serving the public) every
    # citizen question, about an employee who does not serve the public none of the service ones.
    unit = (await client.get("/public/regions/marelan/rubric", params={"source": "citizen"})).json()
    assert {c["criterion_id"] for c in unit["criteria"]} == {c["criterion_id"] for c in citizen}
    peer = (
        await client.get("/public/regions/marelan/rubric", params={"source": "peer", "service_role": "false"})
    ).json()
    assert peer["criteria"] and all(
        "peer" in c["sources"] and not c["service_role_only"] for c in peer["criteria"]
    )
    assert marelan["choices"] == [1, 2, 3, 4, 5]
    bad = await client.get("/public/regions/Not%20A%20Region/rubric")
    assert bad.status_code == 400
