"""Contracts as files: event JSON Schemas, AsyncAPI and OpenAPI documents, configuration docs.

``python -m tools.contracts write`` regenerates them; ``check`` (run by ``make test``) fails when
a committed file differs from what the code generates, or when an event's schema changed while
its ``VERSION`` stayed the same. This is a development tool: it imports every service's app.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI
from litestar import Litestar

from shared.events.base import Event
from shared.events.registry import ALL_EVENTS, DLQ_SUFFIX, TOPIC_KEYS
from shared.runtime import VERSION, ServiceKit
from shared.settings import Settings
from tools.services import SERVICES

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "shared" / "events" / "schemas"
DOCS = ROOT / "docs"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)  # sets in defaults and examples, in a stable order
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=_jsonable) + "\n"


def event_schemas() -> dict[Path, str]:
    out: dict[Path, str] = {}
    for cls in ALL_EVENTS:
        name = cls.model_fields["type"].default
        out[SCHEMAS / f"{name}.v{cls.VERSION}.json"] = _dump(cls.contract())
    return out


def service_app(service: str) -> Litestar:
    """The service's app as ``create_app`` builds it, with the settings that the documents may
    depend on fixed: the document must not depend on the machine (or the test) that made it."""
    module = importlib.import_module(f"services.{service}.app")
    settings = Settings(kafka_bootstrap="kafka:9092", kafka_security_protocol="PLAINTEXT", topic_prefix="")
    app: Litestar = module.create_app(settings)
    return app


def asyncapi(service: str, kit: ServiceKit) -> str:
    """AsyncAPI 3.0 of a service: FastStream's document of the broker its app built, with the one
    subscriber that consumes (a channel per topic, named after the topic's handler, with the
    event types that handler is annotated with: shared/subscriber.py) and a publisher per topic
    it publishes to, completed with what FastStream does not write (:func:`complete_asyncapi`)."""
    spec = AsyncAPI(kit.broker, title=f"Kinerja {service} events", version=VERSION).to_specification()
    return _dump(complete_asyncapi(spec.to_jsonable(), [s.topic for s in kit.subscriptions]))


#: The headers every event record carries (``Event.headers``).
EVENT_HEADERS = {
    "type": "object",
    "required": ["event_type", "schema_version", "event_id", "correlation_id"],
    "properties": {
        "event_type": {"type": "string", "description": "The event's `type`."},
        "schema_version": {"type": "string", "description": "The event's `schema_version`, as text."},
        "event_id": {"type": "string", "description": "The event's `event_id`."},
        "correlation_id": {"type": "string", "description": "The event's `correlation_id`."},
    },
}
#: The headers a dead letter adds to the original record's (shared/deadletter.py).
DLQ_HEADERS = {
    "type": "object",
    "required": [
        "dlq.reason",
        "dlq.problem",
        "dlq.source_topic",
        "dlq.source_partition",
        "dlq.source_offset",
        "dlq.service",
        "dlq.failed_at",
    ],
    "properties": {
        "dlq.reason": {"type": "string", "description": "Why the record was set aside."},
        "dlq.problem": {
            "type": "string",
            "description": "Problem slug (`undecodable`, `invalid-event`, ...).",
        },
        "dlq.source_topic": {"type": "string"},
        "dlq.source_partition": {"type": "string"},
        "dlq.source_offset": {"type": "string"},
        "dlq.service": {"type": "string", "description": "The service that could not handle it."},
        "dlq.failed_at": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": {"type": "string", "description": "The original record's headers."},
}


def _key_binding(topic: str) -> dict[str, Any]:
    return {"kafka": {"bindingVersion": "0.4.0", "key": {"type": "string", "description": TOPIC_KEYS[topic]}}}


def complete_asyncapi(spec: dict[str, Any], consumed: list[str]) -> dict[str, Any]:
    """Add the record headers and Kafka key of every message, and the dead-letter channel of each
    consumed topic (this service sends to it; monitoring subscribes to it)."""
    for message in spec.get("components", {}).get("messages", {}).values():
        topic = message["title"].split(":", 1)[0]
        message["headers"] = EVENT_HEADERS
        message["bindings"] = _key_binding(topic)
    server = [{"$ref": "#/servers/development"}]
    for topic in consumed:
        dlq = topic + DLQ_SUFFIX
        name = f"{dlq}:DeadLetter"
        spec["components"]["messages"][name] = {
            "title": name,
            "summary": f"A record of {topic} that this service could not handle, as it was.",
            "contentType": "application/octet-stream",
            "payload": {"description": "The original record's value, unchanged (possibly not JSON)."},
            "headers": DLQ_HEADERS,
            "bindings": _key_binding(topic),
        }
        spec["channels"][name] = {
            "address": dlq,
            "description": f"Dead letters of {topic}: records the consumer set aside with the reason.",
            "bindings": {"kafka": {"bindingVersion": "0.4.0", "topic": dlq}},
            "messages": {"DeadLetter": {"$ref": f"#/components/messages/{name}"}},
            "servers": server,
        }
        spec["operations"][f"{name}Send"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/DeadLetter"}],
        }
    return spec


def documents() -> dict[Path, str]:
    out = event_schemas()
    for service in SERVICES:
        app = service_app(service)
        kit: ServiceKit = app.state.kit
        out[DOCS / "asyncapi" / f"{service}.json"] = asyncapi(service, kit)
        out[DOCS / "openapi" / f"{service}.json"] = _dump(app.openapi_schema.to_schema())
        kit.client.close()
    return out


def _committed_versions(schemas: Path, name: str) -> dict[int, Path]:
    found: dict[int, Path] = {}
    for path in schemas.glob(f"{name}.v*.json"):
        found[int(path.stem.rsplit(".v", 1)[1])] = path
    return found


def schema_problems(events: Iterable[type[Event]], schemas: Path = SCHEMAS) -> list[str]:
    """Events whose JSON Schema differs from the committed file of the same version."""
    found: list[str] = []
    for cls in events:
        name = cls.model_fields["type"].default
        committed = _committed_versions(schemas, name)
        current = committed.get(cls.VERSION)
        generated = _dump(cls.contract())
        if current is None:
            found.append(f"{name} v{cls.VERSION}: no committed schema; run `make schemas`")
        elif current.read_text() != generated:
            found.append(
                f"{name} v{cls.VERSION}: schema changed without a version bump; bump {cls.__name__}.VERSION "
                "(and the topic version if old consumers cannot read it), then run `make schemas`"
            )
        if committed and max(committed) > cls.VERSION:
            found.append(
                f"{name}: committed schema v{max(committed)} is newer than the code's v{cls.VERSION}"
            )
    return found


def problems() -> list[str]:
    """Everything that is out of date, in words a developer can act on."""
    found = schema_problems(ALL_EVENTS)
    for path, text in documents().items():
        if path.parent == SCHEMAS:
            continue
        if not path.exists() or path.read_text() != text:
            found.append(f"{path.relative_to(ROOT)} is out of date; run `make schemas`")
    config_doc = DOCS / "configuration.md"
    text = config_doc.read_text() if config_doc.exists() else ""
    for name in Settings.model_fields:
        if f"KINERJA_{name.upper()}" not in text:
            found.append(f"docs/configuration.md does not document KINERJA_{name.upper()}")
    return found


def write() -> None:
    for path, text in documents().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.parent == SCHEMAS and path.exists() and path.read_text() != text:
            # Never rewrite a released version in place: that is what `check` forbids.
            print(f"refusing to overwrite {path.name}: bump the event's VERSION", file=sys.stderr)
            continue
        path.write_text(text)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "write":
        write()
        return 0
    found = problems()
    for line in found:
        print(f"contracts: {line}", file=sys.stderr)
    if not found:
        print("contracts: event schemas, AsyncAPI, OpenAPI and configuration docs are up to date")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
