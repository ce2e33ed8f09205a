"""Event contracts as files: a schema change without a version bump fails the build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Literal

from jsonschema import Draft202012Validator
from pydantic import Field

from shared.contracts import SCHEMAS, problems, schema_problems
from shared.events.feedback import FeedbackSubmitted
from shared.events.registry import ALL_EVENTS, TOPICS


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
