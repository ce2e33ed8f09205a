"""Rater anonymity against the outside attack: what HR, a supervisor and the ratee can read names
no peer, subordinate or citizen rater, and no pooled view can be differenced one rater at a time.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.feedback.app import create_app
from services.feedback.domain import submission_id_of
from shared.auth import Role
from shared.mongo import time_key
from shared.settings import Settings
from tests.feedback.org import HEAD, SUP, A, B, C, D, E, F

Client = AsyncTestClient[Litestar]
CYCLE = "marelan-2026"
BASE = f"/regions/marelan/cycles/{CYCLE}"
EVERYONE = (HEAD, SUP, A, B, C, D, E, F)
#: (rater, ratee, source) of every anonymous submission in the attack.
LINKS = [
    (B, A, "peer"),
    (C, A, "peer"),
    (D, A, "peer"),
    (A, B, "peer"),
    (C, B, "peer"),
    (D, B, "peer"),
]
# Marelan's rubric takes no subordinate feedback; the rule and the code path are the same.


def unkeyed_id(rater: str, ratee: str) -> str:
    """What the outside script computed: the id as earlier versions made it."""
    digest = hashlib.sha256(f"{CYCLE}|{rater}|{ratee}".encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


async def readable(client: Client, auth: Any) -> dict[str, str]:
    """Everything an hr_admin, the supervisors and the ratees can read about the cycle."""
    hr = auth(Role.HR_ADMIN)
    reads = {
        "hr audit": ("/regions/marelan/audit?limit=1000", hr),
        "hr cycles": ("/regions/marelan/cycles", hr),
        "hr view of A": (f"{BASE}/feedback/{A}", hr),
        "hr view of B": (f"{BASE}/feedback/{B}", hr),
        "supervisor view of A": (f"{BASE}/feedback/{A}", auth(Role.SUPERVISOR, nip=SUP)),
        "supervisor view of B": (f"{BASE}/feedback/{B}", auth(Role.SUPERVISOR, nip=SUP)),
        "A's own view": (f"{BASE}/feedback/{A}", auth(Role.EMPLOYEE, nip=A)),
        "B's own view": (f"{BASE}/feedback/{B}", auth(Role.EMPLOYEE, nip=B)),
    }
    out = {}
    for name, (url, headers) in reads.items():
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, (name, response.text)
        out[name] = response.text
    return out


async def test_nothing_hr_a_supervisor_or_the_ratee_reads_names_an_anonymous_rater(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    ids = []
    for rater, ratee, source in LINKS:
        role = Role.EMPLOYEE
        body = {"source": source, "ratings": {"pencapaian_target": 4}, "comment": f"dari {rater[-3:]}"}
        response = await client.put(f"{BASE}/feedback/{ratee}", json=body, headers=auth(role, nip=rater))
        assert response.status_code == 200, response.text
        ids.append(response.json()["submission_id"])
    citizen = {"cycle_id": CYCLE, "ratee_nip": A, "ratings": {"pelayanan": 4}}
    assert (await client.post("/public/regions/marelan/citizen-feedback", json=citizen)).status_code == 201
    closed = await client.post(f"{BASE}/close", json={}, headers=auth(Role.HR_ADMIN))
    assert closed.status_code == 201, closed.text

    texts = await readable(client, auth)
    # The attack: every colleague's NIP tried as the rater of every ratee.
    guesses = {unkeyed_id(r, t) for r in EVERYONE for t in EVERYONE}
    for name, text in texts.items():
        assert not any(guess in text for guess in guesses), f"{name} shows an unkeyed submission id"
        assert not any(sid in text for sid in ids), f"{name} shows a submission id"
    # The raters' own ids are keyed: nobody without the secret recomputes them.
    assert not set(ids) & guesses

    audit = (await client.get("/regions/marelan/audit?limit=1000", headers=auth(Role.HR_ADMIN))).json()
    ratings = [e for e in audit if e["action"].startswith("feedback.")]
    assert len(ratings) == len(LINKS) + 1
    for entry in ratings:
        assert entry["actor"] == "anonymous" and entry["role"] == "anonymous", entry
        assert entry["target"] in {A, B}, entry
        assert set(entry["detail"]) == {"source"}, entry
        assert entry["at"].endswith("T00:00:00Z"), entry  # the day only
    # The views pool: no rater NIP appears beside the ratee's.
    for name in ("hr view of A", "supervisor view of A", "A's own view"):
        assert not any(nip in texts[name] for nip in (B, C, D)), name
    for name in ("hr view of B", "supervisor view of B", "B's own view"):
        assert not any(nip in texts[name] for nip in (A, C, D)), name


async def test_the_pooled_view_does_not_move_one_rater_at_a_time(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    a = auth(Role.EMPLOYEE, nip=A)

    async def peers() -> dict[str, Any]:
        view = (await client.get(f"{BASE}/feedback/{A}", headers=a)).json()
        return next(s for s in view["sources"] if s["source"] == "peer")

    seen = []
    for rater, score in ((B, 4), (C, 4), (D, 4), (D, 1)):  # D's second is a resubmission
        body = {"source": "peer", "ratings": {"pencapaian_target": score}, "comment": f"{rater}:{score}"}
        response = await client.put(f"{BASE}/feedback/{A}", json=body, headers=auth(Role.EMPLOYEE, nip=rater))
        assert response.status_code == 200, response.text
        seen.append(await peers())
    # While the cycle runs, the ratee learns only how many peers rated, never a mean or a comment.
    assert [(p["shown"], p["means"], p["comments"]) for p in seen] == [(False, {}, [])] * 4
    assert [p["raters"] for p in seen] == [1, 2, 3, 3]
    await client.post(f"{BASE}/close", json={}, headers=auth(Role.HR_ADMIN))
    final = await peers()
    assert final["shown"] and final["means"] == {"pencapaian_target": 3.0}


async def test_audit_entries_of_earlier_versions_lose_their_rater_at_start_up(
    isolated_settings: Settings, client: Client, auth: Any, seed: Any
) -> None:
    await seed()
    body = {"source": "peer", "ratings": {"pencapaian_target": 4}}
    response = await client.put(f"{BASE}/feedback/{A}", json=body, headers=auth(Role.EMPLOYEE, nip=B))
    sid = response.json()["submission_id"]
    mongo: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(isolated_settings.mongo_url, tz_aware=True)
    db = mongo[isolated_settings.database("feedback")]
    try:
        # What an earlier version wrote, and the marker a migrated database would not have yet.
        await db["audit"].delete_many({"action": "feedback.submitted"})
        await db["migrations"].delete_many({})
        old = {
            "region": "marelan",
            "at": datetime(2026, 5, 1, 10, 42, 7, tzinfo=UTC),
            "actor": f"marelan:employee:{B}",
            "role": "employee",
            "nip": B,
            "action": "feedback.submitted",
            "target": sid,
            "detail": {"version": 1},
            "correlation_id": "c-123",
        }
        await db["audit"].insert_one(old)
        async with AsyncTestClient(create_app(isolated_settings)):
            pass  # start-up runs the migration
        entry = await db["audit"].find_one({"action": "feedback.submitted"}, {"_id": 0})
    finally:
        mongo.close()
    assert entry is not None
    # The key it is paged by, given after the redaction: it tells the day and nothing finer.
    key = entry.pop("page_key")
    assert re.fullmatch(time_key(datetime(2026, 5, 1, tzinfo=UTC)) + "-[0-9a-f]{32}", key), key
    assert entry == {
        "region": "marelan",
        "at": datetime(2026, 5, 1, tzinfo=UTC),
        "actor": "anonymous",
        "role": "anonymous",
        "nip": None,
        "action": "feedback.submitted",
        "target": A,
        "detail": {"source": "peer"},
        "correlation_id": None,
    }


def test_submission_ids_are_keyed_except_in_cycles_opened_before_keyed_ids() -> None:
    keyed = submission_id_of(CYCLE, B, A, b"k" * 32)
    assert keyed != unkeyed_id(B, A)
    assert keyed != submission_id_of(CYCLE, B, A, b"j" * 32)
    assert submission_id_of(CYCLE, B, A, None) == unkeyed_id(B, A)
