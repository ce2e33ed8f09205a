"""Every event type, by name, and decoding of raw Kafka values into events."""

from __future__ import annotations

import json

from pydantic import ValidationError

from shared.errors import ValidationFailed
from shared.events import career, feedback, notify, scoring
from shared.events.base import Event

ALL_EVENTS: tuple[type[Event], ...] = feedback.EVENTS + scoring.EVENTS + career.EVENTS + notify.EVENTS
_BY_TYPE: dict[str, type[Event]] = {cls.model_fields["type"].default: cls for cls in ALL_EVENTS}
TOPICS: tuple[str, ...] = tuple(dict.fromkeys(cls.TOPIC for cls in ALL_EVENTS))
DLQ_SUFFIX = ".dlq"
#: What each topic's record key is (docs/events.md, "Topics"): what a subscriber's ordering follows.
TOPIC_KEYS: dict[str, str] = {
    feedback.EMPLOYEES_TOPIC: "The employee's NIP.",
    feedback.CYCLES_TOPIC: "The cycle id.",
    feedback.INPUTS_TOPIC: "The NIP of the employee the input is about; the cycle id for citizen "
    "feedback on a unit.",
    scoring.SCORES_TOPIC: "The employee's NIP.",
    career.RECOMMENDATIONS_TOPIC: "The employee's NIP, or `team:<team id>` for a team award.",
    notify.DELIVERIES_TOPIC: "The notification id: one notification's reports stay in order.",
}


def events_of(topic: str) -> tuple[type[Event], ...]:
    """Every event type published on ``topic``, whoever handles which."""
    return tuple(cls for cls in ALL_EVENTS if topic == cls.TOPIC)


def event_class(type_name: str) -> type[Event]:
    try:
        return _BY_TYPE[type_name]
    except KeyError:
        raise ValidationFailed(f"unknown event type {type_name!r}", slug="unknown-event-type") from None


def topic_of(type_name: str) -> str:
    return event_class(type_name).TOPIC


def decode(raw: bytes) -> Event:
    """Decode a Kafka value into its event class; raise :class:`ValidationFailed` with the reason."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(f"not JSON: {exc}", slug="undecodable") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ValidationFailed("not an event: no string field 'type'", slug="undecodable")
    cls = event_class(data["type"])
    version = data.get("schema_version")
    if version != cls.VERSION:
        raise ValidationFailed(
            f"{data['type']} schema_version {version!r} is not the supported {cls.VERSION}",
            slug="unsupported-version",
        )
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {data['type']}: {exc}", slug="invalid-event") from None
