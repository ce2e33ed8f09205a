"""The inputs digest: SHA-256 of a canonical JSON form of everything a score depends on.

Canonical means sorted: the same inputs give the same digest whatever order they arrived in, and
equal digests mean equal scores (superseded versions are included: the explanation lists them).
The cycle's rater corrections applied to this employee are part of it as ``shifts``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from services.scoring.domain.inputs import AchievementInput, CycleInputs, FeedbackInput
from shared.plugins.model import IndicatorOutcome, RubricSpec

_ENCODER = json.JSONEncoder(separators=(",", ":"))
"""Built once: json.dumps with arguments builds a new encoder on every call."""


def _indicator(ind: IndicatorOutcome) -> list[object]:
    return [
        ind.result_id,
        ind.result_kind.value,
        ind.indicator_id,
        ind.aspect.value,
        ind.direction.value,
        ind.target,
        ind.standard,
        ind.realised,
    ]


def canonical_inputs(
    inputs: CycleInputs,
    spec: RubricSpec,
    rules: str,
    indicators: Iterable[IndicatorOutcome],
    achievements: Iterable[AchievementInput],
    feedback: Iterable[FeedbackInput],
    shifts: Mapping[str, float],
) -> str:
    """Canonical JSON: fixed key order, sorted lists, no whitespace, floats by repr."""
    document = {
        "cycle": inputs.cycle_id,
        "employee": [inputs.nip, inputs.unit_id, inputs.team_id, inputs.service_role],
        "rubric": [spec.rubric_id, spec.version],
        "rules": rules,
        "plan": [inputs.plan.event_id, inputs.plan.plan_id] if inputs.plan else None,
        "indicators": sorted(_indicator(i) for i in indicators),
        "achievements": sorted([a.event_id, a.version] for a in achievements),
        "feedback": sorted(f.canonical() for f in feedback),
        "shifts": sorted(shifts.items()),
    }
    # Keys are written in a fixed order above, so no sort_keys: it is the slowest part here.
    return _ENCODER.encode(document)


def digest(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()
