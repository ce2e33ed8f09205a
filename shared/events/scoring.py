"""Events produced by the scoring service: provisional and final scores, calibration decisions.

Downstream systems subscribe to :data:`SCORES_TOPIC`, keyed by NIP.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from shared.events.base import NIP_PATTERN, Event, Model

SCORES_TOPIC = "kinerja.scoring.scores.v1"


class Rating(StrEnum):
    """The three rating levels of results and of behaviour (PermenPANRB 6/2022)."""

    ABOVE = "di_atas_ekspektasi"
    MEETS = "sesuai_ekspektasi"
    BELOW = "di_bawah_ekspektasi"


class Predicate(StrEnum):
    """Performance predicate (Predikat Kinerja Pegawai)."""

    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"


class MissingInput(StrEnum):
    """An input the national rules need before a score may be final (docs/scoring.md, "Held scores").

    A missing input is not misconduct: a closed cycle holds such a score rather than finalise it as
    below expectation, until the input arrives (the cycle reopened) or HR finalises it explicitly.
    """

    SUPERVISOR_ASSESSMENT = "supervisor_assessment"
    """No usable assessment by the appraising official, whose rating PermenPANRB 6/2022 requires."""
    RESULTS = "results"
    """No usable results input: no approved plan, or no realised value of any of its indicators."""
    BEHAVIOUR = "behaviour"
    """No usable behaviour input from any source."""


class InputRef(Model):
    event_id: str = Field(description="Id of the input event.")
    kind: str = Field(description="Input kind: plan, achievement, feedback:<source>, ...")
    version: int = Field(1, description="Version of the input that was used.")


class LeftOut(Model):
    kind: str = Field(description="Input kind that was left out, e.g. `feedback:peer`.")
    count: int = Field(description="How many inputs of that kind were left out.")
    reason: str = Field(description="Why they were left out.")


class Flag(Model):
    code: str = Field(description="Stable flag code.", examples=["supervisor_peer_divergence"])
    message: str = Field(description="Human-readable explanation.")


class Explanation(Model):
    """Everything needed to understand and reproduce a score."""

    inputs_used: list[InputRef] = Field(description="Inputs the score was computed from.")
    left_out: list[LeftOut] = Field(default_factory=list, description="Inputs left out, with reasons.")
    weights: dict[str, float] = Field(description="Weight per component or source.")
    criteria: dict[str, float] = Field(
        default_factory=dict, description="Score per rubric criterion, 0-100, after bias handling."
    )
    adjustments: list[str] = Field(
        default_factory=list, description="Bias corrections and outlier handling that were applied."
    )
    flags: list[Flag] = Field(default_factory=list, description="Warnings for the appraising official.")
    steps: list[str] = Field(default_factory=list, description="The computation, step by step.")


class Score(Model):
    cycle_id: str = Field(description="Cycle id.")
    nip: str = Field(description="Scored employee.", pattern=NIP_PATTERN)
    unit_id: str = Field(description="Unit of the employee when scored.")
    team_id: str | None = Field(None, description="Team of the employee when scored.")
    rubric_id: str = Field(description="Rubric id.", examples=["marelan"])
    rubric_version: str = Field(description="Rubric version.", examples=["1.0.0"])
    results_score: float = Field(description="Results (hasil kerja) score, 0-100.", ge=0, le=100)
    behaviour_score: float = Field(description="Behaviour (perilaku) score, 0-100.", ge=0, le=100)
    results_rating: Rating = Field(description="Rating Hasil Kerja.")
    behaviour_rating: Rating = Field(description="Rating Perilaku Kerja.")
    predicate: Predicate = Field(description="Predikat Kinerja from the national matrix.")
    explanation: Explanation = Field(description="How the score came about.")
    inputs_digest: str = Field(description="SHA-256 of the canonical inputs; equal inputs give equal scores.")
    revision: int = Field(1, description="Increases each time the score of this cycle is recomputed.")


class ScoreComputed(Event):
    """A provisional score, recomputed after each relevant input."""

    TOPIC = SCORES_TOPIC
    type: Literal["scoring.score_computed"] = Field("scoring.score_computed", description="Event type name.")
    score: Score = Field(description="The provisional score.")


class CurveViolation(Model):
    unit_id: str = Field(description="Unit whose distribution breaks the curve.")
    rule: str = Field(description="The rule broken, as written in the regulation.")
    observed: float = Field(description="Observed share, 0-1.")
    limit: float = Field(description="Allowed share, 0-1.")


class ScoreFinalized(Event):
    """The final score of a closed cycle, with the curve check of the employee's unit."""

    TOPIC = SCORES_TOPIC
    type: Literal["scoring.score_finalized"] = Field(
        "scoring.score_finalized", description="Event type name."
    )
    score: Score = Field(description="The final score.")
    unit_predicate: str | None = Field(None, description="Organisation predicate the curve was checked for.")
    violations: list[CurveViolation] = Field(
        default_factory=list, description="Curve rules the unit's distribution breaks."
    )
    proposed_predicate: Predicate | None = Field(
        None, description="Predicate the curve check proposes for this employee, if it differs."
    )


class ScoreHeld(Event):
    """A closed cycle's score that lacks inputs: not final, not in the unit's curve, not calibrable.

    It becomes a ``scoring.score_finalized`` when the missing input arrives (a late input, or the
    cycle reopened and closed again), or when HR finalises it explicitly as it stands.
    """

    TOPIC = SCORES_TOPIC
    type: Literal["scoring.score_held"] = Field("scoring.score_held", description="Event type name.")
    score: Score = Field(description="The score as the inputs stand; not final.")
    missing: list[MissingInput] = Field(description="What the score lacks.", min_length=1)
    unit_predicate: str | None = Field(None, description="Organisation predicate of the unit's curve.")


class CalibrationApplied(Event):
    """The appraising official confirmed or overrode a final predicate."""

    TOPIC = SCORES_TOPIC
    type: Literal["scoring.calibration_applied"] = Field(
        "scoring.calibration_applied", description="Event type name."
    )
    cycle_id: str = Field(description="Cycle id.")
    nip: str = Field(description="Employee.", pattern=NIP_PATTERN)
    unit_id: str = Field(description="Unit of the employee.")
    previous_predicate: Predicate = Field(description="Predicate before the decision.")
    predicate: Predicate = Field(description="Predicate decided.")
    decision: Literal["confirmed", "overridden"] = Field(description="Confirmed or overridden.")
    decided_by: str = Field(description="Subject of the appraising official.")
    reason: str = Field(description="Reason given.", max_length=4000)


EVENTS: tuple[type[Event], ...] = (ScoreComputed, ScoreFinalized, ScoreHeld, CalibrationApplied)
