"""Events produced by the feedback service: the inputs of an appraisal cycle.

All input events are keyed by the ratee's NIP on :data:`INPUTS_TOPIC`, so that one employee's
plan, reports and feedback stay in order on one partition.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from shared.events.base import NIP_PATTERN, Event, Model

CYCLES_TOPIC = "kinerja.feedback.cycles.v1"
EMPLOYEES_TOPIC = "kinerja.feedback.employees.v1"
INPUTS_TOPIC = "kinerja.feedback.inputs.v1"


class EmploymentType(StrEnum):
    PNS = "PNS"
    PPPK = "PPPK"


class CycleKind(StrEnum):
    ANNUAL = "annual"
    PERIODIC = "periodic"


class Source(StrEnum):
    """Who gave a piece of feedback."""

    SELF = "self"
    SUPERVISOR = "supervisor"
    PEER = "peer"
    SUBORDINATE = "subordinate"
    CITIZEN = "citizen"


ANONYMOUS_SOURCES = frozenset({Source.PEER, Source.SUBORDINATE, Source.CITIZEN})
"""Sources whose raters no reader other than the rater may learn: shown only pooled, from the
cycle's close (feedback's view, scoring's scores and explanations, the audit log)."""


class Aspect(StrEnum):
    """Indicator aspects of an SKP result (PermenPANRB 6/2022)."""

    QUANTITY = "quantity"
    QUALITY = "quality"
    TIME = "time"
    COST = "cost"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


class ResultKind(StrEnum):
    MAIN = "utama"
    ADDITIONAL = "tambahan"


class Employee(Model):
    nip: str = Field(description="18-digit NIP.", pattern=NIP_PATTERN, examples=["198503122010011002"])
    name: str = Field(description="Full name.", max_length=200, examples=["Siti Rahmawati"])
    position: str = Field(description="Position (jabatan).", max_length=200, examples=["Perawat Ahli Muda"])
    unit_id: str = Field(description="Unit (dinas) id.", max_length=64, examples=["dinkes"])
    supervisor_nip: str | None = Field(
        None, description="NIP of the direct supervisor, if any.", examples=["197801012005011001"]
    )
    team_id: str | None = Field(None, description="Team id, if any.", max_length=64, examples=["puskesmas-1"])
    employment_type: EmploymentType = Field(description="PNS or PPPK.", examples=["PNS"])
    language: Literal["id", "en"] = Field("id", description="Preferred language of notifications.")
    email: str | None = Field(None, description="E-mail address for notifications.", max_length=254)
    service_role: bool = Field(
        False, description="Serves the public directly (health, permits); some rubrics rate how."
    )
    active: bool = Field(True, description="False once the employee has left.")


class Indicator(Model):
    indicator_id: str = Field(description="Id unique within the plan.", max_length=64, examples=["iki-1"])
    name: str = Field(description="What is measured.", max_length=300, examples=["Pasien terlayani"])
    aspect: Aspect = Field(description="Quantity, quality, time or cost.")
    target: float = Field(description="Target value.", examples=[1200])
    unit: str = Field(description="Unit of the target.", max_length=40, examples=["pasien"])
    direction: Direction = Field(Direction.HIGHER_IS_BETTER, description="Whether higher or lower is better.")
    standard: float | None = Field(
        None, description="Minimum standard to count as met, when the region sets one (Siulak)."
    )


class WorkResult(Model):
    """One RHK (Rencana Hasil Kerja) with its indicators."""

    result_id: str = Field(description="Id unique within the plan.", max_length=64, examples=["rhk-1"])
    kind: ResultKind = Field(description="Main (utama) or additional (tambahan).")
    title: str = Field(description="The intended result.", max_length=500)
    supports: str | None = Field(
        None,
        description="`<supervisor plan id>/<result id>` of the superior's result this one supports.",
        max_length=200,
    )
    indicators: list[Indicator] = Field(description="Indicators (IKI).", min_length=1, max_length=20)


class Realisation(Model):
    indicator_id: str = Field(description="Indicator of the approved plan.", max_length=64)
    value: float = Field(description="Realised value.")
    evidence: list[str] = Field(
        default_factory=list, description="Links to evidence documents.", max_length=20
    )


# ------------------------------------------------------------------ events


class EmployeeUpserted(Event):
    """An employee was imported or changed."""

    TOPIC = EMPLOYEES_TOPIC
    type: Literal["feedback.employee_upserted"] = Field(
        "feedback.employee_upserted", description="Event type name."
    )
    employee: Employee = Field(description="The employee record as it now stands.")


class CycleOpened(Event):
    """A region opened an appraisal cycle (or reopened it for corrections)."""

    TOPIC = CYCLES_TOPIC
    type: Literal["feedback.cycle_opened"] = Field("feedback.cycle_opened", description="Event type name.")
    cycle_id: str = Field(description="Cycle id.", examples=["marelan-2026"])
    kind: CycleKind = Field(description="Annual or periodic.")
    period_start: date = Field(description="First day of the appraised period.")
    period_end: date = Field(description="Last day of the appraised period.")
    window_opens: datetime = Field(description="Submissions accepted from (UTC).")
    window_closes: datetime = Field(description="Submissions accepted until (UTC).")
    reopened: bool = Field(False, description="True when this reopens a closed cycle for corrections.")
    reason: str | None = Field(None, description="Why it was reopened.")


class CycleClosed(Event):
    """A cycle closed: scoring finalizes its scores."""

    TOPIC = CYCLES_TOPIC
    type: Literal["feedback.cycle_closed"] = Field("feedback.cycle_closed", description="Event type name.")
    cycle_id: str = Field(description="Cycle id.")
    unit_predicates: dict[str, str] = Field(
        default_factory=dict,
        description="Organisation predicate per unit (Istimewa, Baik, ...), bounding the curve.",
    )


class PlanSubmitted(Event):
    """An employee submitted a performance plan (SKP)."""

    TOPIC = INPUTS_TOPIC
    type: Literal["feedback.plan_submitted"] = Field(
        "feedback.plan_submitted", description="Event type name."
    )
    cycle_id: str = Field(description="Cycle id.")
    plan_id: str = Field(description="Plan id.")
    nip: str = Field(description="Plan owner.", pattern=NIP_PATTERN)
    results: list[WorkResult] = Field(description="Main and additional results.")


class PlanApproved(Event):
    """The supervisor approved a plan; its indicators are what scoring measures against."""

    TOPIC = INPUTS_TOPIC
    type: Literal["feedback.plan_approved"] = Field("feedback.plan_approved", description="Event type name.")
    cycle_id: str = Field(description="Cycle id.")
    plan_id: str = Field(description="Plan id.")
    nip: str = Field(description="Plan owner.", pattern=NIP_PATTERN)
    approved_by: str = Field(description="NIP of the approving supervisor.", pattern=NIP_PATTERN)
    results: list[WorkResult] = Field(description="The approved results.")


class PlanReturned(Event):
    """The supervisor returned a plan for revision."""

    TOPIC = INPUTS_TOPIC
    type: Literal["feedback.plan_returned"] = Field("feedback.plan_returned", description="Event type name.")
    cycle_id: str = Field(description="Cycle id.")
    plan_id: str = Field(description="Plan id.")
    nip: str = Field(description="Plan owner.", pattern=NIP_PATTERN)
    reason: str = Field(description="Why it was returned.")


class ProgressReported(Event):
    """Progress against the plan, reported during the cycle."""

    TOPIC = INPUTS_TOPIC
    type: Literal["feedback.progress_reported"] = Field(
        "feedback.progress_reported", description="Event type name."
    )
    cycle_id: str = Field(description="Cycle id.")
    nip: str = Field(description="Reporting employee.", pattern=NIP_PATTERN)
    realisations: list[Realisation] = Field(description="Values so far per indicator.")
    note: str | None = Field(None, description="Free text.", max_length=4000)


class AchievementReported(Event):
    """The final achievement report of the cycle (laporan capaian kinerja)."""

    TOPIC = INPUTS_TOPIC
    type: Literal["feedback.achievement_reported"] = Field(
        "feedback.achievement_reported", description="Event type name."
    )
    cycle_id: str = Field(description="Cycle id.")
    nip: str = Field(description="Reporting employee.", pattern=NIP_PATTERN)
    realisations: list[Realisation] = Field(description="Realised value per indicator.")
    version: int = Field(1, description="1 for the first report, +1 for each replacement.")


class FeedbackSubmitted(Event):
    """A rating of an employee (or, for citizens, of a unit) by one source.

    A resubmission by the same rater replaces the earlier one and carries a higher ``version``.
    The rater's NIP is carried for bias correction; no service may show it to the ratee.
    """

    TOPIC = INPUTS_TOPIC
    type: Literal["feedback.submitted"] = Field("feedback.submitted", description="Event type name.")
    cycle_id: str = Field(description="Cycle id.")
    submission_id: str = Field(description="Stable id of (rater, ratee, cycle).")
    version: int = Field(1, description="1 for the first submission, +1 for each replacement.")
    source: Source = Field(description="Self, supervisor, peer, subordinate or citizen.")
    ratee_nip: str | None = Field(
        None, description="Rated employee; None for citizen feedback on a unit.", pattern=NIP_PATTERN
    )
    unit_id: str | None = Field(None, description="Rated unit, for citizen feedback on a unit.")
    rater_nip: str | None = Field(
        None, description="Rater; None for anonymous citizen feedback.", pattern=NIP_PATTERN
    )
    rubric_id: str = Field(description="Rubric whose criteria were rated.", examples=["marelan"])
    ratings: dict[str, float] = Field(
        description="Score per criterion id, on the rubric's scale.", examples=[{"target": 4}]
    )
    comment: str | None = Field(None, description="Free-text comment.", max_length=4000)


class ContinuousFeedbackNoted(Event):
    """A supervisor wrote a continuous feedback note (umpan balik berkelanjutan)."""

    TOPIC = INPUTS_TOPIC
    type: Literal["feedback.continuous_noted"] = Field(
        "feedback.continuous_noted", description="Event type name."
    )
    note_id: str = Field(description="Note id.")
    cycle_id: str | None = Field(None, description="Cycle the note falls in, if any.")
    nip: str = Field(description="Employee the note is for.", pattern=NIP_PATTERN)
    author_nip: str = Field(description="Supervisor who wrote it.", pattern=NIP_PATTERN)
    text: str = Field(description="The note.", max_length=4000)


EVENTS: tuple[type[Event], ...] = (
    EmployeeUpserted,
    CycleOpened,
    CycleClosed,
    PlanSubmitted,
    PlanApproved,
    PlanReturned,
    ProgressReported,
    AchievementReported,
    FeedbackSubmitted,
    ContinuousFeedbackNoted,
)
