"""The subscription API: region admins manage their region's webhooks; secrets are shown once."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from services.notify.app import create_app
from services.notify.config import NotifySettings
from shared.auth import Role
from shared.settings import Settings
from tests.notify.loopback import REGION, Auth, Publish, people

PROBLEM = "https://kinerja.example.id/problems/"


async def test_subscription_lifecycle_without_ever_showing_the_secret_again(
    isolated_settings: Settings, notify_settings: NotifySettings, auth: Auth
) -> None:
    admin, system = auth(Role.REGION_ADMIN), auth(Role.SYSTEM, region=None)
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:
        created = await client.post(
            "/subscriptions",
            json={"event_types": ["scoring.score_finalized"], "url": "https://simpeg.example.id/hooks"},
            headers=admin,
        )
        assert created.status_code == 201
        body = created.json()
        sub_id, secret = body["subscription_id"], body["secret"]
        assert len(secret) >= 32 and body["region"] == "marelan"

        listed = (await client.get("/subscriptions", headers=admin)).json()
        one = (await client.get(f"/subscriptions/{sub_id}", headers=admin)).json()
        changed = await client.patch(
            f"/subscriptions/{sub_id}",
            json={
                "active": False,
                "event_types": ["scoring.score_finalized", "career.recommendation_issued"],
            },
            headers=admin,
        )
        assert changed.status_code == 200
        assert changed.json()["active"] is False
        assert changed.json()["event_types"] == ["career.recommendation_issued", "scoring.score_finalized"]
        everything = (await client.get("/subscriptions", headers=system)).json()
        for shown in (*listed, one, changed.json(), *everything):
            assert "secret" not in shown and secret not in str(shown)
        assert [s["subscription_id"] for s in everything] == [sub_id]

        removed = await client.delete(f"/subscriptions/{sub_id}", headers=admin)
        assert removed.status_code == 204
        gone = await client.get(f"/subscriptions/{sub_id}", headers=admin)
        assert (gone.status_code, gone.json()["type"]) == (404, PROBLEM + "subscription-not-found")


async def test_subscriptions_are_refused_to_other_roles_regions_and_bad_input(
    isolated_settings: Settings, notify_settings: NotifySettings, auth: Auth
) -> None:
    admin, plaju = auth(Role.REGION_ADMIN), auth(Role.REGION_ADMIN, region="plaju")
    good = {"event_types": ["scoring.score_finalized"], "url": "https://simpeg.example.id/hooks"}
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:
        sub_id = (await client.post("/subscriptions", json=good, headers=admin)).json()["subscription_id"]
        cases = {
            "role": await client.post("/subscriptions", json=good, headers=auth(Role.HR_ADMIN)),
            "other-region": await client.get("/subscriptions", params={"region": "marelan"}, headers=plaju),
            "subscription-not-found": await client.get(f"/subscriptions/{sub_id}", headers=plaju),
            "unknown-event-type": await client.post(
                "/subscriptions", json={**good, "event_types": ["feedback.submitted"]}, headers=admin
            ),
            "invalid-url": await client.post(
                "/subscriptions", json={**good, "url": "file:///etc/passwd"}, headers=admin
            ),
            "region-required": await client.post(
                "/subscriptions", json=good, headers=auth(Role.SYSTEM, region=None)
            ),
            "unknown-region": await client.post(
                "/subscriptions", json={**good, "region": "atlantis"}, headers=auth(Role.SYSTEM, region=None)
            ),
            "replay-delivered-email": await client.post(
                "/deliveries/replay",
                json={
                    "channel": "email",
                    "statuses": ["delivered"],
                    "since": "2026-01-01T00:00:00Z",
                    "until": "2026-02-01T00:00:00Z",
                },
                headers=admin,
            ),
        }
        plaju_deletes = await client.delete(f"/subscriptions/{sub_id}", headers=plaju)
        still_there = await client.get(f"/subscriptions/{sub_id}", headers=admin)
    for slug, response in cases.items():
        assert response.json()["type"] == PROBLEM + slug, (slug, response.text)
    assert [cases[s].status_code for s in cases] == [403, 403, 404, 422, 422, 422, 422, 422]
    assert plaju_deletes.status_code == 404 and still_there.status_code == 200


async def test_the_system_role_subscribes_for_a_region_once_notify_has_seen_its_employees(
    isolated_settings: Settings,
    notify_settings: NotifySettings,
    auth: Auth,
    publish: Publish,
    mongo: Any,
    eventually: Any,
) -> None:
    system = auth(Role.SYSTEM, region=None)
    body = {
        "event_types": ["scoring.score_finalized"],
        "url": "https://simpeg.example.id/hooks",
        "region": REGION,
    }
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:
        before = await client.post("/subscriptions", json=body, headers=system)
        assert (before.status_code, before.json()["type"]) == (422, PROBLEM + "unknown-region")
        await publish(*people())
        regions = mongo[isolated_settings.database("notify")]["regions"]
        assert await eventually(lambda: regions.find_one({"_id": REGION}), timeout=60)
        after = await client.post("/subscriptions", json=body, headers=system)
    assert after.status_code == 201, after.text
