"""Events produced by the notify service: what was delivered and what failed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.events.base import Event

DELIVERIES_TOPIC = "kinerja.notify.deliveries.v1"

Channel = Literal["inbox", "email", "webhook"]


class NotificationDelivered(Event):
    TOPIC = DELIVERIES_TOPIC
    type: Literal["notify.delivered"] = Field("notify.delivered", description="Event type name.")
    notification_id: str = Field(description="Notification id (event, recipient, channel).")
    source_event_id: str = Field(description="Event the notification is about.")
    recipient: str = Field(description="NIP, e-mail address or webhook subscription id.")
    channel: Channel = Field(description="Inbox, e-mail or webhook.")
    attempts: int = Field(1, description="Attempts it took.")


class NotificationFailed(Event):
    TOPIC = DELIVERIES_TOPIC
    type: Literal["notify.failed"] = Field("notify.failed", description="Event type name.")
    notification_id: str = Field(description="Notification id (event, recipient, channel).")
    source_event_id: str = Field(description="Event the notification is about.")
    recipient: str = Field(description="NIP, e-mail address or webhook subscription id.")
    channel: Channel = Field(description="Inbox, e-mail or webhook.")
    attempts: int = Field(description="Attempts made before giving up.")
    error: str = Field(description="Last error.")


EVENTS: tuple[type[Event], ...] = (NotificationDelivered, NotificationFailed)
