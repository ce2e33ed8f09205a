"""Event contracts as files: a schema change without a version bump fails the build."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

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
