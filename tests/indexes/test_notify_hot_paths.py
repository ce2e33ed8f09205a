"""notify's per-event, per-delivery and per-request work is answered through indexes, whatever
history the database holds: people of other regions and years of delivered messages are seeded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from services.notify.channel.email import EmailSender
from services.notify.channel.guard import guarded_client
from services.notify.channel.webhook import WebhookSender
from services.notify.config import NotifySettings
from services.notify.domain import DeliveryStatus, Notification
from services.notify.service import NotifyService
from services.notify.store import DELIVERIES, PEOPLE, NotifyStore
from shared.mongo import page_key
from shared.settings import Settings
from tests.indexes.recorder import Recorded, RecordingDatabase, seed, unindexed
from tests.notify.loopback import SITI, people, score_finalized, score_held

HISTORY = 50_000
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def long_ago_plus_day() -> datetime:
    return LONG_AGO + timedelta(days=1)


async def _seed(db: Any) -> None:
    long_ago = LONG_AGO
    people_docs, deliveries = [], []
    for i in range(HISTORY):
        nip = f"{197001012000000000 + i}"
        people_docs.append(
            {"_id": nip, "region": "plaju", "active": True, "name": f"P {i}", "language": "id"}
        )
        at = long_ago + timedelta(minutes=i)
        nid = f"{i:08d}-0000-5000-8000-000000000000"
        deliveries.append(
            {
                "_id": nid,
                "region": "marelan",
                "channel": "inbox" if i % 2 else "webhook",
                "recipient": nip if i % 2 else "sub-1",
                "status": "delivered" if i % 3 else "failed",
                "created_at": at,
                "event_type": "scoring.score_finalized",
                "page_key": page_key(at, nid),
                "notification": Notification(
                    notification_id=nid,
                    source_event_id=f"e-{i}",
                    event_type="scoring.score_finalized",
                    region="marelan",
                    occurred_at=at,
                    channel="inbox" if i % 2 else "webhook",
                    role="employee",
                    recipient=nip if i % 2 else "sub-1",
                ).model_dump_json(),
                "updated_at": at,
                "inbox": "read",
            }
        )
    await seed(db, {PEOPLE: people_docs, DELIVERIES: deliveries})


async def test_planning_delivering_and_reading_an_inbox_go_through_indexes(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    db = mongo[isolated_settings.database("notify")]
    recorded = Recorded()
    recording = RecordingDatabase(db, recorded)
    store = NotifyStore(recording)  # type: ignore[arg-type]
    await store.ensure_indexes()
    await _seed(db)

    config = NotifySettings()
    service = NotifyService(
        store,
        config,
        email=EmailSender(config.smtp(), policy=config.email_policy()),
        webhooks=WebhookSender(
            guarded_client(config.allowed_networks()), policy=config.webhook_policy(), timeout_s=1.0
        ),
    )
    for event in people():
        await service.record_person(event)

    recorded.clear()
    planned = await service.plan_event(score_finalized()) + await service.plan_event(score_held())
    now = datetime.now(UTC)
    while (delivery := await store.claim_next("token", now, now + timedelta(minutes=1))) is not None:
        if delivery.notification.channel == "inbox":
            await service.deliver(delivery)
    await service.interrupt_expired()
    newest = await service.read_inbox(SITI, unread_only=False, limit=1)
    await service.read_inbox(SITI, unread_only=True, limit=20)
    await service.read_inbox(SITI, unread_only=False, before=newest[0].page_key, limit=20)
    # The admin's lists: a region's deliveries by channel, its dead letters, every region's.
    failed = await service.list_deliveries(
        "marelan", status=DeliveryStatus.FAILED, channel=None, recipient=None, limit=50
    )
    assert len(failed) == 50 and all(d.status is DeliveryStatus.FAILED for d in failed)
    later = await service.list_deliveries(
        "marelan",
        status=DeliveryStatus.FAILED,
        channel=None,
        recipient=None,
        after=failed[-1].page_key,
        limit=50,
    )
    assert later[0].page_key > failed[-1].page_key and {d.page_key for d in later}.isdisjoint(
        d.page_key for d in failed
    )
    await service.list_deliveries(
        "marelan", status=None, channel="webhook", recipient=None, since=long_ago_plus_day(), limit=50
    )
    await service.list_deliveries(None, status=None, channel=None, recipient=None, limit=50)

    assert planned >= 4 and await db[DELIVERIES].count_documents({"recipient": SITI}) >= 2
    assert len(recorded.queries) >= 5, recorded.queries
    assert await unindexed(db, recorded) == [], recorded.queries
