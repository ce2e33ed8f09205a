"""The inbox API: owners read and mark their messages; nobody else may, not even to learn they exist."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.notify.app import create_app
from services.notify.config import NotifySettings
from shared.auth import Role
from shared.settings import Settings
from tests.notify.conftest import Auth, Publish
from tests.notify.loopback import ANI, BUDI, SITI, cycle_opened, people, score_finalized, score_held

Eventually = Callable[..., Awaitable[Any]]
PROBLEM = "https://kinerja.example.id/problems/"


async def test_owners_read_and_mark_their_inbox_and_others_are_denied(
    isolated_settings: Settings,
    notify_settings: NotifySettings,
    publish: Publish,
    auth: Auth,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    eventually: Eventually,
) -> None:
    db = mongo[isolated_settings.database("notify")]
    siti, budi, ani = (
        auth(Role.EMPLOYEE, nip=SITI),
        auth(Role.SUPERVISOR, nip=BUDI),
        auth(Role.EMPLOYEE, nip=ANI),
    )
    hr, hr_plaju = auth(Role.HR_ADMIN), auth(Role.HR_ADMIN, region="plaju")
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:
        await publish(*people())
        assert await eventually(lambda: _at_least(db["people"], {}, 3), timeout=60)
        await publish(score_finalized(), cycle_opened())
        assert await eventually(lambda: _at_least(db["deliveries"], {"channel": "inbox"}, 6), timeout=60)

        async def inbox(owner: str, headers: dict[str, str], **params: Any) -> Any:
            return await client.get(f"/inbox/{owner}/messages", headers=headers, params=params)

        mine = (await inbox(SITI, siti)).json()
        assert sorted(m["event_type"] for m in mine) == ["feedback.cycle_opened", "scoring.score_finalized"]
        score = next(m for m in mine if m["event_type"] == "scoring.score_finalized")
        assert score["language"] == "en" and score["subject"].startswith("Your performance predicate")
        assert score["read_at"] is None

        marked = await client.post(f"/inbox/{SITI}/messages/{score['notification_id']}/read", headers=siti)
        assert marked.status_code == 200 and marked.json()["read_at"] is not None
        unread = (await inbox(SITI, siti, unread="true")).json()
        assert [m["event_type"] for m in unread] == ["feedback.cycle_opened"]

        boss = (await inbox(BUDI, budi)).json()
        summary = next(m for m in boss if m["event_type"] == "scoring.score_finalized")
        assert summary["language"] == "id" and "Siti Rahmawati" in summary["text"]
        peer = (await inbox(ANI, ani)).json()
        assert [m["event_type"] for m in peer] == ["feedback.cycle_opened"], (
            "a peer hears nothing of her score"
        )

        desk = (await inbox("hr:marelan", hr)).json()
        assert [m["event_type"] for m in desk] == ["feedback.cycle_opened"]

        denied = {
            "peer reads hers": await inbox(SITI, ani),
            "supervisor reads hers": await inbox(SITI, budi),
            "HR reads hers": await inbox(SITI, hr),
            "employee reads HR's": await inbox("hr:marelan", siti),
            "other region's HR": await inbox("hr:marelan", hr_plaju),
            "peer marks hers": await client.post(
                f"/inbox/{SITI}/messages/{score['notification_id']}/read", headers=ani
            ),
        }
        for case, response in denied.items():
            assert response.status_code == 403, case
            assert response.json()["type"] == PROBLEM + "not-your-inbox", case
        # A token of another region that carries her NIP opens nothing: each region signs its own.
        for headers in (auth(Role.EMPLOYEE, region="plaju", nip=SITI),):
            for response in (
                await inbox(SITI, headers),
                await client.post(f"/inbox/{SITI}/messages/{score['notification_id']}/read", headers=headers),
            ):
                assert (response.status_code, response.json()["type"]) == (403, PROBLEM + "other-region")

        # Her message id in his own inbox: not found, and nothing about hers is revealed.
        foreign = await client.post(f"/inbox/{ANI}/messages/{score['notification_id']}/read", headers=ani)
        assert (foreign.status_code, foreign.json()["type"]) == (404, PROBLEM + "message-not-found")
        anonymous = await client.get(f"/inbox/{SITI}/messages")
        assert (anonymous.status_code, anonymous.json()["type"]) == (401, PROBLEM + "missing-token")

    doc = await db["deliveries"].find_one({"_id": score["notification_id"]})
    assert doc is not None and doc["read_at"] is not None


async def test_a_held_score_reaches_the_employee_the_supervisor_and_the_hr_desk(
    isolated_settings: Settings,
    notify_settings: NotifySettings,
    publish: Publish,
    auth: Auth,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    eventually: Eventually,
) -> None:
    """Issue 16, item 9: HR and the supervisor are told which input a held score waits for."""
    db = mongo[isolated_settings.database("notify")]
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:
        await publish(*people())
        assert await eventually(lambda: _at_least(db["people"], {}, 3), timeout=60)
        await publish(score_held())
        assert await eventually(lambda: _at_least(db["deliveries"], {"channel": "inbox"}, 3), timeout=60)

        async def held(owner: str, headers: dict[str, str]) -> dict[str, Any]:
            messages = (await client.get(f"/inbox/{owner}/messages", headers=headers)).json()
            [message] = [m for m in messages if m["event_type"] == "scoring.score_held"]
            return dict(message)

        desk = await held("hr:marelan", auth(Role.HR_ADMIN))
        assert desk["subject"].startswith("[SDM]") and SITI in desk["text"]
        assert "atasan langsung" in desk["text"]  # the missing input, in words
        boss = await held(BUDI, auth(Role.SUPERVISOR, nip=BUDI))
        assert "Siti Rahmawati" in boss["text"] and "atasan langsung" in boss["text"]
        own = await held(SITI, auth(Role.EMPLOYEE, nip=SITI))
        assert own["language"] == "en" and "not misconduct" in own["text"]
        peer = (await client.get(f"/inbox/{ANI}/messages", headers=auth(Role.EMPLOYEE, nip=ANI))).json()
        assert peer == []


async def _at_least(collection: Any, query: dict[str, Any], n: int) -> bool:
    return bool(await collection.count_documents(query) >= n)
