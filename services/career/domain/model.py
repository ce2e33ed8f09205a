"""Values the career rules work on: a score as career sees it, an employee's history, potential.

All of them are frozen pydantic models so the service can load them from the store and pass them
to the pure rules unchanged.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from shared.errors import ValidationFailed
from shared.events.base import NIP_PATTERN, Model
from shared.events.scoring import CalibrationApplied, Predicate, Score, ScoreComputed, ScoreFinalized

PREDICATE_LABEL: dict[Predicate, str] = {
    Predicate.SANGAT_BAIK: "Sangat Baik",
    Predicate.BAIK: "Baik",
    Predicate.BUTUH_PERBAIKAN: "Butuh Perbaikan",
    Predicate.KURANG: "Kurang",
    Predicate.SANGAT_KURANG: "Sangat Kurang",
}


class ScoreInput(Model):
    """A score the rules run on: the scoring service's ``Score``, the event it came in, and whether
    it is final. A calibration by the appraising official replaces the predicate."""

    score: Score = Field(description="The score as published by the scoring service.")
    score_event_id: str = Field(description="Id of the ScoreComputed / ScoreFinalized event.")
    final: bool = Field(description="True for ScoreFinalized, False for ScoreComputed.")
    calibration_event_id: str | None = Field(None, description="CalibrationApplied event, if any.")
    calibrated_predicate: Predicate | None = Field(None, description="Predicate decided by the official.")

    @classmethod
    def from_event(cls, event: ScoreComputed | ScoreFinalized) -> ScoreInput:
        """Wrap a score event; ``ScoreFinalized`` gives a final input."""
        return cls(
            score=event.score,
            score_event_id=str(event.event_id),
            final=isinstance(event, ScoreFinalized),
        )

    def with_calibration(self, event: CalibrationApplied) -> ScoreInput:
        """Return this final score with the predicate the appraising official decided."""
        if not self.final:
            raise ValidationFailed("calibration applies to final scores only", slug="calibration-not-final")
        if (event.cycle_id, event.nip) != (self.score.cycle_id, self.score.nip):
            raise ValidationFailed(
                f"calibration for {event.nip}/{event.cycle_id} does not match score "
                f"{self.score.nip}/{self.score.cycle_id}",
                slug="calibration-mismatch",
            )
        return self.model_copy(
            update={"calibration_event_id": str(event.event_id), "calibrated_predicate": event.predicate}
        )

    @property
    def predicate(self) -> Predicate:
        """The predicate in force: the official's decision wins over the computed one."""
        return self.calibrated_predicate or self.score.predicate

    @property
    def event_ids(self) -> tuple[str, ...]:
        """Events this score rests on, score first."""
        if self.calibration_event_id is None:
            return (self.score_event_id,)
        return (self.score_event_id, self.calibration_event_id)


class CycleOutcome(Model):
    """The final outcome of one past cycle of one employee."""

    cycle_id: str = Field(description="Cycle id.")
    period: str = Field(
        description="Sortable period of the cycle (ISO: `2024`, `2024-06`); orders the history.",
        examples=["2024"],
    )
    predicate: Predicate = Field(description="Final predicate in force for that cycle.")
    criteria: dict[str, float] = Field(default_factory=dict, description="Score per criterion, 0-100.")
    score_event_ids: tuple[str, ...] = Field(description="Score (and calibration) events of that cycle.")

    @classmethod
    def from_score(cls, score: ScoreInput, period: str) -> CycleOutcome:
        """The outcome a final score leaves in the history."""
        if not score.final:
            raise ValidationFailed("only final scores enter the history", slug="history-not-final")
        return cls(
            cycle_id=score.score.cycle_id,
            period=period,
            predicate=score.predicate,
            criteria=dict(score.score.explanation.criteria),
            score_event_ids=score.event_ids,
        )


class History(Model):
    """An employee's past cycle outcomes, ordered by period (oldest first)."""

    outcomes: tuple[CycleOutcome, ...] = Field(default=(), description="Outcomes, oldest first.")

    @field_validator("outcomes")
    @classmethod
    def _order_and_check(cls, outcomes: tuple[CycleOutcome, ...]) -> tuple[CycleOutcome, ...]:
        # Sorting here, not trusting the caller, keeps the rules deterministic whatever order the
        # store returns; duplicate cycles or periods would make "consecutive" ambiguous.
        ordered = tuple(sorted(outcomes, key=lambda o: o.period))
        for attr in ("cycle_id", "period"):
            values = [getattr(o, attr) for o in ordered]
            if len(set(values)) != len(values):
                raise ValueError(f"history has duplicate {attr}s")
        return ordered

    def before(self, cycle_id: str) -> tuple[CycleOutcome, ...]:
        """Outcomes earlier than ``cycle_id``; all of them when that cycle is not in the history.

        Reprocessing an old cycle therefore sees the history as it was then, not later cycles.
        """
        for index, outcome in enumerate(self.outcomes):
            if outcome.cycle_id == cycle_id:
                return self.outcomes[:index]
        return self.outcomes

    def with_outcome(self, outcome: CycleOutcome) -> History:
        """A new history with ``outcome`` added, replacing any outcome of the same cycle."""
        kept = tuple(o for o in self.outcomes if o.cycle_id != outcome.cycle_id)
        return History(outcomes=(*kept, outcome))


class PotentialLevel(StrEnum):
    """Potential level of the talent 9-box (PermenPANRB 3/2020): rendah / menengah / tinggi."""

    LOW = "rendah"
    MEDIUM = "menengah"
    HIGH = "tinggi"


class PotentialAssessment(Model):
    """A potential assessment of an employee (e.g. by an assessment centre); input to the 9-box."""

    assessment_id: str = Field(description="Id of the assessment, cited in the recommendation.")
    nip: str = Field(description="Assessed employee.", pattern=NIP_PATTERN)
    level: PotentialLevel = Field(description="Assessed potential.")
    method: str | None = Field(None, description="How it was assessed.", examples=["assessment_center"])


class Decision(Model):
    """An HR officer's decision on a proposed recommendation."""

    status: Literal["accepted", "rejected"] = Field(description="Accept or reject.")
    decided_by: str = Field(description="Subject of the HR officer.", min_length=1)
    reason: str | None = Field(None, description="Why; required for a rejection.", max_length=4000)
