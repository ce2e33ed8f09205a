"""Plans (SKP) with their results and indicators, and the reports against them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from services.feedback.domain.base import EvidenceLink, Reason, Schema, Text
from shared.events.feedback import (
    Realisation,
    ResultKind,
    WorkResult,
)

# ------------------------------------------------------------------ plans and reports


class PlanStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class PlanCreate(Schema):
    results: list[WorkResult] = Field(min_length=1, max_length=50, description="RHK with indicators.")


class PlanReturn(Schema):
    reason: Reason


class Plan(BaseModel):
    plan_id: str
    region: str
    cycle_id: str
    nip: str
    status: PlanStatus
    results: list[WorkResult]
    submitted_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    return_reason: str | None = None


def plan_id_of(cycle_id: str, nip: str) -> str:
    return f"{cycle_id}-{nip}"


SIGNED_UNIT_MARKS = ("±", "+/-")
"""A unit that starts with one of these measures a change that may go either way (``± poin``)."""


def signed(unit: str) -> bool:
    """Whether values of ``unit`` may be negative.

    IKI measure quantity, quality, time and cost: counts, percentages, durations and amounts,
    none of which is below zero. A region that tracks a change which may go either way names its
    unit with a leading ``±``.
    """
    return unit.strip().startswith(SIGNED_UNIT_MARKS)


def value_problem(label: str, value: float, unit: str) -> str | None:
    """Why ``value`` cannot be a value of an indicator measured in ``unit``, or None."""
    if value < 0 and not signed(unit):
        return f"{label}: {value:g} {unit} cannot be negative (a unit that can starts with ±)"
    return None


def plan_problems(results: Sequence[WorkResult]) -> list[str]:
    """Structural rules of an SKP: unique ids, at least one main result, targets its units allow."""
    problems = []
    for result in results:
        for i in result.indicators:
            for name, value in (("target", i.target), ("standard", i.standard)):
                if value is not None and (p := value_problem(f"{i.indicator_id} {name}", value, i.unit)):
                    problems.append(p)
    result_ids = [r.result_id for r in results]
    if len(result_ids) != len(set(result_ids)):
        problems.append("result ids are not unique")
    indicator_ids = [i.indicator_id for r in results for i in r.indicators]
    if len(indicator_ids) != len(set(indicator_ids)):
        problems.append("indicator ids are not unique within the plan")
    if not any(r.kind is ResultKind.MAIN for r in results):
        problems.append("a plan needs at least one main (utama) result")
    return problems


def split_link(supports: str) -> tuple[str, str] | None:
    """``<plan id>/<result id>`` -> the two parts, or None when malformed."""
    plan_id, sep, result_id = supports.rpartition("/")
    return (plan_id, result_id) if sep and plan_id and result_id else None


def link_problems(
    results: Sequence[WorkResult], supervisor_plan_id: str | None, supervisor_results: Iterable[str] | None
) -> list[str]:
    """Each ``supports`` must name a result of the supervisor's own plan in the same cycle."""
    problems = []
    known = set(supervisor_results or ())
    for result in results:
        if result.supports is None:
            continue
        parts = split_link(result.supports)
        if parts is None:
            problems.append(f"{result.result_id}: link {result.supports!r} is not <plan id>/<result id>")
        elif supervisor_plan_id is None:
            problems.append(f"{result.result_id}: the employee has no supervisor to link to")
        elif parts[0] != supervisor_plan_id:
            problems.append(f"{result.result_id}: plan {parts[0]} is not the supervisor's plan")
        elif supervisor_results is None:
            problems.append(f"{result.result_id}: the supervisor has no plan in this cycle")
        elif parts[1] not in known:
            problems.append(f"{result.result_id}: the supervisor's plan has no result {parts[1]}")
    return problems


class RealisationCreate(Schema):
    indicator_id: str = Field(max_length=64)
    value: float = Field(allow_inf_nan=False)
    evidence: list[EvidenceLink] = Field(default_factory=list, max_length=20)

    def to_event(self) -> Realisation:
        return Realisation(indicator_id=self.indicator_id, value=self.value, evidence=self.evidence)


class ProgressCreate(Schema):
    realisations: list[RealisationCreate] = Field(min_length=1, max_length=200)
    note: Text | None = None


class Progress(BaseModel):
    report_id: str
    cycle_id: str
    nip: str
    realisations: list[Realisation]
    note: str | None
    reported_at: datetime


class AchievementCreate(Schema):
    realisations: list[RealisationCreate] = Field(min_length=1, max_length=200)


class Achievement(BaseModel):
    cycle_id: str
    nip: str
    plan_id: str
    version: int
    realisations: list[Realisation]
    reported_at: datetime


def indicator_ids(results: Sequence[WorkResult]) -> list[str]:
    return [i.indicator_id for r in results for i in r.indicators]


def indicator_units(results: Sequence[WorkResult]) -> dict[str, str]:
    """The unit of each indicator of a plan, in plan order."""
    return {i.indicator_id: i.unit for r in results for i in r.indicators}


def realisation_problems(
    realisations: Sequence[RealisationCreate], plan_indicators: Mapping[str, str], *, complete: bool
) -> list[str]:
    """Realisations must name the plan's indicators once each, with values their units allow; a
    final report covers them all. ``plan_indicators`` maps each indicator id to its unit."""
    problems = [
        p
        for r in realisations
        if r.indicator_id in plan_indicators
        and (p := value_problem(r.indicator_id, r.value, plan_indicators[r.indicator_id]))
    ]
    given = [r.indicator_id for r in realisations]
    if len(given) != len(set(given)):
        problems.append("an indicator is reported twice")
    unknown = sorted(set(given) - set(plan_indicators))
    if unknown:
        problems.append(f"not indicators of the plan: {', '.join(unknown)}")
    missing = [i for i in plan_indicators if i not in given]
    if complete and missing:
        problems.append(f"no realisation for: {', '.join(missing)}")
    return problems
