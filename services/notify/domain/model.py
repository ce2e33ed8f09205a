"""Models of the notify service: who can be told, what is to be told, and what became of it.

Everything here is data; the rules that fill it are in :mod:`services.notify.domain.plan`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from shared.events.base import NIP_PATTERN, Model
from shared.events.feedback import EmployeeUpserted
from shared.events.notify import Channel

Language = Literal["id", "en"]

# Fixed forever: changing it would change every notification id and break deduplication.
NOTIFICATION_NAMESPACE = uuid.UUID("5b0f8a52-6c1e-4f7e-9a63-2f4d0c9b7e11")


class Role(StrEnum):
    """Why a recipient hears about an event; it decides how much they may be told."""

    EMPLOYEE = "employee"
    SUPERVISOR = "supervisor"
    HR = "hr"
    SYSTEM = "system"


class Person(Model):
    """An employee as the notify directory keeps them: only what is needed to reach them."""

    nip: str = Field(description="18-digit NIP.", pattern=NIP_PATTERN)
    region: str = Field(description="Region the employee belongs to.", max_length=64)
    name: str = Field(description="Full name, used in the greeting.", max_length=200)
    unit_id: str = Field(description="Unit (dinas) id.", max_length=64)
    supervisor_nip: str | None = Field(None, description="Direct supervisor, if any.")
    language: Language = Field("id", description="Language of the person's notifications.")
    email: str | None = Field(None, description="E-mail address, if the person has one.", max_length=254)
    active: bool = Field(True, description="False once the employee has left; they are told nothing.")

    @classmethod
    def from_upserted(cls, event: EmployeeUpserted) -> Person:
        """Keep the fields notify needs from an ``EmployeeUpserted`` event (data minimisation)."""
        e = event.employee
        return cls(
            nip=e.nip,
            region=event.region,
            name=e.name,
            unit_id=e.unit_id,
            supervisor_nip=e.supervisor_nip,
            language=e.language,
            email=e.email or None,
            active=e.active,
        )


class HrDesk(Model):
    """The HR office (BKPSDM) of a region: a shared inbox and, optionally, a mailbox."""

    region: str = Field(description="Region.", max_length=64)
    email: str | None = Field(None, description="Shared HR mailbox.", max_length=254)
    language: Language = Field("id", description="Language of HR notifications.")


class Subscription(Model):
    """A webhook subscription of an outside system to some event types of one region."""

    subscription_id: str = Field(description="Stable id.", max_length=64, examples=["sub-simpeg-marelan"])
    region: str = Field(description="Only events of this region are sent.", max_length=64)
    event_types: frozenset[str] = Field(
        description="Event types sent, e.g. `scoring.score_finalized`.", min_length=1
    )
    url: str = Field(description="HTTPS endpoint that receives POSTs.", max_length=2000)
    # repr=False keeps the secret out of logs and tracebacks.
    secret: str = Field(description="HMAC key of the signature.", min_length=16, repr=False)
    active: bool = Field(True, description="Inactive subscriptions receive nothing.")

    def matches(self, event_type: str, region: str) -> bool:
        """True when this subscription wants ``event_type`` events of ``region``."""
        return self.active and region == self.region and event_type in self.event_types


class Directory(Model):
    """The slice of the notify directory one event needs (see :func:`audience`).

    ``employees`` is keyed by NIP. The store loads what :func:`audience` asks for; planning never
    does I/O.
    """

    region: str = Field(description="Region of the event.")
    timezone: str = Field("Asia/Jakarta", description="IANA zone times are shown in (WIB by default).")
    employees: Mapping[str, Person] = Field(default_factory=dict, description="People by NIP.")
    hr: HrDesk | None = Field(None, description="HR desk of the region, if configured.")
    subscriptions: tuple[Subscription, ...] = Field(default=(), description="Webhook subscriptions.")

    @classmethod
    def of(
        cls,
        region: str,
        people: Iterable[Person] = (),
        *,
        hr: HrDesk | None = None,
        subscriptions: Iterable[Subscription] = (),
        timezone: str = "Asia/Jakarta",
    ) -> Directory:
        """Build a directory from a list of people (convenience for the store and tests)."""
        return cls(
            region=region,
            timezone=timezone,
            employees={p.nip: p for p in people},
            hr=hr,
            subscriptions=tuple(subscriptions),
        )


ContextValue = str | int | float | bool | None


class Notification(Model):
    """One message to one recipient over one channel.

    ``context`` holds only what the recipient may see; templates get nothing else. For webhooks
    ``payload`` is the redacted event body and ``context`` is empty.
    """

    notification_id: str = Field(description="uuid5 of (event id, channel, recipient): the dedupe key.")
    source_event_id: str = Field(description="Event the notification is about.")
    event_type: str = Field(description="Type of that event.")
    region: str = Field(description="Region of that event.")
    occurred_at: datetime = Field(description="When that event happened.")
    channel: Channel = Field(description="Inbox, e-mail or webhook.")
    role: Role = Field(description="Why the recipient hears about it.")
    recipient: str = Field(
        description="NIP (inbox), `hr:<region>` (HR inbox), e-mail address or subscription id."
    )
    address: str | None = Field(None, description="E-mail address or webhook URL; None for the inbox.")
    language: Language = Field("id", description="Language to render in.")
    template: str | None = Field(None, description="Template name, e.g. `score_finalized.employee`.")
    context: Mapping[str, ContextValue] = Field(default_factory=dict, description="Template variables.")
    payload: Mapping[str, Any] | None = Field(None, description="Webhook body (redacted event).")


def notification_id(event_id: str | uuid.UUID, channel: Channel, recipient: str) -> str:
    """Deterministic id of a notification: the same event, channel and recipient give the same id."""
    return str(uuid.uuid5(NOTIFICATION_NAMESPACE, f"{event_id}|{channel}|{recipient}"))


class DeliveryStatus(StrEnum):
    """Life of a delivery record, as the store keeps it (same states as an outbox)."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    FAILED = "failed"


class DeliveryResult(Model):
    """What a channel adapter reports after its last attempt."""

    notification_id: str = Field(description="Notification delivered or not.")
    delivered: bool = Field(description="True when the receiver accepted it.")
    attempts: int = Field(description="Attempts made, 1 or more.", ge=1)
    status_code: int | None = Field(None, description="Last HTTP status or SMTP reply code, if any.")
    error: str | None = Field(None, description="Last error, when not delivered.")
    permanent: bool = Field(False, description="True when retrying later will not help (e.g. HTTP 4xx).")


class DeliveryRecord(Model):
    """A delivery as the store keeps it; failed ones are the dead letters that can be replayed."""

    notification_id: str = Field(description="Notification id.")
    source_event_id: str = Field(description="Event it is about.")
    event_type: str = Field(description="Type of that event.")
    channel: Channel = Field(description="Channel.")
    recipient: str = Field(description="NIP, e-mail address or subscription id.")
    status: DeliveryStatus = Field(description="Where it stands.")
    attempts: int = Field(0, description="Attempts made so far.", ge=0)
    last_error: str | None = Field(None, description="Last error.")
    created_at: datetime = Field(description="When it was planned.")
    updated_at: datetime = Field(description="Last change.")
    page_key: str = Field("", description="Its place in the list: give it as `after` for the next page.")


@dataclass(frozen=True)
class Delivery:
    """A delivery as the service reads it: the notification as planned and what became of it.

    The store builds it from a ``deliveries`` document; the service, the API and the worker read
    it without knowing that shape.
    """

    notification: Notification
    status: DeliveryStatus
    attempts: int
    round: int
    last_error: str | None
    correlation_id: str
    created_at: datetime
    updated_at: datetime
    read_at: datetime | None
    claim: str | None
    page_key: str

    @property
    def record(self) -> DeliveryRecord:
        n = self.notification
        return DeliveryRecord(
            notification_id=n.notification_id,
            source_event_id=n.source_event_id,
            event_type=n.event_type,
            channel=n.channel,
            recipient=n.recipient,
            status=self.status,
            attempts=self.attempts,
            last_error=self.last_error,
            created_at=self.created_at,
            updated_at=self.updated_at,
            page_key=self.page_key,
        )
