"""Tests of the rubric: the conformance kit, then the region's own rules with hand-computed numbers."""

from __future__ import annotations

import kinerja_rubric_contoh as rubric

from shared.events.feedback import Aspect, Direction, ResultKind, Source
from shared.plugins import IndicatorOutcome, ScoringInputs
from shared.plugins.conformance import assert_rubric_conforms


def test_rubric_conforms() -> None:
    assert_rubric_conforms(rubric)


def test_indicators_and_criteria_give_the_hand_computed_indices() -> None:
    inputs = ScoringInputs(
        cycle_id="contoh-2026",
        nip="198503122010011002",
        unit_id="dinas",
        service_role=False,
        indicators=(
            IndicatorOutcome(
                "rhk-1",
                ResultKind.MAIN,
                "iki-1",
                "Izin terbit",
                Aspect.QUANTITY,
                Direction.HIGHER_IS_BETTER,
                100.0,
                None,
                110.0,
            ),
        ),
        feedback={Source.SUPERVISOR: {"pelayanan": 4.0, "kerja_sama": 3.0}},
        raters={Source.SUPERVISOR: 1},
    )
    result = rubric.rubric_score(rubric.SPEC, inputs)
    # 110 / 100 = 1.1 -> 50 + 50 x (1.1 - 1) / (1.2 - 1) = 75
    assert result.results_score is not None and round(result.results_score, 2) == 75.0
    # pelayanan 4 -> 75, kerja_sama 3 -> 50, equal weights: 62.5
    assert result.behaviour_score is not None and round(result.behaviour_score, 2) == 62.5
