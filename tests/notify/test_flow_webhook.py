"""Webhooks end to end: a subscription made over the API, events on Kafka, a real receiver on loopback."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.notify.app import create_app
from services.notify.channel import DELIVERY_ID_HEADER, EVENT_ID_HEADER, standard_secret
from services.notify.config import NotifySettings
from shared.auth import Role
from shared.events.notify import DELIVERIES_TOPIC
from shared.settings import Settings
from tests.notify.loopback import ANI, Auth, Publish, Receiver, people, reports, score_finalized

Eventually = Callable[..., Awaitable[Any]]
ReadTopic = Callable[..., Awaitable[list[Any]]]


async def _subscribe(client: AsyncTestClient[Any], auth: Auth, receiver: Receiver) -> str:
    created = await client.post(
        "/subscriptions",
        json={"event_types": ["scoring.score_finalized"], "url": receiver.url, "secret": receiver.secret},
        headers=auth(Role.REGION_ADMIN),
    )
    assert created.status_code == 201, created.text
    # The secret as a Standard Webhooks library takes it: the receiver verifies with that form.
    assert created.json()["webhook_secret"] == standard_secret(receiver.secret)
    sub_id: str = created.json()["subscription_id"]
    return sub_id


async def test_receiver_failing_twice_gets_the_signed_event_on_the_third_attempt(
    isolated_settings: Settings,
    notify_settings: NotifySettings,
    receiver: Receiver,
    publish: Publish,
    auth: Auth,
    eventually: Eventually,
    read_topic: ReadTopic,
) -> None:
    receiver.script = [500, 503]
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:
        sub_id = await _subscribe(client, auth, receiver)
        event = score_finalized()
        await publish(event)
        assert await eventually(lambda: _accepted(receiver, 1), timeout=60), "the webhook never got through"
        (delivered,) = await reports(read_topic, isolated_settings.topic(DELIVERIES_TOPIC), 1)
        records = await read_topic(isolated_settings.topic(DELIVERIES_TOPIC), 1)

    # Keyed by notification id, as docs/events.md says: one notification's reports stay in order.
    assert records[0].key.decode() == delivered["notification_id"] == delivered["key"]
    assert [h.status for h in receiver.hits] == [500, 503, 200]
    assert all(h.signature_ok for h in receiver.hits), "every attempt verifies with the secret"
    assert len({h.headers[DELIVERY_ID_HEADER.lower()] for h in receiver.hits}) == 1, "one delivery, retried"
    assert receiver.hits[-1].headers[EVENT_ID_HEADER.lower()] == str(event.event_id)
    body = json.loads(receiver.hits[-1].body)
    assert body["score"]["predicate"] == "baik"
    assert "explanation" not in body["score"] and ANI not in receiver.hits[-1].body.decode()
    assert (delivered["type"], delivered["recipient"], delivered["attempts"]) == (
        "notify.delivered",
        sub_id,
        3,
    )


async def test_receiver_that_keeps_failing_gets_a_dead_letter_that_replays_once_it_is_fixed(
    isolated_settings: Settings,
    notify_settings: NotifySettings,
    receiver: Receiver,
    publish: Publish,
    auth: Auth,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    eventually: Eventually,
    read_topic: ReadTopic,
) -> None:
    receiver.default = 502
    admin = auth(Role.REGION_ADMIN)
    deliveries = mongo[isolated_settings.database("notify")]["deliveries"]
    started = datetime.now(UTC) - timedelta(minutes=1)
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:
        sub_id = await _subscribe(client, auth, receiver)
        await publish(score_finalized())

        async def dead_letters() -> list[dict[str, Any]]:
            found = await client.get(
                "/deliveries", params={"status": "failed", "channel": "webhook"}, headers=admin
            )
            body: list[dict[str, Any]] = found.json()
            return body

        (dead,) = await eventually(dead_letters, timeout=60)
        assert (dead["recipient"], dead["attempts"]) == (sub_id, notify_settings.webhook_attempts)
        assert dead["last_error"] == "HTTP 502: receiver says no"
        assert len(receiver.hits) == notify_settings.webhook_attempts
        for since, expected in ((started, [dead["notification_id"]]), (datetime.now(UTC), [])):
            listed = await client.get(
                "/deliveries", params={"channel": "webhook", "since": since.isoformat()}, headers=admin
            )
            assert [d["notification_id"] for d in listed.json()] == expected

        receiver.default = 200  # the receiver is fixed
        window = {
            "since": started.isoformat(),
            "until": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        }
        replay = await client.post(
            "/deliveries/replay", json={**window, "recipient": sub_id, "channel": "webhook"}, headers=admin
        )
        assert replay.status_code == 202, replay.text
        assert replay.json() == {"queued": 1, "notification_ids": [dead["notification_id"]]}
        assert await eventually(lambda: _accepted(receiver, 1), timeout=60), "the replay never got through"
        assert await eventually(lambda: _status(deliveries, dead["notification_id"], "delivered"), timeout=60)

        again = await client.post("/deliveries/replay", json=window, headers=admin)
        assert again.json()["queued"] == 0, "only failed deliveries are replayed by default"
        both = await reports(read_topic, isolated_settings.topic(DELIVERIES_TOPIC), 2)

    assert receiver.accepted()[0].headers[DELIVERY_ID_HEADER.lower()] == dead["notification_id"]
    assert receiver.accepted()[0].signature_ok
    assert [(r["type"], r["attempts"]) for r in both] == [
        ("notify.failed", notify_settings.webhook_attempts),
        ("notify.delivered", 1),
    ]
    assert both[0]["event_id"] != both[1]["event_id"]


async def test_subscriptions_only_hear_their_region_and_event_types(
    isolated_settings: Settings,
    notify_settings: NotifySettings,
    receiver: Receiver,
    publish: Publish,
    auth: Auth,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    eventually: Eventually,
) -> None:
    deliveries = mongo[isolated_settings.database("notify")]["deliveries"]
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:
        await _subscribe(client, auth, receiver)
        other = score_finalized().model_copy(update={"region": "plaju"})
        await publish(*people(), other, score_finalized())
        assert await eventually(lambda: _accepted(receiver, 1), timeout=60)
        # The plaju score was consumed first (same partition key, same topic) and planned nothing.
        assert await deliveries.count_documents({"region": "plaju"}) == 0
    assert len(receiver.hits) == 1
    assert json.loads(receiver.hits[0].body)["region"] == "marelan"


async def _accepted(receiver: Receiver, n: int) -> bool:
    return len(receiver.accepted()) >= n


async def _status(collection: Any, nid: str, status: str) -> bool:
    doc = await collection.find_one({"_id": nid})
    return doc is not None and doc["status"] == status
