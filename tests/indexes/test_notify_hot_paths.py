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
from services.notify.service import NotifyService
from services.notify.store import DELIVERIES, PEOPLE, NotifyStore
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.indexes.recorder import Recorded, RecordingDatabase, nowhere, seed, unindexed
from tests.notify.loopback import SITI, people, score_finalized, score_held

HISTORY = 50_000


async def _seed(db: Any) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=900)
    people_docs, deliveries = [], []
    for i in range(HISTORY):
        nip = f"{197001012000000000 + i}"
        people_docs.append(
            {"_id": nip, "region": "plaju", "active": True, "name": f"P {i}", "language": "id"}
        )
        deliveries.append(
            {
                "_id": f"old-{i}",
                "region": "marelan",
                "channel": "inbox",
                "recipient": nip,
                "status": "delivered",
                "created_at": long_ago + timedelta(minutes=i),
                "event_type": "scoring.score_finalized",
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

    relay = OutboxRelay(recording, nowhere, isolated_settings)  # type: ignore[arg-type]
    config = NotifySettings()
    service = NotifyService(
        store,
        relay,
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
    await service.read_inbox(SITI, unread_only=False, limit=20)

    assert planned >= 4 and await db[DELIVERIES].count_documents({"recipient": SITI}) >= 2
    assert len(recorded.queries) >= 5, recorded.queries
    assert await unindexed(db, recorded) == [], recorded.queries
