"""Domain of the notify service: models and pure rules, no I/O.

The wiring calls :func:`audience` to know what to load, :func:`plan_notifications` to know what
to send, :func:`render` to turn a notification into words, and :func:`delivery_event` to report.
"""

from __future__ import annotations

from services.notify.domain.model import (
    Delivery,
    DeliveryRecord,
    DeliveryResult,
    DeliveryStatus,
    Directory,
    HrDesk,
    Language,
    Notification,
    Person,
    Role,
    Subscription,
    notification_id,
)
from services.notify.domain.plan import HANDLED_TYPES, Audience, audience, plan_notifications, public_payload
from services.notify.domain.render import LANGUAGES, Rendered, TemplateMissing, label, render, template_names
from services.notify.domain.replay import ReplayQuery, select_for_replay
from services.notify.domain.report import delivery_event

__all__ = [
    "HANDLED_TYPES",
    "LANGUAGES",
    "Audience",
    "Delivery",
    "DeliveryRecord",
    "DeliveryResult",
    "DeliveryStatus",
    "Directory",
    "HrDesk",
    "Language",
    "Notification",
    "Person",
    "Rendered",
    "ReplayQuery",
    "Role",
    "Subscription",
    "TemplateMissing",
    "audience",
    "delivery_event",
    "label",
    "notification_id",
    "plan_notifications",
    "public_payload",
    "render",
    "select_for_replay",
    "template_names",
]
