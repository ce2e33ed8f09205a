"""Request and response bodies of the notify HTTP API."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from services.notify.domain import DeliveryStatus, Language, ReplayQuery
from shared.events.base import Model
from shared.events.notify import Channel


class InboxMessage(Model):
    """One message in an inbox, rendered in its owner's language."""

    notification_id: str = Field(description="Notification id; use it to mark the message read.")
    event_type: str = Field(description="What happened, e.g. `scoring.score_finalized`.")
    occurred_at: datetime = Field(description="When it happened.")
    received_at: datetime = Field(description="When the message was written to the inbox.")
    language: Language = Field(description="Language of subject and text.")
    subject: str = Field(description="One-line subject.")
    text: str = Field(description="Plain-text body.")
    read_at: datetime | None = Field(None, description="When the owner first marked it read.")
    page_key: str = Field(description="Its place in the inbox: give it as `before` for the older messages.")


class SubscriptionCreate(Model):
    """A new webhook subscription. Without ``secret`` the service generates one."""

    region: str | None = Field(
        None, description="Region; a region admin's own region when omitted.", max_length=64
    )
    event_types: list[str] = Field(
        description="Event types to receive.", min_length=1, examples=[["scoring.score_finalized"]]
    )
    url: str = Field(description="http(s) URL that receives the POSTs.", max_length=2000)
    secret: str | None = Field(
        None,
        description="HMAC key of at least 256 bits (`openssl rand -hex 32`); generated when omitted. "
        "Shown only in this exchange.",
        min_length=32,
    )


class SubscriptionUpdate(Model):
    """Changes to a subscription; omitted fields stay as they are. The secret cannot be read back."""

    event_types: list[str] | None = Field(None, description="Event types to receive.", min_length=1)
    url: str | None = Field(None, description="http(s) URL that receives the POSTs.", max_length=2000)
    active: bool | None = Field(None, description="False stops deliveries without deleting.")
    secret: str | None = Field(
        None, description="A new HMAC key of at least 256 bits (rotation).", min_length=32
    )


class SubscriptionView(Model):
    """A subscription as the API shows it: never with its secret."""

    subscription_id: str = Field(description="Stable id.")
    region: str = Field(description="Region whose events are sent.")
    event_types: list[str] = Field(description="Event types sent.")
    url: str = Field(description="Receiver URL.")
    active: bool = Field(description="Inactive subscriptions receive nothing.")


class SubscriptionCreated(SubscriptionView):
    """The answer to a creation: the only time the secret is shown."""

    secret: str = Field(description="The signing secret. Store it now: it is never shown again.")
    webhook_secret: str = Field(
        description="The same secret as Standard Webhooks libraries take it (`whsec_<base64>`), "
        "to verify the `webhook-signature` header."
    )


class DeliveryView(Model):
    """A delivery as operators see it; failed ones are the dead letters."""

    notification_id: str = Field(description="Notification id (X-Kinerja-Delivery-Id of webhooks).")
    source_event_id: str = Field(description="Event it is about.")
    event_type: str = Field(description="Type of that event.")
    channel: Channel = Field(description="Inbox, e-mail or webhook.")
    recipient: str = Field(description="NIP, `hr:<region>`, e-mail address or subscription id.")
    status: DeliveryStatus = Field(description="pending, in_progress, delivered or failed.")
    attempts: int = Field(description="Attempts made so far, over every round.")
    rounds: int = Field(description="Times it was replayed.")
    last_error: str | None = Field(None, description="Last error, when it failed.")
    created_at: datetime = Field(description="When it was planned.")
    updated_at: datetime = Field(description="Last change.")
    page_key: str = Field(description="Its place in the list: give it as `after` for the next page.")


class ReplayRequest(ReplayQuery):
    """Deliveries to send again, as a :class:`ReplayQuery` plus the region they belong to."""

    region: str | None = Field(None, description="Region; a region admin's own region when omitted.")


class ReplayAccepted(Model):
    """Deliveries queued again; the worker sends them shortly."""

    queued: int = Field(description="How many were queued.")
    notification_ids: list[str] = Field(description="Their ids, oldest first.")
