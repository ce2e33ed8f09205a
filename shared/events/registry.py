"""Every event type, by name, and decoding of raw Kafka values into events."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter, ValidationError

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


def one_of(events: tuple[type[Event], ...]) -> Any:
    """The type of one event of ``events``: the class itself, or the union of them (for the
    AsyncAPI payloads of publishers and subscribers)."""
    return events[0] if len(events) == 1 else Union[events]  # noqa: UP007 - built at run time


def event_class(type_name: str) -> type[Event]:
    try:
        return _BY_TYPE[type_name]
    except KeyError:
        raise ValidationFailed(f"unknown event type {type_name!r}", slug="unknown-event-type") from None


def topic_of(type_name: str) -> str:
    return event_class(type_name).TOPIC


#: Every event, told apart by its ``type``: pydantic picks the class and validates in one pass.
EVENTS: TypeAdapter[Event] = TypeAdapter(
    Annotated[Union[ALL_EVENTS], Field(discriminator="type")]  # type: ignore[arg-type,valid-type]  # noqa: UP007
)
#: Pydantic's error types, as the dead-letter reasons (``dlq.problem``) consumers give.
_PROBLEMS = {
    "json_invalid": "undecodable",
    "dict_type": "undecodable",
    "union_tag_not_found": "undecodable",
    "union_tag_invalid": "unknown-event-type",
    "unsupported_version": "unsupported-version",
}


def decode(raw: bytes) -> Event:
    """Decode a Kafka value into its event class; raise :class:`ValidationFailed` with the reason."""
    try:
        return EVENTS.validate_json(raw, context={"wire": True})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        slug = _PROBLEMS.get(first["type"], "invalid-event")
        detail = first["msg"] if slug != "invalid-event" else str(exc)
        raise ValidationFailed(f"{slug}: {detail}", slug=slug) from None
