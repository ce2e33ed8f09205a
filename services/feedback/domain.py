"""Pydantic models and pure rules of the feedback service: no I/O here.

The request/response schemas follow the house style (``X`` is what the API returns, ``XCreate``
what creates it, ``XUpdate`` what changes part of it). The rules are plain functions that return
the reasons something is not acceptable, so that the service decides which problem to raise.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from statistics import fmean
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.events.base import NIP_PATTERN
from shared.events.feedback import (
    CycleKind,
    Employee,
    EmploymentType,
    Realisation,
    ResultKind,
    Source,
    WorkResult,
)

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Nip = Annotated[str, StringConstraints(pattern=NIP_PATTERN)]
Reason = Annotated[str, StringConstraints(min_length=3, max_length=1000, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
EvidenceLink = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]

MIN_ANONYMOUS_RATERS = 3
"""Peer, subordinate and citizen feedback is shown only pooled, and only from this many raters."""
POOLED_SOURCES = frozenset({Source.PEER, Source.SUBORDINATE, Source.CITIZEN})
ORGANISATION_PREDICATES = ("Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
CITIZEN_LIMIT = 10
"""Citizen submissions accepted per client address and window (across all replicas)."""
CITIZEN_WINDOW_S = 600
ADULT_AGE = 18


def utcnow() -> datetime:
    return datetime.now(UTC)


class Schema(BaseModel):
    """Base of request bodies: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ NIP


def nip_problems(nip: str, employment_type: EmploymentType) -> list[str]:
    """Why ``nip`` is not a valid NIP; the PNS layout is checked only for PNS (PPPK differs).

    PNS layout (BKN): birth date ``YYYYMMDD``, start of CPNS service ``YYYYMM`` (TMT CPNS), sex
    ``1``/``2``, sequence of 3 digits. The start may not lie before the 18th birthday; the NIP only
    carries the month, so the check is by month: starting in the month of the 18th birthday passes.
    """
    if len(nip) != 18 or not nip.isascii() or not nip.isdigit():
        return ["a NIP has exactly 18 digits"]
    if employment_type is not EmploymentType.PNS:
        return []
    problems = []
    try:
        born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        born = None
        problems.append(f"birth date {nip[0:8]} is not a valid date")
    start_year, start_month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= start_month <= 12:
        problems.append(f"start of service {nip[8:14]} has no valid month")
    elif born is not None:
        if born.year < 1900 or born > utcnow().date():
            problems.append(f"birth date {nip[0:8]} is not plausible")
        if (start_year, start_month) < (born.year + ADULT_AGE, born.month):
            problems.append(f"start of service {nip[8:14]} is before the 18th birthday")
    if nip[14] not in "12":
        problems.append(f"sex digit is {nip[14]}, not 1 or 2")
    return problems


# ------------------------------------------------------------------ organisation


class UnitCreate(Schema):
    name: str = Field(min_length=1, max_length=200, description="Name of the unit (dinas).")


class Unit(BaseModel):
    region: str
    unit_id: str
    name: str


class TeamCreate(Schema):
    name: str = Field(min_length=1, max_length=200, description="Name of the team.")
    unit_id: Id = Field(description="Unit the team belongs to.")


class Team(BaseModel):
    region: str
    team_id: str
    name: str
    unit_id: str


class EmployeeCreate(Schema):
    """An employee record; the NIP is in the path."""

    name: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=200)
    unit_id: Id
    supervisor_nip: Nip | None = None
    team_id: Id | None = None
    employment_type: EmploymentType
    language: Literal["id", "en"] = "id"
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    service_role: bool = False
    active: bool = True


class EmployeeUpdate(Schema):
    """A partial change; fields left out keep their value, ``null`` clears an optional one."""

    name: str | None = Field(None, min_length=1, max_length=200)
    position: str | None = Field(None, min_length=1, max_length=200)
    unit_id: Id | None = None
    supervisor_nip: Nip | None = None
    team_id: Id | None = None
    employment_type: EmploymentType | None = None
    language: Literal["id", "en"] | None = None
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    service_role: bool | None = None
    active: bool | None = None


class EmployeeRecord(Employee):
    """An employee as the API returns it: the contract's record plus the region."""

    region: str = Field(description="Region the employee belongs to.")


class ImportRow(Schema):
    """One row of a bulk import (CSV columns or JSON object keys)."""

    nip: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=200)
    unit_id: Id
    supervisor_nip: Nip | None = None
    team_id: Id | None = None
    employment_type: EmploymentType
    language: Literal["id", "en"] = "id"
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    service_role: bool = False
    active: bool = True


class RowRejection(BaseModel):
    row: int = Field(description="1-based data row number (the CSV header is not counted).")
    nip: str | None = Field(description="NIP as given, if any.")
    reasons: list[str]


class ImportReport(BaseModel):
    accepted: int = Field(description="Rows applied (each one upsert with its own event).")
    rejected: list[RowRejection] = Field(description="Rows not applied, with their reasons.")


def employee_problems(
    nip: str,
    record: EmployeeCreate | ImportRow,
    *,
    units: set[str],
    teams: Mapping[str, str],
    known_nips: set[str],
) -> list[str]:
    """Why an employee record does not fit the organisation data (``teams``: team id -> unit id)."""
    problems = nip_problems(nip, record.employment_type)
    if record.unit_id not in units:
        problems.append(f"unit {record.unit_id} does not exist")
    if record.team_id is not None:
        if record.team_id not in teams:
            problems.append(f"team {record.team_id} does not exist")
        elif teams[record.team_id] != record.unit_id:
            problems.append(f"team {record.team_id} belongs to another unit")
    if record.supervisor_nip is not None:
        if record.supervisor_nip == nip:
            problems.append("an employee cannot supervise themselves")
        elif record.supervisor_nip not in known_nips:
            problems.append(f"supervisor {record.supervisor_nip} is not an employee of the region")
    return problems


# ------------------------------------------------------------------ cycles


class CycleStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CycleCreate(Schema):
    cycle_id: Id = Field(description="Id, unique across regions, e.g. `marelan-2026`.")
    kind: CycleKind
    period_start: date
    period_end: date
    window_opens: datetime = Field(description="Submissions accepted from (timezone required).")
    window_closes: datetime = Field(description="Submissions accepted until (timezone required).")

    @model_validator(mode="after")
    def _ordered(self) -> CycleCreate:
        if self.period_start > self.period_end:
            raise ValueError("period_start is after period_end")
        if self.window_opens.tzinfo is None or self.window_closes.tzinfo is None:
            raise ValueError("window times need a timezone")
        if self.window_opens >= self.window_closes:
            raise ValueError("window_opens is not before window_closes")
        return self


class CycleClose(Schema):
    unit_predicates: dict[Id, Literal["Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang"]] = (
        Field(default_factory=dict, description="Organisation predicate per unit.", max_length=1000)
    )


class CycleReopen(Schema):
    reason: Reason = Field(description="Why the cycle is reopened (kept in the audit log).")
    window_closes: datetime = Field(description="New end of the submission window (in the future).")


class Cycle(BaseModel):
    region: str
    cycle_id: str
    kind: CycleKind
    period_start: date
    period_end: date
    window_opens: datetime
    window_closes: datetime
    status: CycleStatus
    reopened: int = Field(0, description="How often the cycle was reopened for corrections.")

    def accepting(self, now: datetime) -> str | None:
        """Why submissions are refused now (a problem slug), or None when they are accepted."""
        if self.status is not CycleStatus.OPEN:
            return "cycle-closed"
        if not self.window_opens <= now <= self.window_closes:
            return "outside-window"
        return None


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


def plan_problems(results: Sequence[WorkResult]) -> list[str]:
    """Structural rules of an SKP: unique ids, at least one main result."""
    problems = []
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


def realisation_problems(
    realisations: Sequence[RealisationCreate], plan_indicators: Sequence[str], *, complete: bool
) -> list[str]:
    """Realisations must name the plan's indicators once each; a final report covers them all."""
    problems = []
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


# ------------------------------------------------------------------ feedback


Ratings = Annotated[dict[Annotated[str, StringConstraints(max_length=64)], float], Field(max_length=50)]


class FeedbackCreate(Schema):
    source: Literal["self", "supervisor", "peer", "subordinate"] = Field(
        description="How the caller relates to the ratee; checked against the organisation data."
    )
    ratings: Ratings = Field(min_length=1, description="Score per criterion of the region's rubric.")
    comment: Text | None = None


class CitizenFeedbackCreate(Schema):
    cycle_id: Id
    unit_id: Id | None = Field(None, description="The unit rated; give this or ratee_nip.")
    ratee_nip: Nip | None = Field(None, description="The employee rated; give this or unit_id.")
    ratings: Ratings = Field(min_length=1)
    comment: Text | None = None

    @model_validator(mode="after")
    def _one_target(self) -> CitizenFeedbackCreate:
        if (self.unit_id is None) == (self.ratee_nip is None):
            raise ValueError("give exactly one of unit_id and ratee_nip")
        return self


class Submission(BaseModel):
    """What the rater gets back: their own submission."""

    submission_id: str
    version: int
    cycle_id: str
    source: Source
    ratee_nip: str | None
    unit_id: str | None
    ratings: dict[str, float]
    comment: str | None
    submitted_at: datetime


class SourceSummary(BaseModel):
    source: Source
    raters: int = Field(description="How many raters submitted.")
    shown: bool = Field(description="False when too few raters to show without identifying one.")
    means: dict[str, float] = Field(default_factory=dict, description="Mean rating per criterion.")
    comments: list[str] = Field(default_factory=list, description="Comments, in no attributable order.")


class FeedbackSummary(BaseModel):
    """The view of one employee's feedback: pooled per source, never naming a rater."""

    cycle_id: str
    ratee_nip: str
    rubric_id: str
    sources: list[SourceSummary]


def submission_id_of(cycle_id: str, rater_nip: str, ratee_nip: str) -> str:
    """Stable id of (cycle, rater, ratee); a hash, so the id alone does not name the rater."""
    digest = hashlib.sha256(f"{cycle_id}|{rater_nip}|{ratee_nip}".encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


def relation_problem(source: Source, rater: EmployeeRecord, ratee: EmployeeRecord) -> str | None:
    """Why ``rater`` may not rate ``ratee`` as ``source`` (a problem slug), or None.

    Peers are employees with the same direct supervisor: PP 30/2019 asks for peers at the same
    level, and a shared supervisor says that; a team may mix levels (a head and their staff).
    """
    if source is Source.SELF:
        return None if rater.nip == ratee.nip else "not-self"
    if rater.nip == ratee.nip:
        return "self-rating"
    if source is Source.SUPERVISOR:
        return None if ratee.supervisor_nip == rater.nip else "not-supervisor"
    if source is Source.PEER:
        same = rater.supervisor_nip is not None and rater.supervisor_nip == ratee.supervisor_nip
        return None if same else "not-peer"
    if source is Source.SUBORDINATE:
        return None if rater.supervisor_nip == ratee.nip else "not-subordinate"
    return "wrong-source"


def summarise(
    cycle_id: str, ratee_nip: str, rubric_id: str, submissions: Sequence[Mapping[str, Any]]
) -> FeedbackSummary:
    """Pool submissions per source; pooled sources under :data:`MIN_ANONYMOUS_RATERS` stay hidden."""
    by_source: dict[Source, list[Mapping[str, Any]]] = {}
    for sub in submissions:
        by_source.setdefault(Source(sub["source"]), []).append(sub)
    sources = []
    for source in Source:
        subs = by_source.get(source, [])
        if not subs:
            continue
        shown = source not in POOLED_SOURCES or len(subs) >= MIN_ANONYMOUS_RATERS
        means: dict[str, float] = {}
        comments: list[str] = []
        if shown:
            criteria = sorted({c for s in subs for c in s["ratings"]})
            means = {c: round(fmean(s["ratings"][c] for s in subs if c in s["ratings"]), 3) for c in criteria}
            comments = sorted(s["comment"] for s in subs if s.get("comment"))
        sources.append(
            SourceSummary(source=source, raters=len(subs), shown=shown, means=means, comments=comments)
        )
    return FeedbackSummary(cycle_id=cycle_id, ratee_nip=ratee_nip, rubric_id=rubric_id, sources=sources)


# ------------------------------------------------------------------ notes and audit


class NoteCreate(Schema):
    text: Text


class Note(BaseModel):
    note_id: str
    nip: str
    author_nip: str
    cycle_id: str | None
    text: str
    written_at: datetime


class AuditEntry(BaseModel):
    at: datetime
    actor: str = Field(description="Subject of the token, or `citizen` for anonymous feedback.")
    role: str
    action: str = Field(examples=["cycle.reopened"])
    target: str
    detail: dict[str, Any] = Field(default_factory=dict)


def window_start(now: datetime, window_s: int = CITIZEN_WINDOW_S) -> int:
    """Start (epoch seconds) of the fixed rate-limit window ``now`` falls in."""
    epoch = int(now.timestamp())
    return epoch - epoch % window_s
