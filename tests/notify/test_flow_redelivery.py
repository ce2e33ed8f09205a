"""No repeats: an event delivered again, even to a restarted consumer, sends nothing twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.notify.app import create_app
from services.notify.config import NotifySettings
from shared.auth import Role
from shared.events.scoring import ScoreComputed
from shared.settings import Settings
from tests.notify.loopback import SITI, Auth, Mailbox, Publish, Receiver, people, score_finalized

Eventually = Callable[..., Awaitable[Any]]


def sentinel() -> ScoreComputed:
    """An event of another region on the same partition: once it is handled, what came before was too."""
    score = score_finalized().score
    event: ScoreComputed = ScoreComputed.build(
        region="nowhere", correlation_id="sentinel", producer="test", key=SITI, score=score
    )
    return event


async def test_redelivered_event_sends_no_second_email_or_webhook(
    isolated_settings: Settings,
    notify_settings: NotifySettings,
    mailbox: tuple[Mailbox, int],
    receiver: Receiver,
    publish: Publish,
    auth: Auth,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    eventually: Eventually,
) -> None:
    box, _ = mailbox
    db = mongo[isolated_settings.database("notify")]
    event = score_finalized()

    async def handled(event_id: object) -> bool:
        return await db["inbox"].find_one({"_id": str(event_id)}) is not None

    async with AsyncTestClient(create_app(isolated_settings, notify_settings)) as client:
        created = await client.post(
            "/subscriptions",
            json={"event_types": ["scoring.score_finalized"], "url": receiver.url, "secret": receiver.secret},
            headers=auth(Role.REGION_ADMIN),
        )
        assert created.status_code == 201
        await publish(*people())
        assert await eventually(lambda: _at_least(db["people"], 3), timeout=60)
        await publish(event)
        assert await eventually(lambda: _sent(box, receiver, mails=2, hooks=1), timeout=60)
        first = sentinel()
        await publish(event, first)  # the same bytes again, while running
        assert await eventually(lambda: handled(first.event_id), timeout=60)

    # A crash after the handler ran but before the consumer recorded the event: it comes back,
    # to a restarted consumer, and only the handler's own idempotency stands in the way.
    await db["inbox"].delete_one({"_id": str(event.event_id)})
    second = sentinel()
    await publish(event, second)
    async with AsyncTestClient(create_app(isolated_settings, notify_settings)):
        assert await eventually(lambda: handled(event.event_id), timeout=60), (
            "the handler did not see the event again"
        )
        assert await eventually(lambda: handled(second.event_id), timeout=60)

    assert len(box.messages) == 2
    assert len(receiver.hits) == 1
    statuses = [d["status"] async for d in db["deliveries"].find({"source_event_id": str(event.event_id)})]
    assert statuses == ["delivered"] * 5  # inbox and e-mail for Siti and Budi, one webhook


async def _at_least(collection: Any, n: int) -> bool:
    return bool(await collection.count_documents({}) >= n)


async def _sent(box: Mailbox, receiver: Receiver, *, mails: int, hooks: int) -> bool:
    return len(box.messages) >= mails and len(receiver.accepted()) >= hooks
