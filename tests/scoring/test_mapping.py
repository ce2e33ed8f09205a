"""Stored input entries: one JSON string each, and documents written before that still read."""

from __future__ import annotations

import json
from typing import Any

from services.scoring.mapping import feedback_of, to_cycle_inputs
from tools.workload.stored import stored_inputs


def test_entries_stored_as_documents_read_as_the_same_inputs_as_json_strings() -> None:
    chunk = next(stored_inputs(3))
    for pair in chunk:
        doc, employee = pair["inputs"], pair["employee"]
        assert all(
            isinstance(v, str) for kind in ("plans", "achievements", "feedback") for v in doc[kind].values()
        )
        older: dict[str, Any] = {
            **doc,
            **{
                kind: {k: json.loads(v) for k, v in doc[kind].items()}
                for kind in ("plans", "achievements", "feedback")
            },
        }
        assert to_cycle_inputs(older, employee) == to_cycle_inputs(doc, employee)
        assert feedback_of(older) == feedback_of(doc)
        inputs = to_cycle_inputs(doc, employee)
        assert inputs.plan is not None and inputs.plan.indicators
        assert inputs.achievements and len(inputs.feedback) >= 3
