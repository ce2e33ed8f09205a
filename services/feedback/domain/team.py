"""The supervisor's view of a team in a cycle, and a person's to-do list of assessments. Pure:
what the store read goes in, the views come out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.feedback.domain.organisation import EmployeeRecord
from services.feedback.domain.rating import relation_problem
from shared.events.feedback import Source

PlanState = Literal["none", "submitted", "approved", "returned"]


class IndicatorProgress(BaseModel):
    indicator_id: str
    name: str
    target: float
    unit: str
    latest: float | None = Field(description="The value of the latest report that gave one, if any.")
    reported_at: datetime | None = Field(description="When that report was made.")


class TeamMember(BaseModel):
    nip: str
    name: str
    unit_id: str
    plan_status: PlanState
    indicators: list[IndicatorProgress] = Field(description="The plan's indicators, in plan order.")
    reports: int = Field(description="Progress reports in the cycle.")
    last_reported_at: datetime | None
    reported: bool = Field(description="Whether the member has reported progress in the cycle at all.")


class TeamView(BaseModel):
    cycle_id: str
    members: list[TeamMember]
    next: str | None = Field(description="`after` of the next page; null on the last.")


def team_member(
    employee: EmployeeRecord, plan: Mapping[str, Any] | None, reports: Sequence[Mapping[str, Any]]
) -> TeamMember:
    """One member's line: the plan's state, and per indicator the latest value reported."""
    ordered = sorted(reports, key=lambda r: r["reported_at"])
    latest: dict[str, tuple[float, datetime]] = {}
    for report in ordered:
        for realisation in report.get("realisations", []):
            latest[realisation["indicator_id"]] = (realisation["value"], report["reported_at"])
    indicators = [
        IndicatorProgress(
            indicator_id=i["indicator_id"],
            name=i["name"],
            target=i["target"],
            unit=i["unit"],
            latest=latest[i["indicator_id"]][0] if i["indicator_id"] in latest else None,
            reported_at=latest[i["indicator_id"]][1] if i["indicator_id"] in latest else None,
        )
        for result in (plan or {}).get("results", [])
        for i in result.get("indicators", [])
    ]
    return TeamMember(
        nip=employee.nip,
        name=employee.name,
        unit_id=employee.unit_id,
        plan_status=plan["status"] if plan else "none",
        indicators=indicators,
        reports=len(ordered),
        last_reported_at=ordered[-1]["reported_at"] if ordered else None,
        reported=bool(ordered),
    )


class ToDoItem(BaseModel):
    nip: str = Field(description="Whom to assess.")
    name: str
    source: Source = Field(description="As whom: self, supervisor, peer or subordinate.")
    service_role: bool = Field(
        description="The ratee serves the public: the rubric's service questions are asked too."
    )
    done: bool = Field(description="Whether the caller has submitted it in this cycle (it may be changed).")


class ToDo(BaseModel):
    cycle_id: str
    deadline: datetime = Field(description="The end of the cycle's submission window.")
    items: list[ToDoItem]


def assessments_asked(
    me: EmployeeRecord,
    colleagues: Iterable[EmployeeRecord],
    asked: Iterable[Source],
) -> list[tuple[Source, EmployeeRecord]]:
    """What ``me`` is asked to assess: themself, their supervisor, peers and direct reports among
    ``colleagues`` still in service, for the sources the region's rubric asks; the relation rule
    is the one a submission is checked against."""
    sources = set(asked)
    out: list[tuple[Source, EmployeeRecord]] = []
    if Source.SELF in sources:
        out.append((Source.SELF, me))
    seen = {me.nip}
    for other in sorted(colleagues, key=lambda e: e.nip):
        if other.nip in seen or not other.active:  # no one is asked to assess a colleague who left
            continue
        seen.add(other.nip)
        for source in (Source.SUBORDINATE, Source.PEER, Source.SUPERVISOR):
            if source in sources and relation_problem(source, me, other) is None:
                out.append((source, other))
    return out
