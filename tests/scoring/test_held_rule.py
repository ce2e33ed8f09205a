"""A missing input is not misconduct: what a score lacks, and when a closed cycle holds it.

The outside report (issue 16, item 9): an employee who met every target but had no supervisor
assessment was rated behaviour "below expectation", predicate ``kurang`` (misconduct). A score
now lists what it lacks (``missing``) and a closed cycle holds it instead of finalising it.
"""

from __future__ import annotations

from services.scoring.domain import Assessment, RaterStats, assess, final_status
from shared.events.feedback import Source
from shared.events.scoring import MissingInput
from shared.plugins.manager import build_registry
from shared.rubrics import berakhlak
from tests.scoring.support import cycle, fb, indicator, nip

REGISTRY = build_registry()
NATIONAL = REGISTRY.for_region("some-region-without-a-rubric")
BEHAVIOUR = {cid: 4.0 for cid, _, _ in berakhlak.VALUES}


def score_of(*feedback_from: Source, realised: float | None = 100.0) -> Assessment:
    inputs = cycle(
        feedback=tuple(
            fb(source, nip(k), BEHAVIOUR, rubric="national") for k, source in enumerate(feedback_from)
        ),
        indicators=(indicator("iki-1", 100.0),),
        realised={"iki-1": realised} if realised is not None else None,
    )
    return assess(inputs, NATIONAL, REGISTRY.score, RaterStats())


def test_every_target_met_without_a_supervisor_assessment_is_held_not_finalised() -> None:
    assessed = score_of(Source.SELF)
    assert assessed.score.results_rating.value == "sesuai_ekspektasi"
    assert assessed.missing == (MissingInput.SUPERVISOR_ASSESSMENT,)
    assert "no_supervisor_assessment" in {f.code for f in assessed.score.explanation.flags}
    assert final_status(assessed, accepted_incomplete=False) == "held"
    # HR may finalise it as it stands, explicitly.
    assert final_status(assessed, accepted_incomplete=True) == "final"


def test_with_the_supervisor_assessment_nothing_is_missing() -> None:
    assessed = score_of(Source.SELF, Source.SUPERVISOR)
    assert assessed.missing == ()
    assert final_status(assessed, accepted_incomplete=False) == "final"


def test_no_usable_results_or_behaviour_input_is_missing_too() -> None:
    assessed = score_of(realised=None)
    assert assessed.missing == (
        MissingInput.SUPERVISOR_ASSESSMENT,
        MissingInput.RESULTS,
        MissingInput.BEHAVIOUR,
    )
    assert final_status(assessed, accepted_incomplete=False) == "held"


def test_a_rubric_that_asks_no_supervisor_does_not_hold_for_its_lack() -> None:
    from tests.scoring.support import TEST_SPEC

    spec = TEST_SPEC.model_copy(
        update={
            "criteria": tuple(
                c.model_copy(update={"sources": frozenset({Source.SELF, Source.PEER})})
                for c in TEST_SPEC.criteria
            )
        }
    )
    inputs = cycle(feedback=(fb(Source.SELF, nip(1), {"c1": 4.0, "c2": 4.0}),))

    def rubric(_spec: object, _inputs: object) -> object:
        from shared.plugins import RubricResult

        return RubricResult(results_score=50.0, behaviour_score=50.0)

    assert assess(inputs, spec, rubric, RaterStats()).missing == ()  # type: ignore[arg-type]
