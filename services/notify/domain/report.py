"""Turning a delivery result into the event notify publishes about it."""

from __future__ import annotations

from services.notify.domain.model import DeliveryResult, Notification
from shared.events.notify import NotificationDelivered, NotificationFailed


def delivery_event(
    notification: Notification, result: DeliveryResult, *, correlation_id: str
) -> NotificationDelivered | NotificationFailed:
    """The ``notify.delivered`` or ``notify.failed`` event for ``result``.

    Keyed by notification id so that every report on one notification stays in order.
    """
    common = {
        "notification_id": notification.notification_id,
        "source_event_id": notification.source_event_id,
        "recipient": notification.recipient,
        "channel": notification.channel,
        "attempts": result.attempts,
        "region": notification.region,
        "correlation_id": correlation_id,
        "producer": "notify",
        "key": notification.notification_id,
    }
    if result.delivered:
        delivered: NotificationDelivered = NotificationDelivered.build(**common)
        return delivered
    failed: NotificationFailed = NotificationFailed.build(**common, error=result.error or "unknown error")
    return failed
