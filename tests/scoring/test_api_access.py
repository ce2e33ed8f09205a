"""Who may read and decide on a score, through the scoring API on the real database: the rules of
:mod:`services.scoring.access`, applied by the service's use cases to what they read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.scoring.app import create_app
from services.scoring.store import EMPLOYEES, FINALS
from shared.auth import Role, issue_token
from shared.settings import Settings

CYCLE = "marelan-2026"
STAFF, BOSS, OTHER_BOSS = "198503122010011001", "197001012000011001", "197101012000011002"


def final(nip: str) -> dict[str, Any]:
    score = {
        "cycle_id": CYCLE,
        "nip": nip,
        "rubric_id": "marelan",
        "results_score": 80.0,
        "behaviour_score": 80.0,
    }
    return {
        "_id": f"{CYCLE}|{nip}",
        "cycle_id": CYCLE,
        "nip": nip,
        "region": "marelan",
        "unit_id": "dinkes",
        "team_id": None,
        "status": "final",
        "revision": 2,
        "digest": "d",
        "predicate": "baik",
        "missing": [],
        "unit_predicate": None,
        "violations": [],
        "proposed_predicate": None,
        "score": json.dumps(score),
        "audit": [
            {
                "decision": "confirmed",
                "from": "baik",
                "to": "baik",
                "by": "pejabat-penilai",
                "role": "supervisor",
                "reason": "Sesuai",
                "at": datetime(2026, 12, 1, tzinfo=UTC),
            }
        ],
    }


def auth(settings: Settings, role: Role, region: str | None, nip: str | None = None) -> dict[str, str]:
    token = issue_token(settings, subject=f"{role.value}-{nip}", role=role, region=region, nip=nip)
    return {"Authorization": f"Bearer {token}"}


async def test_each_reader_sees_what_the_rules_allow_and_only_the_appraiser_or_hr_decides(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    db = mongo[isolated_settings.database("scoring")]
    await db[EMPLOYEES].insert_many(
        [
            {"_id": STAFF, "nip": STAFF, "region": "marelan", "unit_id": "dinkes", "supervisor_nip": BOSS},
            {"_id": BOSS, "nip": BOSS, "region": "marelan", "unit_id": "dinkes", "supervisor_nip": None},
        ]
    )
    await db[FINALS].insert_one(final(STAFF))
    url = f"/cycles/{CYCLE}/scores/{STAFF}"
    s = isolated_settings
    async with AsyncTestClient(create_app(s)) as client:
        own = await client.get(url, headers=auth(s, Role.EMPLOYEE, "marelan", STAFF))
        assert own.status_code == 200, own.text
        shown = own.json()["calibrations"]
        # The employee sees the decision, its reason and the official's role, not the account.
        assert shown[0]["from"] == "baik" and "by" not in shown[0], shown
        assert shown[0]["official_role"] == "appraising official (supervisor)"

        hr = await client.get(url, headers=auth(s, Role.HR_ADMIN, "marelan"))
        assert hr.json()["calibrations"][0]["by"] == "pejabat-penilai"
        boss = await client.get(url, headers=auth(s, Role.SUPERVISOR, "marelan", BOSS))
        assert boss.status_code == 200
        stranger = await client.get(url, headers=auth(s, Role.SUPERVISOR, "marelan", OTHER_BOSS))
        assert (stranger.status_code, stranger.json()["type"].rsplit("/", 1)[-1]) == (403, "not-yours")
        other_region = await client.get(url, headers=auth(s, Role.HR_ADMIN, "plaju"))
        assert (other_region.status_code, other_region.json()["type"].rsplit("/", 1)[-1]) == (
            403,
            "other-region",
        )
        listed = await client.get(
            f"/employees/{STAFF}/scores/", headers=auth(s, Role.EMPLOYEE, "marelan", STAFF)
        )
        assert [(r["cycle_id"], r["predicate"]) for r in listed.json()] == [(CYCLE, "baik")]
        assert "calibrations" not in listed.json()[0]

        body = {"decision": "overridden", "predicate": "sangat_baik", "reason": "Inovasi layanan"}
        refused = await client.post(
            f"{url}/calibration", json=body, headers=auth(s, Role.SUPERVISOR, "marelan", OTHER_BOSS)
        )
        assert (refused.status_code, refused.json()["type"].rsplit("/", 1)[-1]) == (403, "not-appraiser")
        done = await client.post(
            f"{url}/calibration", json=body, headers=auth(s, Role.SUPERVISOR, "marelan", BOSS)
        )
        assert done.status_code == 201, done.text
        assert (done.json()["predicate"], done.json()["decision"]) == ("sangat_baik", "overridden")
        after = await client.get(url, headers=auth(s, Role.HR_ADMIN, "marelan"))
        assert after.json()["predicate"] == "sangat_baik" and after.json()["calibrated"] is True
        assert [c["by"] for c in after.json()["calibrations"]] == ["pejabat-penilai", f"supervisor-{BOSS}"]

        unit = await client.get(
            f"/cycles/{CYCLE}/units/dinkes/distribution", headers=auth(s, Role.HR_ADMIN, "marelan")
        )
        assert unit.status_code == 200, unit.text
        assert unit.json()["predicates"]["sangat_baik"] == 1 and unit.json()["calibrated"] == [STAFF]
