"""360 feedback, the pooled view that never names a rater, notes, audit entries, rate windows."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from statistics import fmean
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from services.feedback.domain.base import (
    CITIZEN_WINDOW_S,
    MIN_ANONYMOUS_RATERS,
    POOLED_SOURCES,
    Id,
    Nip,
    Schema,
    Text,
    entries,
)
from services.feedback.domain.organisation import EmployeeRecord
from shared.events.feedback import (
    Source,
)
from shared.plugins.model import RatingScale, RubricSpec

# ------------------------------------------------------------------ feedback


Criterion = Annotated[str, StringConstraints(max_length=64)]
Ratings = Annotated[dict[Criterion, float], *entries(1, 50, {"maxLength": 64})]


class FeedbackCreate(Schema):
    source: Literal["self", "supervisor", "peer", "subordinate"] = Field(
        description="How the caller relates to the ratee; checked against the organisation data."
    )
    ratings: Ratings = Field(description="Score per criterion of the region's rubric.")
    comment: Text | None = None


class CitizenFeedbackCreate(Schema):
    cycle_id: Id
    unit_id: Id | None = Field(None, description="The unit rated; give this or ratee_nip.")
    ratee_nip: Nip | None = Field(None, description="The employee rated; give this or unit_id.")
    ratings: Ratings
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
    shown: bool = Field(
        description="False for a peer, subordinate or citizen pool while the cycle is open or while "
        "it has too few raters to show without identifying one."
    )
    withheld: Literal["until-close", "too-few-raters"] | None = Field(
        None, description="Why a pool is not shown (None when it is)."
    )
    means: dict[str, float] = Field(default_factory=dict, description="Mean rating per criterion.")
    comments: list[str] = Field(default_factory=list, description="Comments, in no attributable order.")


class FeedbackSummary(BaseModel):
    """The view of one employee's feedback: pooled per source, never naming a rater."""

    cycle_id: str
    ratee_nip: str
    rubric_id: str
    sources: list[SourceSummary]


def submission_id_of(cycle_id: str, rater_nip: str, ratee_nip: str, key: bytes | None) -> str:
    """Stable id of (cycle, rater, ratee), keyed with the service's submission secret.

    An unkeyed hash could be recomputed by anyone who knows the cycle, the ratee and a list of
    colleagues, naming the rater behind an id. With ``key`` it is an HMAC-SHA-256 that only the
    service can compute. ``key=None`` gives the unkeyed id of submissions to cycles opened before
    keyed ids (``Cycle.keyed_ids``); those ids are never shown to anyone but the rater.
    """
    message = f"{cycle_id}|{rater_nip}|{ratee_nip}".encode()
    if key is None:
        digest = hashlib.sha256(message).hexdigest()
    else:
        digest = hmac.new(key, message, hashlib.sha256).hexdigest()
    return str(uuid.UUID(digest[:32]))


def relation_problem(
    source: Source, rater: EmployeeRecord, ratee: EmployeeRecord, *, hr: bool = False
) -> str | None:
    """Why ``rater`` may not rate ``ratee`` as ``source`` (a problem slug), or None.

    Peers are employees with the same direct supervisor: PP 30/2019 asks for peers at the same
    level, and a shared supervisor says that; a team may mix levels (a head and their staff).

    ``hr``: the rater is an HR officer. HR gives one assessment only: the supervisor assessment of
    an employee with no supervisor in the region (the head of a unit), recording that of the
    appraising official one level up (PermenPANRB 6/2022), as it records the decision on the
    head's plan (docs/feedback.md).
    """
    if hr:
        head = ratee.supervisor_nip is None and rater.nip != ratee.nip
        return None if source is Source.SUPERVISOR and head else "hr-heads-only"
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
    cycle_id: str,
    ratee_nip: str,
    rubric_id: str,
    submissions: Sequence[Mapping[str, Any]],
    *,
    released: bool,
) -> FeedbackSummary:
    """Pool submissions per source.

    Peer, subordinate and citizen pools are shown only once the cycle is closed (``released``) and
    only from :data:`MIN_ANONYMOUS_RATERS` raters up. A pool that changed with every new rating
    or resubmission would let its reader subtract one view from the next and recover that single
    rater's ratings and comment; closed, it changes only when the cycle is reopened.
    """
    by_source: dict[Source, list[Mapping[str, Any]]] = {}
    for sub in submissions:
        by_source.setdefault(Source(sub["source"]), []).append(sub)
    sources = []
    for source in Source:
        subs = by_source.get(source, [])
        if not subs:
            continue
        pooled = source in POOLED_SOURCES
        shown = not pooled or (released and len(subs) >= MIN_ANONYMOUS_RATERS)
        means: dict[str, float] = {}
        comments: list[str] = []
        if shown:
            criteria = sorted({c for s in subs for c in s["ratings"]})
            means = {c: round(fmean(s["ratings"][c] for s in subs if c in s["ratings"]), 3) for c in criteria}
            comments = sorted(s["comment"] for s in subs if s.get("comment"))
        sources.append(
            SourceSummary(
                source=source,
                raters=len(subs),
                shown=shown,
                withheld=None if shown else _withheld(len(subs), released),
                means=means,
                comments=comments,
            )
        )
    return FeedbackSummary(cycle_id=cycle_id, ratee_nip=ratee_nip, rubric_id=rubric_id, sources=sources)


def _withheld(raters: int, released: bool) -> Literal["until-close", "too-few-raters"]:
    return "too-few-raters" if released or raters < MIN_ANONYMOUS_RATERS else "until-close"


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
    actor: str = Field(
        description="Subject of the token; `anonymous` for peer, subordinate and citizen feedback, "
        "whose entries say only which source rated whom, on which day."
    )
    role: str
    action: str = Field(examples=["cycle.reopened"])
    target: str
    detail: dict[str, Any] = Field(default_factory=dict)
    page_key: str = Field(
        description="The entry's place in the log: give it as `before` for the entries older than it.",
        examples=["1796378400999-9f1c2a7b3e4d4c1f8a6b5d0e2f3a4b5c"],
    )


def anonymous_audit(region: str, source: Source, target: str, now: datetime) -> dict[str, Any]:
    """The audit entry of a peer, subordinate or citizen rating: "a <source> rated <target>".

    It names no rater, carries no submission id, version or correlation id, and keeps only the
    day, so it cannot be tied to the rater's own entries by id, request or time.
    """
    return {
        "region": region,
        "at": now.replace(hour=0, minute=0, second=0, microsecond=0),
        "actor": "anonymous",
        "role": "anonymous",
        "nip": None,
        "action": "feedback.submitted" if source is not Source.CITIZEN else "feedback.citizen",
        "target": target,
        "detail": {"source": source.value},
        "correlation_id": None,
    }


def redacted_audit(entry: Mapping[str, Any], submission: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields to set on an audit entry that an earlier version wrote for ``submission`` (with
    the rater as actor and the unkeyed submission id as target): the shape of
    :func:`anonymous_audit` for an anonymous source, or an unknown one, else only the source."""
    source = str(submission["source"]) if submission else "unknown"
    if submission is not None and Source(source) not in POOLED_SOURCES:
        return {"detail.source": source}
    return {
        "at": entry["at"].replace(hour=0, minute=0, second=0, microsecond=0),
        "actor": "anonymous",
        "role": "anonymous",
        "nip": None,
        "target": submission["ratee_nip"] if submission else "unknown",
        "detail": {"source": source},
        "correlation_id": None,
    }


def window_start(now: datetime, window_s: int = CITIZEN_WINDOW_S) -> int:
    """Start (epoch seconds) of the fixed rate-limit window ``now`` falls in."""
    epoch = int(now.timestamp())
    return epoch - epoch % window_s


# ------------------------------------------------------------------ the rubric's forms


class FormCriterion(BaseModel):
    criterion_id: str
    label_id: str = Field(description="The question in Indonesian.")
    label_en: str = Field(description="The question in English.")
    sources: list[Source] = Field(description="Who is asked it.")
    service_role_only: bool = Field(description="Asked only about employees who serve the public.")


class RubricForm(BaseModel):
    """What a feedback form asks in a region: the rubric's criteria, its scale and its sources. It is
    public, as the citizen form shows it without an account. With a source, only the criteria that
    source is asked about the ratee (``service_role``: one who serves the public, or a unit)."""

    rubric_id: str
    version: str
    title: str
    scale: RatingScale
    choices: list[float] = Field(description="Every rating the scale allows, lowest first.")
    sources: list[Source] = Field(description="The sources the rubric weighs, in weight order.")
    criteria: list[FormCriterion]


def rubric_form(spec: RubricSpec, source: Source | None = None, *, service_role: bool = True) -> RubricForm:
    weights = spec.source_weights
    weighed = sorted((s for s, w in weights.items() if w > 0), key=lambda s: -weights[s])
    asked = spec.criteria if source is None else spec.asked(source, service_role=service_role)
    return RubricForm(
        rubric_id=spec.rubric_id,
        version=spec.version,
        title=spec.title,
        scale=spec.scale,
        choices=spec.scale.values(),
        sources=weighed,
        criteria=[
            FormCriterion(
                criterion_id=c.criterion_id,
                label_id=c.label_id,
                label_en=c.label_en,
                sources=sorted(c.sources),
                service_role_only=c.service_role_only,
            )
            for c in asked
        ],
    )
