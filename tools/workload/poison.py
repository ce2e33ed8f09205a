"""Records for the inputs topic with poison among the valid events, for the fault tests.

Poison records are what :mod:`shared.consumer` dead-letters at decoding: bytes that are not JSON,
JSON that is not an event, events of an unknown type, events of a schema version from the future,
and events that fail their schema.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from shared.events.base import Event

POISON_KINDS = ("not-json", "not-an-event", "unknown-type", "future-version", "invalid-event")


@dataclass(frozen=True)
class Record:
    """One record for the inputs topic: the partition key, the value, and what it is."""

    key: bytes
    value: bytes
    event_id: str | None  # the id of a valid event; None for poison
    poison: str | None = None  # the poison kind


def with_poison(events: Sequence[Event], per_mille: int, seed: int = 11) -> list[Record]:
    """The events as records in order, with a poison record after every ``1000 / per_mille``.

    Poison records take the kinds of :data:`POISON_KINDS` in turn and the key of the event before
    them; each is unique (it carries its own index), so that a dead-letter topic can be counted by
    value. The same events and seed give the same records.
    """
    ids = random.Random(seed)
    every = 1000 // per_mille if per_mille else 0
    out: list[Record] = []
    for n, event in enumerate(events, start=1):
        out.append(Record(event.key.encode(), event.to_bytes(), str(event.event_id)))
        if every and n % every == 0:
            index = n // every - 1
            kind = POISON_KINDS[index % len(POISON_KINDS)]
            event_id = uuid.UUID(int=ids.getrandbits(128), version=4)
            value = _poison(kind, f"poison-{seed}-{index}", event, event_id)
            out.append(Record(event.key.encode(), value, None, kind))
    return out


def _poison(kind: str, tag: str, beside: Event, event_id: uuid.UUID) -> bytes:
    data = json.loads(beside.to_bytes()) | {"event_id": str(event_id), "correlation_id": tag}
    if kind == "not-json":
        return b"\x80\x81 " + tag.encode() + b" {"
    if kind == "not-an-event":
        return json.dumps([tag, 1, 2]).encode()
    if kind == "unknown-type":
        return json.dumps({**data, "type": "feedback.from_the_future"}).encode()
    if kind == "future-version":
        return json.dumps({**data, "schema_version": 99}).encode()
    # a known type and version whose fields break the schema
    return json.dumps({**data, "region": None, "key": 12345, "nip": "not-a-nip"}).encode()
