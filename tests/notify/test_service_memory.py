"""Notify's use cases over the in-memory store (tests/notify/memory.py): no Kafka, no MongoDB.

What the service decides (which deliveries an event plans, what a redelivery or a crash mid-send
leaves behind, the inbox's first reading) is tested here; the same on the real servers is in
test_service_delivery.py and the flows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.notify.channel import EmailSender, WebhookSender
from services.notify.config import NotifySettings
from services.notify.domain import DeliveryStatus, ReplayQuery
from services.notify.service import NotifyService
from services.notify.store import NotifyStorage
from shared.events.notify import NotificationDelivered, NotificationFailed
from tests.notify.loopback import BUDI, REGION, SITI, people, score_finalized
from tests.notify.memory import MemoryNotifyStore


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 8, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Setup:
    def __init__(self, service: NotifyService, store: MemoryNotifyStore, clock: Clock) -> None:
        self.service, self.store, self.clock = service, store, clock
        self.nudges = 0

    def nudge(self) -> None:
        self.nudges += 1


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    store = MemoryNotifyStore()
    typed: NotifyStorage = store  # the fake keeps the protocol the service is typed against
    config = NotifySettings(smtp_port=9)
    clock = Clock()
    async with httpx.AsyncClient() as http:
        service = NotifyService(
            typed, config, email=EmailSender(config.smtp()), webhooks=WebhookSender(http), clock=clock
        )
        it = Setup(service, store, clock)
        service.nudge = it.nudge
        for event in people():
            await service.record_person(event)
        yield it


async def test_a_final_score_plans_an_inbox_message_and_an_email_for_the_employee_and_her_supervisor(
    setup: Setup,
) -> None:
    assert await setup.service.plan_event(score_finalized()) == 4

    planned = {(d["recipient"], d["channel"]): d["status"] for d in setup.store.docs.values()}
    assert planned == {
        (SITI, "inbox"): "delivered",
        ("siti@example.id", "email"): "pending",
        (BUDI, "inbox"): "delivered",
        ("budi@example.id", "email"): "pending",
    }
    # Writing an inbox message is delivering it: its report rides in the same write.
    reports = setup.store.staged
    assert all(isinstance(e, NotificationDelivered) for e in reports)
    assert sorted((e.type, e.channel, e.recipient) for e in reports) == [  # type: ignore[attr-defined]
        ("notify.delivered", "inbox", BUDI),
        ("notify.delivered", "inbox", SITI),
    ]
    assert setup.nudges == 1  # the e-mails wait for the worker


async def test_a_redelivered_event_plans_nothing_new(setup: Setup) -> None:
    event = score_finalized()
    await setup.service.plan_event(event)
    staged = list(setup.store.staged)

    assert await setup.service.plan_event(event) == 0
    assert len(setup.store.docs) == 4
    assert setup.store.staged == staged  # no second report
    assert setup.nudges == 1


async def test_a_send_cut_off_mid_way_becomes_a_dead_letter_that_a_replay_sends_again(setup: Setup) -> None:
    await setup.service.plan_event(score_finalized())
    claimed = await setup.service.claim_delivery(timedelta(minutes=5))
    assert claimed is not None and claimed.notification.channel == "email"
    nid = claimed.notification.notification_id

    setup.clock.now += timedelta(minutes=4)
    assert await setup.service.interrupt_expired() == 0  # still within its lease
    setup.clock.now += timedelta(minutes=2)
    assert await setup.service.interrupt_expired() == 1
    assert await setup.service.interrupt_expired() == 0
    doc = setup.store.docs[nid]
    assert doc["status"] == "failed" and doc["last_error"].startswith("interrupted")
    assert isinstance(setup.store.staged[-1], NotificationFailed)

    # Never resent on its own: the next claim is the other e-mail.
    other = await setup.service.claim_delivery(timedelta(minutes=5))
    assert other is not None and other.notification.notification_id != nid

    since = datetime(2026, 12, 1, tzinfo=UTC)
    query = ReplayQuery(
        statuses=frozenset({DeliveryStatus.FAILED}),
        channel="email",
        since=since,
        until=since + timedelta(days=1),
    )
    assert await setup.service.replay(REGION, query) == [nid]
    assert (doc["status"], doc["round"]) == ("pending", 1)
    again = await setup.service.claim_delivery(timedelta(minutes=5))
    assert again is not None and again.notification.notification_id == nid and again.round == 1


async def test_the_first_reading_of_an_inbox_message_is_the_one_kept(setup: Setup) -> None:
    await setup.service.plan_event(score_finalized())
    (message,) = await setup.service.read_inbox(SITI, unread_only=True, limit=10)
    nid = message.notification.notification_id

    first = await setup.service.mark_read(SITI, nid)
    setup.clock.now += timedelta(hours=1)
    second = await setup.service.mark_read(SITI, nid)

    assert first.read_at == second.read_at == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert await setup.service.read_inbox(SITI, unread_only=True, limit=10) == []
    assert [
        d.notification.notification_id
        for d in await setup.service.read_inbox(SITI, unread_only=False, limit=10)
    ] == [nid]
