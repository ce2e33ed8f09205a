"""Event contracts as files: a schema change without a version bump fails the build."""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import shutil
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
from jsonschema import Draft202012Validator
from pydantic import Field

from shared.events.feedback import FeedbackSubmitted
from shared.events.registry import ALL_EVENTS, TOPICS, events_of
from tools.contracts import ROOT, SCHEMAS, problems, schema_problems, service_app
from tools.services import CONSUMERS, SERVICES


def test_committed_schemas_asyncapi_openapi_and_config_docs_are_current() -> None:
    assert problems() == []


def test_every_event_has_a_described_field_and_a_versioned_topic() -> None:
    for cls in ALL_EVENTS:
        assert cls.TOPIC.rsplit(".", 1)[1].startswith("v"), cls.TOPIC
        for name, field in cls.model_fields.items():
            assert field.description, f"{cls.__name__}.{name} has no description"
    assert len(TOPICS) == len(set(TOPICS))


def test_a_changed_schema_without_a_version_bump_is_caught(tmp_path: Path) -> None:
    shutil.copy(SCHEMAS / "feedback.submitted.v1.json", tmp_path)

    class Changed(FeedbackSubmitted):
        type: Literal["feedback.submitted"] = "feedback.submitted"
        channel: str = Field("web", description="A new field.")

    found = schema_problems([Changed], tmp_path)
    assert len(found) == 1 and "without a version bump" in found[0]

    class Bumped(Changed):
        VERSION = 2

    assert "no committed schema" in schema_problems([Bumped], tmp_path)[0]
    assert schema_problems([FeedbackSubmitted], tmp_path) == []


def test_committed_schemas_require_the_envelope_and_pin_their_version() -> None:
    event = FeedbackSubmitted.build(
        region="marelan",
        correlation_id="c-1",
        producer="feedback",
        key="198503122010011002",
        cycle_id="marelan-2026",
        submission_id="s-1",
        version=1,
        source="peer",
        ratee_nip="198503122010011002",
        unit_id=None,
        rater_nip="198604152011012003",
        rubric_id="marelan",
        ratings={"kontribusi_tim": 4},
        comment=None,
    )
    schema = json.loads((SCHEMAS / "feedback.submitted.v1.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/feedback.submitted.v1.json")
    validator = Draft202012Validator(schema)
    payload = json.loads(event.to_bytes())
    assert list(validator.iter_errors(payload)) == []
    assert not validator.is_valid({**payload, "schema_version": 2}), "a v2 payload passed the v1 schema"
    for field in ("event_id", "type", "schema_version", "occurred_at"):
        missing = {k: v for k, v in payload.items() if k != field}
        assert not validator.is_valid(missing), f"a payload without {field} passed"
    for cls in ALL_EVENTS:
        committed = json.loads(
            (SCHEMAS / f"{cls.model_fields['type'].default}.v{cls.VERSION}.json").read_text()
        )
        assert {"event_id", "type", "schema_version", "occurred_at"} <= set(committed["required"]), cls
        assert committed["properties"]["schema_version"]["const"] == cls.VERSION, cls


def test_asyncapi_documents_headers_keys_dead_letters_handled_events_and_the_version() -> None:
    career = json.loads((ROOT / "docs" / "asyncapi" / "career.json").read_text())
    assert career["info"]["version"] == importlib.metadata.version("kinerja")
    messages = career["components"]["messages"]
    for name, message in messages.items():
        assert "headers" in message, name
        assert message["bindings"]["kafka"]["key"]["type"] == "string", name
    # Scoring acts on three of the inputs topic's seven event types, and its document names those
    # three, under the handler that takes them; the producer's document lists all seven.
    scoring = json.loads((ROOT / "docs" / "asyncapi" / "scoring.json").read_text())
    payload = scoring["components"]["schemas"]["OnInput:Message:Payload"]
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in payload["anyOf"]] == [
        "PlanApproved",
        "AchievementReported",
        "FeedbackSubmitted",
    ]
    feedback = json.loads((ROOT / "docs" / "asyncapi" / "feedback.json").read_text())
    published = feedback["components"]["schemas"]["kinerja.feedback.inputs.v1:Publisher:Message:Payload"]
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in published["anyOf"]] == [
        cls.__name__ for cls in ALL_EVENTS if cls.TOPIC == "kinerja.feedback.inputs.v1"
    ]
    channels = {c["address"] for c in career["channels"].values()}
    for topic in ("kinerja.scoring.scores.v1", "kinerja.feedback.employees.v1", "kinerja.feedback.cycles.v1"):
        assert topic in channels and topic + ".dlq" in channels, topic
    dead = messages["kinerja.scoring.scores.v1.dlq:DeadLetter"]
    assert "dlq.reason" in dead["headers"]["required"]
    sends = [op for op in career["operations"].values() if op["action"] == "send"]
    assert len(sends) == 1 + 3  # recommendations, and a dead-letter topic per consumed topic


@pytest.mark.parametrize("service", CONSUMERS)
def test_each_consumed_topic_documents_the_events_its_handler_is_annotated_with(service: str) -> None:
    """The committed AsyncAPI document of a consumer gives each topic it reads the event types of
    the annotation of that topic's handler, read here from the handler the app subscribes, and
    names the channel after that handler."""
    doc = json.loads((ROOT / "docs" / "asyncapi" / f"{service}.json").read_text())
    received = {
        doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"]: op
        for op in doc["operations"].values()
        if op["action"] == "receive"
    }
    app = service_app(service)
    try:
        subscriptions = app.state.kit.subscriptions
        assert subscriptions, f"{service} consumes nothing"
        assert set(received) == {s.topic for s in subscriptions}
        for subscription in subscriptions:
            function = subscription.function
            *_, batch = inspect.signature(function).parameters
            (annotation,) = typing.get_args(typing.get_type_hints(function)[batch])
            annotated = [cls.__name__ for cls in typing.get_args(annotation) or (annotation,)]
            [message_ref] = received[subscription.topic]["messages"]
            channel_key, _, message = message_ref["$ref"].removeprefix("#/channels/").partition("/messages/")
            assert channel_key.endswith(":" + function.__name__.title().replace("_", "")), channel_key
            message_key = doc["channels"][channel_key]["messages"][message]["$ref"].rsplit("/", 1)[1]
            payload = doc["components"]["messages"][message_key]["payload"]
            assert _payload_events(doc, payload) == annotated, subscription.topic
    finally:
        app.state.kit.client.close()


def _payload_events(doc: dict[str, Any], payload: dict[str, Any]) -> list[str]:
    """The schema names a payload stands for: one event, or each of a union."""
    schemas = doc["components"]["schemas"]
    name = payload["$ref"].rsplit("/", 1)[1]
    if "anyOf" not in schemas[name]:
        return [name]
    return [ref["$ref"].rsplit("/", 1)[1] for ref in schemas[name]["anyOf"]]


@pytest.mark.parametrize("service", SERVICES)
def test_each_publication_documents_every_event_type_of_its_topic(service: str) -> None:
    """A producer's AsyncAPI document lists what the topic carries (the registry's events of it):
    a subscriber reading it sees the whole topic, whatever the producer itself puts there."""
    app = service_app(service)
    try:
        publications = app.state.kit.publications
        assert publications, f"{service} publishes nothing"
        for publication in publications:
            assert set(publication.events) == set(events_of(publication.topic)), publication.topic
    finally:
        app.state.kit.client.close()
