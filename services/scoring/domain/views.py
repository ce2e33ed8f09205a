"""What the scoring service's readers see: a score with its explanation, a unit's distribution,
an official's decision. Typed, so that the HTTP API documents what it returns; built from stored
documents by :mod:`services.scoring.store` and from events by the service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.scoring import CurveViolation

ScoreStatus = Literal["provisional", "held", "final"]


class View(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Calibration(View):
    """One entry of a final score's decision audit, oldest first."""

    decision: Literal["confirmed", "overridden", "finalised_incomplete", "cleared"] = Field(
        description="`confirmed`, `overridden`, `finalised_incomplete` (HR finalised a held score), "
        "or `cleared` (a new final score replaced a calibrated one)."
    )
    from_: str = Field(alias="from", description="The predicate before the decision.")
    to: str = Field(description="The predicate after it.")
    reason: str = Field(description="Why, as the official wrote it.")
    at: datetime | None = Field(description="When.")
    official_role: str = Field(description="Who decided, by role.")
    by: str | None = Field(
        None,
        # Absent, not null, for the employee and the supervisor: the key was never theirs.
        exclude_if=lambda v: v is None,
        description="The official's account; HR, region admins and the system role only.",
    )


class ScoreView(View):
    """An employee's current score in a cycle, with its explanation and decisions."""

    cycle_id: str = Field(description="The cycle.")
    nip: str = Field(description="The employee's NIP.", examples=["198503122010011002"])
    status: ScoreStatus = Field(description="`provisional`, `held` (inputs missing) or `final`.")
    predicate: str = Field(description="The predicate in force, after any calibration.")
    calibrated: bool = Field(description="Whether the appraising official calibrated it.")
    revision: int = Field(description="Revision of the score; a calibration raises it.")
    unit_predicate: str | None = Field(description="The unit's organisation predicate, once closed.")
    violations: list[CurveViolation] = Field(description="The unit's curve check at the close.")
    proposed_predicate: str | None = Field(description="The predicate the curve check proposes.")
    missing: list[str] = Field(description="Inputs a held score lacks.")
    accepted_incomplete: bool = Field(description="Whether HR finalised it with inputs missing.")
    score: dict[str, Any] = Field(description="The computed score with its explanation.")


class ScoreDetail(ScoreView):
    """One score as its own read shows it: with the decisions on it."""

    calibrations: list[Calibration] = Field(description="The decision audit, oldest first.")


class CycleScore(View):
    """One employee's current score in a cycle, as an export lists it."""

    cycle_id: str = Field(description="The cycle.")
    nip: str = Field(description="The employee's NIP.", examples=["198503122010011002"])
    region: str = Field(description="The employee's region.")
    unit_id: str = Field(description="The employee's unit.")
    status: ScoreStatus = Field(description="`provisional`, `held` or `final`.")
    predicate: str = Field(description="The predicate in force, after any calibration.")
    revision: int = Field(description="Revision of the score; a calibration raises it.")
    calibrated: bool = Field(description="Whether the appraising official calibrated it.")
    score: dict[str, Any] = Field(description="The computed score with its explanation.")


class CycleScorePage(View):
    """A page of a cycle's scores in NIP order."""

    items: list[CycleScore] = Field(description="The scores of this page.")
    next: str | None = Field(
        description="NIP to pass as `after` for the next page; null on the last page.",
        examples=["198503122010011002"],
    )


class AllowedRule(View):
    """One rule of the unit's distribution curve, and how the unit stands against it."""

    rule: str = Field(description="The rule, as the regulation writes it.")
    kind: Literal["max_share", "min_share", "min_count"] = Field(
        description="A ceiling on the share (`max_share`, percent), a floor on it (`min_share`, "
        "percent) or a least number of employees (`min_count`)."
    )
    predicates: list[str] = Field(description="The predicates the rule counts.")
    value: int = Field(description="The percentage, or for `min_count` the number.")
    count: int = Field(description="Employees of the unit with those predicates.")
    holds: bool = Field(description="Whether the unit is within the rule.")


class Distribution(View):
    """A unit's predicates and curve check as they stand now, calibrations included."""

    cycle_id: str = Field(description="The cycle.")
    unit_id: str = Field(description="The unit.")
    employees: int = Field(description="Employees with a score in the unit.")
    final: bool = Field(description="Whether every counted score is final.")
    allowed: list[AllowedRule] = Field(description="The curve's rules for the unit's predicate.")
    predicates: dict[str, int] = Field(description="Employees per predicate (held scores apart).")
    unit_predicate: str | None = Field(description="The unit's organisation predicate.")
    violations: list[CurveViolation] = Field(description="Rules the current predicates break.")
    proposed: dict[str, str] = Field(description="Predicates the check proposes, by NIP.")
    calibrated: list[str] = Field(description="NIPs whose predicate an official calibrated.")
    held: list[str] = Field(description="NIPs whose score is held (inputs missing).")


class CalibrationDone(View):
    """What a calibration decided."""

    event_id: str = Field(description="The `scoring.calibration_applied` event's id.")
    predicate: str = Field(description="The predicate now in force.")
    decision: Literal["confirmed", "overridden"] = Field(description="The decision.")


class HeldFinalised(View):
    """What finalising a held score decided."""

    event_id: str = Field(description="The `scoring.score_finalized` event's id.")
    predicate: str = Field(description="The final predicate.")
    missing: list[str] = Field(description="The inputs it was finalised without.")
    violations: list[CurveViolation] = Field(description="The unit's curve check with this score.")
    proposed_predicate: str | None = Field(description="The predicate the curve check proposes.")
