"""HTTP API of the notify service: inboxes, webhook subscriptions, deliveries and replay.

Controllers are thin: they check who may do what (rules below) and call :class:`NotifyService`.

- An inbox is read and marked only by its owner: the employee or supervisor whose NIP it is, or
  an HR admin of the region for ``hr:<region>``. Anyone else gets ``not-your-inbox``.
- Subscriptions and deliveries are for region admins (their own region) and the system role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from services.notify.access import admin_region
from services.notify.channel import standard_secret
from services.notify.domain import Delivery, DeliveryStatus, Subscription, render
from services.notify.schema import (
    DeliveryView,
    InboxMessage,
    ReplayAccepted,
    ReplayRequest,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionUpdate,
    SubscriptionView,
)
from services.notify.service import NotifyService
from shared.auth import Principal, Role, requires
from shared.errors import ValidationFailed
from shared.events.notify import Channel

AnyRequest = Request[Principal, Any, Any]
ADMINS = (Role.REGION_ADMIN, Role.SYSTEM)


#: A page key as notify writes it: the planned time in milliseconds, then the notification id.
PAGE_KEY_PATTERN = r"^[0-9]{13}-[0-9a-f-]{36}$"


def _message(d: Delivery) -> InboxMessage:
    n = d.notification
    rendered = render(n, html=False)
    return InboxMessage(
        notification_id=n.notification_id,
        event_type=n.event_type,
        occurred_at=n.occurred_at,
        received_at=d.created_at,
        language=n.language,
        subject=rendered.subject,
        text=rendered.text,
        read_at=d.read_at,
        page_key=d.page_key,
    )


def _view(sub: Subscription) -> SubscriptionView:
    return SubscriptionView(
        subscription_id=sub.subscription_id,
        region=sub.region,
        event_types=sorted(sub.event_types),
        url=sub.url,
        active=sub.active,
    )


def _delivery(d: Delivery) -> DeliveryView:
    r = d.record
    return DeliveryView(**r.model_dump(), rounds=d.round)


class InboxController(Controller):
    """In-app inboxes: ``<NIP>`` for a person, ``hr:<region>`` for a region's HR desk."""

    path = "/inbox/{owner:str}"
    tags = ["inbox"]

    @get("/messages", summary="Read an inbox, newest first")
    async def read(
        self,
        request: AnyRequest,
        service: NamedDependency[NotifyService],
        owner: Annotated[str, PathParameter(title="Inbox owner", description="NIP or `hr:<region>`.")],
        unread: Annotated[bool, QueryParameter(description="Only unread messages.")] = False,
        before: Annotated[
            str | None,
            QueryParameter(
                title="Page key of the last message of the page before",
                description="The next page holds the messages older than it; omit it for the newest.",
                pattern=PAGE_KEY_PATTERN,
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="Most messages returned.")] = 50,
    ) -> list[InboxMessage]:
        await service.authorise_inbox(request.user, owner)
        found = await service.read_inbox(owner, unread_only=unread, before=before, limit=limit)
        return [_message(d) for d in found]

    @post("/messages/{notification_id:str}/read", summary="Mark a message read", status_code=200)
    async def mark_read(
        self,
        request: AnyRequest,
        service: NamedDependency[NotifyService],
        owner: FromPath[str],
        notification_id: FromPath[str],
    ) -> InboxMessage:
        await service.authorise_inbox(request.user, owner)
        return _message(await service.mark_read(owner, notification_id))


class SubscriptionController(Controller):
    """Webhook subscriptions of outside systems, per region and event type."""

    path = "/subscriptions"
    tags = ["webhooks"]
    guards = [requires(*ADMINS)]

    @post("/", summary="Subscribe a receiver; the answer is the only time the secret is shown")
    async def create(
        self, request: AnyRequest, service: NamedDependency[NotifyService], data: JSONBody[SubscriptionCreate]
    ) -> SubscriptionCreated:
        region = admin_region(request.user, data.region)
        if region is None:
            raise ValidationFailed("the system role must name the region", slug="region-required")
        # A region admin's region comes from their signed token; the system role names one freely.
        if request.user.role is Role.SYSTEM and not await service.region_known(region):
            raise ValidationFailed(
                f"notify knows no employee of region {region}: check the region id", slug="unknown-region"
            )
        sub = await service.create_subscription(region, data.event_types, data.url, data.secret)
        return SubscriptionCreated(
            **_view(sub).model_dump(), secret=sub.secret, webhook_secret=standard_secret(sub.secret)
        )

    @get("/", summary="List subscriptions (without secrets)")
    async def list_all(
        self,
        request: AnyRequest,
        service: NamedDependency[NotifyService],
        region: Annotated[
            str | None, QueryParameter(description="Region; the system role may omit it.")
        ] = None,
    ) -> list[SubscriptionView]:
        subs = await service.list_subscriptions(admin_region(request.user, region))
        return [_view(s) for s in subs]

    @get("/{subscription_id:str}", summary="One subscription (without its secret)")
    async def read(
        self, request: AnyRequest, service: NamedDependency[NotifyService], subscription_id: FromPath[str]
    ) -> SubscriptionView:
        return _view(await service.get_subscription(subscription_id, admin_region(request.user, None)))

    @patch("/{subscription_id:str}", summary="Change URL, event types, active flag or secret")
    async def update(
        self,
        request: AnyRequest,
        service: NamedDependency[NotifyService],
        subscription_id: FromPath[str],
        data: JSONBody[SubscriptionUpdate],
    ) -> SubscriptionView:
        changes = data.model_dump(exclude_none=True)
        sub = await service.update_subscription(subscription_id, admin_region(request.user, None), changes)
        return _view(sub)

    @delete("/{subscription_id:str}", summary="Delete a subscription; pending deliveries to it fail")
    async def remove(
        self, request: AnyRequest, service: NamedDependency[NotifyService], subscription_id: FromPath[str]
    ) -> None:
        await service.delete_subscription(subscription_id, admin_region(request.user, None))


class DeliveryController(Controller):
    """Deliveries of e-mails and webhooks; failed ones are dead letters that can be replayed."""

    path = "/deliveries"
    tags = ["deliveries"]
    guards = [requires(*ADMINS)]

    @get("/", summary="List deliveries, oldest first (status=failed lists the dead letters)")
    async def list_all(
        self,
        request: AnyRequest,
        service: NamedDependency[NotifyService],
        region: Annotated[
            str | None, QueryParameter(description="Region; the system role may omit it.")
        ] = None,
        status: Annotated[DeliveryStatus | None, QueryParameter(description="Only this status.")] = None,
        channel: Annotated[Channel | None, QueryParameter(description="Only this channel.")] = None,
        recipient: Annotated[str | None, QueryParameter(description="Only this recipient.")] = None,
        since: Annotated[
            datetime | None, QueryParameter(description="Only deliveries planned at or after this time.")
        ] = None,
        after: Annotated[
            str | None,
            QueryParameter(
                title="Page key of the last delivery of the page before",
                description="The next page holds the deliveries after it; omit it for the first page.",
                pattern=PAGE_KEY_PATTERN,
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Most deliveries returned.")] = 100,
    ) -> list[DeliveryView]:
        found = await service.list_deliveries(
            admin_region(request.user, region),
            status=status,
            channel=channel,
            recipient=recipient,
            since=since,
            after=after,
            limit=limit,
        )
        return [_delivery(d) for d in found]

    @post("/replay", summary="Send selected deliveries again", status_code=HTTP_202_ACCEPTED)
    async def replay(
        self, request: AnyRequest, service: NamedDependency[NotifyService], data: JSONBody[ReplayRequest]
    ) -> ReplayAccepted:
        region = admin_region(request.user, data.region)
        if data.channel == "email" and DeliveryStatus.DELIVERED in data.statuses:
            # Webhook receivers deduplicate on the delivery id; a person's mailbox does not.
            raise ValidationFailed("delivered e-mails are not sent twice", slug="replay-delivered-email")
        if data.channel == "inbox":
            raise ValidationFailed(
                "inbox messages are written, not sent: nothing to replay", slug="replay-inbox"
            )
        ids = await service.replay(region, data)
        return ReplayAccepted(queued=len(ids), notification_ids=ids)
