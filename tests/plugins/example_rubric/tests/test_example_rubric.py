"""The example rubric's own tests, as a region would keep them next to its plugin."""

from __future__ import annotations

import kinerja_example_rubric as rubric

from shared.events.feedback import Source
from shared.plugins import ScoringInputs
from shared.plugins.conformance import check_rubric


def test_rubric_conforms() -> None:
    assert check_rubric(rubric) == []


def test_public_service_counts_double() -> None:
    inputs = ScoringInputs(
        cycle_id="sabang-2026",
        nip="198503122010011002",
        unit_id="dpmptsp",
        service_role=True,
        feedback={Source.SUPERVISOR: {"pelayanan_publik": 5.0, "kerja_sama": 3.0}},
        raters={Source.SUPERVISOR: 1},
    )
    result = rubric.rubric_score(rubric.SPEC, inputs)
    # pelayanan_publik 5 -> 100 (weight 2), kerja_sama 3 -> 50 (weight 1): (200 + 50) / 3 = 83.33
    assert result.behaviour_score is not None
    assert round(result.behaviour_score, 2) == 83.33
