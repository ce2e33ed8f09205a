"""Notify use cases on the real database: idempotent planning, the directory's order, interrupted sends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from services.notify.channel import EmailSender, WebhookSender
from services.notify.config import NotifySettings
from services.notify.service import NotifyService
from services.notify.store import NotifyStore
from shared.outbox import OUTBOX_FIELD
from shared.settings import Settings
from tests.notify.loopback import SITI, employee, people, score_finalized


@pytest.fixture
async def service(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> AsyncIterator[NotifyService]:
    db = mongo[isolated_settings.database("notify")]
    config = NotifySettings(smtp_port=9)
    async with httpx.AsyncClient() as http:
        svc = NotifyService(
            NotifyStore(db),
            config,
            email=EmailSender(config.smtp()),
            webhooks=WebhookSender(http),
        )
        await svc.store.ensure_indexes()
        yield svc


async def test_planning_an_event_twice_writes_nothing_new(service: NotifyService) -> None:
    for event in people():
        await service.record_person(event)
    event = score_finalized()
    assert await service.plan_event(event) == 4  # inbox and e-mail for Siti and her supervisor
    assert await service.plan_event(event) == 0
    assert await service.store.db["deliveries"].count_documents({}) == 4


async def test_an_older_directory_record_does_not_overwrite_a_newer_one(service: NotifyService) -> None:
    new = employee(SITI, "Siti Rahmawati", language="en", email="new@example.id")
    old = new.model_copy(update={"occurred_at": new.occurred_at - timedelta(days=1)})
    old = old.model_copy(update={"employee": old.employee.model_copy(update={"email": "old@example.id"})})
    await service.record_person(new)
    await service.record_person(old)  # arrives late, e.g. replayed from another partition's history
    doc = await service.store.db["people"].find_one({"_id": SITI})
    assert doc is not None and doc["email"] == "new@example.id"


async def test_a_send_interrupted_by_a_crash_becomes_a_dead_letter_not_a_second_send(
    service: NotifyService,
) -> None:
    for event in people():
        await service.record_person(event)
    await service.plan_event(score_finalized())
    now = datetime.now(UTC)
    # A worker claims a delivery with a lease, then the process dies before it records anything.
    claimed = await service.store.claim_next(
        "dead-worker", now - timedelta(minutes=20), now - timedelta(minutes=10)
    )
    assert claimed is not None and claimed.notification.channel == "email"

    assert await service.interrupt_expired() == 1
    assert await service.interrupt_expired() == 0
    doc = await service.store.db["deliveries"].find_one({"_id": claimed.notification.notification_id})
    assert doc is not None
    assert doc["status"] == "failed" and doc["last_error"].startswith("interrupted")
    (report,) = [json.loads(e["value"]) for e in doc[OUTBOX_FIELD].values()]
    assert (report["type"], report["channel"]) == ("notify.failed", "email")

    # Other pending deliveries are untouched, and a new worker never picks the interrupted one up.
    nxt = await service.store.claim_next("new-worker", now, now + timedelta(minutes=10))
    assert nxt is not None and nxt.notification.notification_id != claimed.notification.notification_id
