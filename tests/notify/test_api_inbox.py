"""The inbox API: owners read and mark their messages; nobody else may, not even to learn they exist."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.notify.app import create_app
from services.notify.config import NotifySettings
from services.notify.domain import Notification
from shared.auth import Role
from shared.mongo import page_key
from shared.settings import Settings
from tests.notify.loopback import (
    ANI,
    BUDI,
    SITI,
    Auth,
    Publish,
    cycle_opened,
    people,
    score_finalized,
    score_held,
)

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


async def test_an_inbox_pages_by_key_and_earlier_messages_get_their_key_at_start_up(
    isolated_settings: Settings,
    notify_settings: NotifySettings,
    publish: Publish,
    auth: Auth,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    eventually: Eventually,
) -> None:
    """Five messages as an earlier version wrote them (no page key, no inbox state), three of them
    in the same millisecond: start-up keys them once, and paging two at a time with ``before``
    gives each message once, newest first, the unread ones too."""
    db = mongo[isolated_settings.database("notify")]
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)):
        await publish(*people())
        assert await eventually(lambda: _at_least(db["people"], {}, 3), timeout=60)
        await publish(cycle_opened())
        assert await eventually(lambda: _at_least(db["deliveries"], {"recipient": SITI}, 1), timeout=60)
    written = await db["deliveries"].find_one({"recipient": SITI})
    assert written is not None
    await db["deliveries"].delete_many({})
    await db["migrations"].delete_many({})
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    old = []
    for i, minutes in enumerate((0, 5, 5, 5, 9)):
        nid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"old-{i}"))
        n = Notification.model_validate_json(written["notification"]).model_copy(
            update={"notification_id": nid}
        )
        old.append(
            {
                "_id": nid,
                "notification": n.model_dump_json(),
                "region": "marelan",
                "channel": "inbox",
                "recipient": SITI,
                "status": "delivered",
                "attempts": 1,
                "created_at": at + timedelta(minutes=minutes),
                "updated_at": at,
                "read_at": at if i == 1 else None,
            }
        )
    await db["deliveries"].insert_many(old)
    siti = auth(Role.EMPLOYEE, nip=SITI)
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:

        async def pages(**params: Any) -> list[list[str]]:
            found: list[list[str]] = []
            before: dict[str, str] = {}
            for _ in range(len(old) + 1):  # a page that repeated would not end the walk
                response = await client.get(
                    f"/inbox/{SITI}/messages", headers=siti, params={"limit": 2, **params, **before}
                )
                assert response.status_code == 200, response.text
                page = response.json()
                if not page:
                    return found
                found.append([m["notification_id"] for m in page])
                before = {"before": page[-1]["page_key"]}
            raise AssertionError(f"no end to the pages: {found}")

        every = await pages()
        unread = await pages(unread="true")
        bad = await client.get(f"/inbox/{SITI}/messages", headers=siti, params={"before": "1 OR 1"})
        # One more written as before, after the keying (an earlier replica in a rolling upgrade):
        # read without error, its key made as the keying would have.
        late = {**old[0], "_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "late")), "created_at": at}
        late["notification"] = (
            Notification.model_validate_json(old[0]["notification"])
            .model_copy(update={"notification_id": late["_id"]})
            .model_dump_json()
        )
        await db["deliveries"].insert_one(late)
        after_upgrade = await client.get(f"/inbox/{SITI}/messages", headers=siti, params={"limit": 10})
    newest_first = [d["_id"] for d in sorted(old, key=lambda d: (d["created_at"], d["_id"]), reverse=True)]
    assert [len(p) for p in every] == [2, 2, 1] and list(chain(*every)) == newest_first
    assert list(chain(*unread)) == [nid for nid in newest_first if nid != old[1]["_id"]]
    assert bad.status_code == 400
    listed = {m["notification_id"]: m["page_key"] for m in after_upgrade.json()}
    assert after_upgrade.status_code == 200 and listed[late["_id"]] == page_key(at, late["_id"])
    states = {d["_id"]: d.get("inbox") async for d in db["deliveries"].find({}, {"inbox": 1})}
    assert states[old[1]["_id"]] == "read" and list(states.values()).count("unread") == 4


async def _at_least(collection: Any, query: dict[str, Any], n: int) -> bool:
    return bool(await collection.count_documents(query) >= n)
