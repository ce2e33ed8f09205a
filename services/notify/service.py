"""Use cases of the notify service: plan what an event causes, deliver it, and serve the inbox.

Delivery is split in two so that the Kafka consumer never waits on a slow receiver:

1. :meth:`NotifyService.plan_event` (called by the consumer) writes one ``deliveries`` document
   per notification, keyed by notification id. A redelivered event plans the same ids, the
   inserts hit existing documents, and nothing new is sent. Inbox messages are delivered by that
   write itself; e-mails and webhooks are written ``pending``.
2. :meth:`NotifyService.deliver` (called by the :class:`~services.notify.worker.DeliveryWorker`)
   sends one delivery the worker claimed (``pending`` → ``in_progress``), retrying with backoff
   inside the channel adapter, and records the outcome with its report event in one write.

A delivery is sent only from ``pending``, and only a replay puts a finished one back there.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError

from services.notify import access
from services.notify.channel import EmailSender, WebhookSender
from services.notify.channel.guard import destination_problem
from services.notify.config import NotifySettings
from services.notify.domain import (
    HANDLED_TYPES,
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    Directory,
    HrDesk,
    Notification,
    Person,
    ReplayQuery,
    Subscription,
    TemplateMissing,
    audience,
    delivery_event,
    plan_notifications,
    render,
    select_for_replay,
)
from services.notify.domain.destination import host_of, secret_problem, url_problem
from services.notify.metrics import count_attempts
from services.notify.store import NotifyStorage, delivery_document
from shared.auth import Principal
from shared.errors import NotFound, ValidationFailed
from shared.events.base import Event
from shared.events.feedback import EmployeeUpserted
from shared.events.notify import NotificationDelivered, NotificationFailed
from shared.mongo import TRANSIENT_DB_ERRORS

log = logging.getLogger(__name__)

# Fixed forever: report event ids derive from it, and consumers deduplicate on them.
REPORT_NAMESPACE = uuid.UUID("0c6f7f0e-2b55-4b8e-8d0a-6a4f3f1c9d27")
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def report_event(
    notification: Notification, result: DeliveryResult, *, round_: int, correlation_id: str
) -> NotificationDelivered | NotificationFailed:
    """The report of one delivery round, with an id derived from (notification, round, outcome).

    Recording the same outcome again (after a crash before the outbox entry was removed) gives the
    same event id, which consumers drop as a repeat; a replay is a new round with new ids.
    """
    event = delivery_event(notification, result, correlation_id=correlation_id)
    outcome = "delivered" if result.delivered else "failed"
    event_id = uuid.uuid5(REPORT_NAMESPACE, f"{notification.notification_id}|{round_}|{outcome}")
    return event.model_copy(update={"event_id": event_id})


class NotifyService:
    """The notify use cases over one store and the two channel adapters."""

    def __init__(
        self,
        store: NotifyStorage,
        settings: NotifySettings,
        *,
        email: EmailSender,
        webhooks: WebhookSender,
        nudge: Callable[[], None] = lambda: None,
        clock: Clock = _utcnow,
    ) -> None:
        self.store = store
        self.settings = settings
        self.email = email
        self.webhooks = webhooks
        self.nudge = nudge
        self.clock = clock
        self._regions: set[str] = set()

    # ------------------------------------------------------------------ consuming

    async def record_person(self, event: EmployeeUpserted) -> None:
        """Keep the directory entry of the employee (only what notify needs to reach them)."""
        await self.store.upsert_person(Person.from_upserted(event), event.occurred_at)
        if event.region not in self._regions:  # one write per region and process, not per employee
            await self.store.remember_region(event.region)
            self._regions.add(event.region)

    async def plan_event(self, event: Event) -> int:
        """Write every notification ``event`` causes; returns how many were new."""
        aud = audience(event)
        people = await self.store.people_for(event.region, aud)
        hr = None
        if aud.hr:
            hr = HrDesk(
                region=event.region,
                email=self.settings.hr_emails.get(event.region),
                language=self.settings.hr_language,
            )
        subs = await self.store.subscriptions(event.region, active_only=True)
        directory = Directory.of(
            event.region, people, hr=hr, subscriptions=subs, timezone=self.settings.timezone
        )
        planned = plan_notifications(event, directory)
        fresh = await self.store.insert_deliveries([self._planned(n, event.correlation_id) for n in planned])
        for doc in fresh:
            if doc["status"] == DeliveryStatus.DELIVERED.value:  # an inbox message, with its report
                count_attempts(doc["channel"], delivered=True, attempts=1)
        if any(doc["status"] == DeliveryStatus.PENDING.value for doc in fresh):
            self.nudge()
        return len(fresh)

    def _planned(self, n: Notification, correlation_id: str) -> tuple[dict[str, Any], list[Event]]:
        """The delivery document of ``n`` and the events to stage with it: an inbox message is
        delivered by being written, so its report goes with it."""
        if n.channel != "inbox":
            return delivery_document(n, correlation_id, self.clock()), []
        result = DeliveryResult(notification_id=n.notification_id, delivered=True, attempts=1)
        report = report_event(n, result, round_=0, correlation_id=correlation_id)
        return delivery_document(n, correlation_id, self.clock(), delivered=True), [report]

    # ------------------------------------------------------------------ delivering

    async def claim_delivery(self, lease: timedelta) -> Delivery | None:
        """Claim the oldest pending delivery for ``lease`` under a fresh token; None when none is
        pending. Only the claimant may record its outcome (:meth:`deliver`)."""
        now = self.clock()
        return await self.store.claim_next(uuid.uuid4().hex, now, now + lease)

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        """Send one claimed delivery and record the outcome (with its report event) in one write."""
        n = delivery.notification
        result = await self._send(n)
        now = self.clock()
        status = DeliveryStatus.DELIVERED if result.delivered else DeliveryStatus.FAILED
        report = report_event(n, result, round_=delivery.round, correlation_id=delivery.correlation_id)
        fields = {
            "status": status.value,
            "last_error": result.error,
            "status_code": result.status_code,
            "permanent": result.permanent,
            "updated_at": now,
        }
        if await self._record(n.notification_id, delivery.claim or "", fields, result.attempts, report):
            count_attempts(n.channel, delivered=result.delivered, attempts=result.attempts)
        if not result.delivered:
            log.warning(
                "%s to %s failed after %d attempts: %s", n.channel, n.recipient, result.attempts, result.error
            )
        return result

    async def _record(
        self, nid: str, claim: str, fields: dict[str, Any], attempts: int, report: Event
    ) -> bool:
        # The message is out: losing its outcome to a database blip would later report it as
        # interrupted, so the write is retried for a while before giving up.
        for pause in (0.2, 0.5, 1.0, 2.0, 5.0, 0.0):
            try:
                return await self.store.finish(nid, claim, fields, attempts, [report])
            except TRANSIENT_DB_ERRORS:
                if not pause:
                    raise
                log.warning("recording the outcome of %s failed; retrying in %.1f s", nid, pause)
                await asyncio.sleep(pause)
        return False

    async def _send(self, n: Notification) -> DeliveryResult:
        if n.channel == "email":
            try:
                rendered = render(n)
            except TemplateMissing as exc:
                return _failed(n, f"cannot render: {exc}")
            return await self.email.send(n, rendered)
        if n.channel == "webhook":
            sub = await self.store.subscription(n.recipient)
            if sub is None or not sub.active:
                return _failed(n, f"subscription {n.recipient} was deleted or deactivated")
            return await self.webhooks.send(n, sub)
        return _failed(n, f"channel {n.channel} is not sent by the worker")

    async def interrupt_expired(self) -> int:
        """Record deliveries whose sender vanished mid-send as failed; returns how many.

        Whether the message went out is unknown, so it is not sent again automatically (that could
        send an e-mail twice): it becomes a dead letter that an operator can replay.
        """
        count = 0
        now = self.clock()
        for d in await self.store.expired_claims(now):
            result = _failed(d.notification, "interrupted: the sender stopped mid-send; outcome unknown")
            report = report_event(d.notification, result, round_=d.round, correlation_id=d.correlation_id)
            fields = {"status": DeliveryStatus.FAILED.value, "last_error": result.error, "updated_at": now}
            if await self.store.finish(d.notification.notification_id, d.claim or "", fields, 0, [report]):
                count_attempts(d.notification.channel, delivered=False, attempts=1)
                count += 1
        return count

    # ------------------------------------------------------------------ replay

    async def replay(self, region: str | None, query: ReplayQuery) -> list[str]:
        """Put the deliveries ``query`` selects back to pending; returns their ids in order."""
        candidates = await self.store.replay_candidates(region, query)
        by_id = {d.notification.notification_id: d for d in candidates}
        picked = select_for_replay([d.record for d in candidates], query)
        now = self.clock()
        queued = [
            r.notification_id
            for r in picked
            if await self.store.requeue(r.notification_id, query.statuses, now)
        ]
        if queued:
            log.info("replaying %d deliveries (%s)", len(queued), by_id[queued[0]].notification.channel)
            self.nudge()
        return queued

    # ------------------------------------------------------------------ inbox

    async def authorise_inbox(self, principal: Principal, owner: str) -> None:
        """Allow only the owner of inbox ``owner`` (:mod:`services.notify.access`): the token
        first, then, for a person's inbox, the region notify knows them in."""
        access.check_inbox_token(principal, owner)
        if not access.is_desk(owner):
            access.check_inbox_region(principal, await self.store.person_region(owner))

    async def region_known(self, region: str) -> bool:
        """Whether notify has seen employees of ``region`` (a region it can notify about)."""
        return await self.store.region_known(region)

    async def read_inbox(
        self, owner: str, *, unread_only: bool, before: str | None = None, limit: int
    ) -> list[Delivery]:
        """Messages of inbox ``owner`` (a NIP or ``hr:<region>``), newest first, older than the
        page key ``before`` when given."""
        return await self.store.inbox(owner, unread_only=unread_only, before=before, limit=limit)

    async def mark_read(self, owner: str, nid: str) -> Delivery:
        """Mark message ``nid`` of ``owner`` read; the first reading time is kept."""
        await self.store.mark_read(owner, nid, self.clock())
        found = await self.store.inbox_message(owner, nid)
        if found is None:
            raise NotFound(f"no message {nid} in this inbox", slug="message-not-found")
        return found

    # ------------------------------------------------------------------ subscriptions

    async def create_subscription(
        self, region: str, event_types: list[str], url: str, secret: str | None
    ) -> Subscription:
        """Register a webhook subscription; generates the secret when none is given."""
        await self._check_receiver(url, secret)
        sub = _subscription(
            subscription_id=f"sub-{uuid.uuid4().hex[:16]}",
            region=region,
            event_types=event_types,
            url=url,
            secret=secret or secrets.token_urlsafe(32),
            active=True,
        )
        await self.store.insert_subscription(sub, self.clock())
        return sub

    async def get_subscription(self, subscription_id: str, region: str | None) -> Subscription:
        """The subscription, if it exists in ``region`` (any region when None)."""
        sub = await self.store.subscription(subscription_id)
        # Another region's subscription is reported as absent: its existence is not ours to tell.
        if sub is None or (region is not None and sub.region != region):
            raise NotFound(f"no subscription {subscription_id}", slug="subscription-not-found")
        return sub

    async def list_subscriptions(self, region: str | None) -> list[Subscription]:
        return await self.store.subscriptions(region)

    async def update_subscription(
        self, subscription_id: str, region: str | None, changes: dict[str, Any]
    ) -> Subscription:
        """Apply ``changes`` (event_types, url, active, secret) to a subscription."""
        current = await self.get_subscription(subscription_id, region)
        await self._check_receiver(changes.get("url"), changes.get("secret"))
        sub = _subscription(**{**current.model_dump(), **changes})
        await self.store.replace_subscription(sub, self.clock())
        return sub

    async def _check_receiver(self, url: str | None, secret: str | None) -> None:
        """Refuse a receiver at a non-public address (checked again at every delivery, after DNS
        resolution: docs/notify.md, "Where webhooks may go") and a weak secret."""
        if url is not None:
            if (problem := url_problem(url)) is not None:
                raise ValidationFailed(problem, slug="invalid-url")
            host, port = host_of(url)
            if (
                problem := await destination_problem(host, port, self.settings.allowed_networks())
            ) is not None:
                raise ValidationFailed(problem, slug="internal-destination")
        if secret is not None and (problem := secret_problem(secret)) is not None:
            raise ValidationFailed(problem, slug="weak-secret")

    async def delete_subscription(self, subscription_id: str, region: str | None) -> None:
        await self.get_subscription(subscription_id, region)
        await self.store.delete_subscription(subscription_id)

    async def list_deliveries(
        self,
        region: str | None,
        *,
        status: DeliveryStatus | None,
        channel: str | None,
        recipient: str | None,
        since: datetime | None = None,
        after: str | None = None,
        limit: int,
    ) -> list[Delivery]:
        statuses = [status] if status is not None else []
        return await self.store.deliveries(
            region=region,
            channel=channel,
            recipient=recipient,
            statuses=statuses,
            since=since,
            after=after,
            limit=limit,
        )


def _subscription(**fields: Any) -> Subscription:
    """Build a subscription, turning rule violations into :class:`ValidationFailed`."""
    unknown = set(fields["event_types"]) - HANDLED_TYPES
    if unknown:
        raise ValidationFailed(
            f"notify does not send {sorted(unknown)}; it sends {sorted(HANDLED_TYPES)}",
            slug="unknown-event-type",
        )
    if not _http_url(str(fields["url"])):
        raise ValidationFailed(f"{fields['url']!r} is not an http(s) URL", slug="invalid-url")
    try:
        return Subscription.model_validate({**fields, "event_types": frozenset(fields["event_types"])})
    except ValidationError as exc:
        raise ValidationFailed(f"invalid subscription: {exc}", slug="invalid-subscription") from None


def _http_url(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return False
    return parsed.scheme in {"http", "https"} and bool(parsed.host)


def _failed(n: Notification, error: str) -> DeliveryResult:
    return DeliveryResult(
        notification_id=n.notification_id, delivered=False, attempts=1, error=error, permanent=True
    )
