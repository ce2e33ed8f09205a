"""The envelope every integration event shares.

Events are contracts between services: past-tense names, an id and a UTC timestamp on every
event, a schema version that is bumped on any change of shape (tests/contracts enforce it), and
a partition key so that all events of one employee land on one partition, in order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

NIP_PATTERN = r"^\d{18}$"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = "https://kinerja.example.id/schemas/events/"
"""``$id`` prefix of the committed event schemas (a name, not a download address)."""


class Model(BaseModel):
    """Base of payload models: strict about unknown fields, serialisable to JSON."""

    # Every field is in every serialised event (defaults included), so the committed schemas say
    # so: a consumer may rely on them being present.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)


def new_event_id() -> uuid.UUID:
    return uuid.uuid4()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(Model):
    """Common envelope. Subclasses set ``type`` (a Literal), ``TOPIC``, ``VERSION`` and a payload."""

    TOPIC: ClassVar[str]
    VERSION: ClassVar[int] = 1

    @model_validator(mode="before")
    @classmethod
    def _supported_version(cls, data: Any, info: ValidationInfo) -> Any:
        """An event of another schema version is refused before its fields are read: its reason
        is its version (``unsupported_version``), whatever else differs. Read from the wire
        (context ``{"wire": True}``, :func:`shared.events.registry.decode`), an event must state
        its version; built in code, it defaults to the class's."""
        if not isinstance(data, dict):
            return data
        wire = bool(info.context and info.context.get("wire"))
        if ("schema_version" in data or wire) and data.get("schema_version") != cls.VERSION:
            raise PydanticCustomError(
                "unsupported_version",
                "{type} schema_version {version} is not the supported {supported}",
                {
                    "type": str(data.get("type")),
                    "version": repr(data.get("schema_version")),
                    "supported": cls.VERSION,
                },
            )
        return data

    event_id: uuid.UUID = Field(
        default_factory=new_event_id,
        description="Unique id of this event; consumers deduplicate on it.",
        examples=["1d3c1f5e-8a43-4c8e-9d55-0a7a4b1f2c11"],
    )
    type: str = Field(description="Event type name, `<service>.<fact>`.", examples=["feedback.submitted"])
    schema_version: int = Field(1, description="Version of this event type's schema.", examples=[1])
    occurred_at: datetime = Field(
        default_factory=utcnow,
        description="When the fact happened, in UTC.",
        examples=["2026-01-31T08:00:00Z"],
    )
    region: str = Field(
        description="Region (pemerintah daerah) the fact belongs to.", examples=["marelan"], max_length=64
    )
    correlation_id: str = Field(
        description="Id shared by every event and log line caused by one request.",
        examples=["req-6f1c2d"],
        max_length=128,
    )
    producer: str = Field(description="Service that produced the event.", examples=["feedback"])
    key: str = Field(
        description="Partition key: the employee's NIP, or the id of what must stay in order.",
        examples=["198503122010011002"],
        max_length=128,
    )

    @classmethod
    def contract(cls) -> dict[str, Any]:
        """The committed JSON Schema of this event type and version (``make schemas`` writes it).

        Draft 2020-12, with an ``$id`` per type and version; every field required (all are
        serialised); ``type`` and ``schema_version`` are constants, so a payload of another
        version does not pass this one's schema.
        """
        name = cls.model_fields["type"].default
        schema = cls.model_json_schema(mode="serialization")
        schema["properties"]["schema_version"]["const"] = cls.VERSION
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"{SCHEMA_ID_BASE}{name}.v{cls.VERSION}.json",
            **schema,
        }

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    def to_bytes_with(self, **raw: bytes) -> bytes:
        """This event's JSON, with the fields of ``raw`` given already serialised (each one JSON
        value), for a producer that holds a large payload as JSON and would otherwise parse it
        only to serialise it again. The event is made with ``model_construct`` without those
        fields; the producer's tests check that the result validates as the whole event."""
        head = self.model_dump_json(exclude=set(raw)).encode()
        tail = b"".join(b',"' + name.encode() + b'":' + value for name, value in raw.items())
        return head[:-1] + tail + b"}"

    def headers(self) -> dict[str, str]:
        return {
            "event_type": self.type,
            "schema_version": str(self.schema_version),
            "event_id": str(self.event_id),
            "correlation_id": self.correlation_id,
            "content-type": "application/json",
        }

    @classmethod
    def build(cls, **fields: Any) -> Any:
        """Construct with ``type`` and ``schema_version`` filled from the class."""
        type_field = cls.model_fields["type"].default
        return cls(type=type_field, schema_version=cls.VERSION, **fields)
