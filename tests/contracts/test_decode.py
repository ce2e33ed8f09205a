"""Decoding a Kafka value: each way it can be wrong gives the dead-letter reason consumers record."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.errors import ValidationFailed
from shared.events.feedback import ProgressReported, Realisation
from shared.events.registry import decode

EVENT = ProgressReported.build(
    region="marelan",
    correlation_id="c-1",
    producer="feedback",
    key="198001012005011002",
    cycle_id="marelan-2026",
    nip="198001012005011002",
    realisations=[Realisation(indicator_id="iki-1", value=40.0)],
)


def _with(**change: Any) -> bytes:
    data = json.loads(EVENT.to_bytes())
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "undecodable"),
        (b"[1, 2]", "undecodable"),
        (_with(type=None), "undecodable"),
        (_with(type="feedback.nothing_like_it"), "unknown-event-type"),
        (_with(schema_version=2), "unsupported-version"),
        (_with(schema_version=None), "unsupported-version"),  # a producer must state its version
        (_with(schema_version=2, realisations="changed in v2"), "unsupported-version"),
        (_with(realisations="not a list"), "invalid-event"),
    ],
)
def test_a_bad_value_is_refused_with_its_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        decode(raw)
    assert refused.value.problem_slug == reason


def test_a_good_value_decodes_to_its_event() -> None:
    assert decode(EVENT.to_bytes()) == EVENT
