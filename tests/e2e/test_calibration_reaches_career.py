"""A calibration reaches career in seconds: the appraising official overrides a final predicate
through scoring's API and career's allowance recommendation follows.

Scoring and career run in-process on the real broker and database.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.testing import AsyncTestClient

from services.career.app import create_app as career_app
from services.scoring.app import create_app as scoring_app
from shared.auth import Role, issue_token
from shared.settings import Settings
from tests.scoring.flow import BOSS, CYCLE, NURSE, REGION, nurse_cycle, publish

#: Generous against a loaded CI machine, and far below the five minutes the outside run saw.
WITHIN_S = 30.0


async def test_an_override_changes_careers_allowance_within_seconds(
    isolated_settings: Settings, eventually: Any
) -> None:
    settings = isolated_settings
    flow = nurse_cycle()
    hr = {"Authorization": "Bearer " + issue_token(settings, subject="hr", role=Role.HR_ADMIN, region=REGION)}
    boss = {
        "Authorization": "Bearer "
        + issue_token(settings, subject="pejabat", role=Role.SUPERVISOR, region=REGION, nip=BOSS)
    }
    async with (
        AsyncTestClient(scoring_app(settings)) as scoring,
        AsyncTestClient(career_app(settings)) as career,
    ):
        await publish(settings, [*flow.people, flow.opened])
        await publish(settings, flow.inputs)
        await publish(settings, [flow.closed])

        async def allowance() -> dict[str, Any] | None:
            """The details of the cycle's one proposed allowance recommendation, once there is one."""
            response = await career.get(
                "/recommendations", params={"nip": NURSE, "kind": "allowance"}, headers=hr
            )
            found = [
                r["details"]
                for r in (response.json() if response.status_code == 200 else [])
                if r["cycle_id"] == CYCLE and r["status"] == "proposed"
            ]
            return found[0] if len(found) == 1 else None

        async def final_score() -> bool:
            response = await scoring.get(f"/cycles/{CYCLE}/scores/{NURSE}", headers=hr)
            return response.status_code == 200 and response.json()["status"] == "final"

        async def settled() -> dict[str, Any] | None:
            return await allowance() if await final_score() else None

        before = await eventually(settled, timeout=120)
        assert before is not None, "career never recommended an allowance for the final score"

        body = {
            "decision": "overridden",
            "predicate": "butuh_perbaikan",
            "reason": "Target utama tidak tercapai",
        }
        started = time.monotonic()
        done = await scoring.post(f"/cycles/{CYCLE}/scores/{NURSE}/calibration", json=body, headers=boss)
        assert done.status_code == 201, done.text

        async def changed() -> dict[str, Any] | None:
            found = await allowance()
            return found if found is not None and found != before else None

        after = await eventually(changed, timeout=WITHIN_S, interval=0.25)
        took = time.monotonic() - started
    assert before["predicate"] == "baik" and before["percent"] == 100.0, before
    assert after is not None and after["predicate"] == "butuh_perbaikan", (
        f"career did not reflect the calibration within {WITHIN_S} s: {after}"
    )
    assert took < WITHIN_S
