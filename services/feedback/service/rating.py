"""Use cases on feedback: 360 submissions, anonymous citizen feedback, pooled views, notes, audit."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import cast

from services.feedback import access
from services.feedback.domain import (
    CITIZEN_LIMIT,
    CITIZEN_WINDOW_S,
    POOLED_SOURCES,
    AuditEntry,
    CitizenFeedbackCreate,
    Cycle,
    CycleStatus,
    EmployeeRecord,
    FeedbackCreate,
    FeedbackSummary,
    Note,
    NoteCreate,
    Submission,
    anonymous_audit,
    submission_id_of,
    summarise,
    utcnow,
    window_start,
)
from services.feedback.service.common import (
    WRITE_ATTEMPTS,
    accepting_cycle,
    audit,
    build,
    cycle_in,
    employee_in,
    invalid,
    lost_race,
    visible_employee,
)
from services.feedback.service.cycle import list_cycles
from services.feedback.store import NOTES, SUBMISSIONS, UNITS, FeedbackStore
from shared.auth import Principal
from shared.errors import NotFound, RateLimited
from shared.events.feedback import ContinuousFeedbackNoted, FeedbackSubmitted, Source
from shared.outbox import OutboxRelay
from shared.plugins.manager import RubricRegistry


async def submit_feedback(
    store: FeedbackStore,
    relay: OutboxRelay,
    registry: RubricRegistry,
    submission_key: bytes,
    caller: Principal,
    region: str,
    cycle_id: str,
    ratee_nip: str,
    body: FeedbackCreate,
) -> Submission:
    """One submission per rater, ratee and cycle; a resubmission replaces it with version + 1."""
    caller.require_region(region)
    # Independent reads, issued together: the request waits for the slowest, not for their sum.
    # Rejections keep a fixed order (rater, ratee, cycle) whichever read finishes first.
    results = await asyncio.gather(
        employee_in(store, region, access.caller_nip(caller)),
        employee_in(store, region, ratee_nip),
        accepting_cycle(store, region, cycle_id, utcnow()),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    rater, ratee = cast(EmployeeRecord, results[0]), cast(EmployeeRecord, results[1])
    cycle = cast(Cycle, results[2])
    source = Source(body.source)
    access.check_rates(caller, source, rater, ratee)
    spec = registry.for_region(region)
    problems = spec.rating_problems(source, body.ratings, service_role=ratee.service_role)
    if problems:
        raise invalid(problems, "invalid-ratings")
    key = submission_key if cycle.keyed_ids else None
    submission_id = submission_id_of(cycle_id, rater.nip, ratee.nip, key)
    for attempt in range(WRITE_ATTEMPTS):
        # Most submissions are a rater's first for the ratee: try the insert before reading.
        current = await store.get(SUBMISSIONS, submission_id) if attempt else None
        rev = int(current["rev"]) if current else 0
        submission = Submission(
            submission_id=submission_id,
            version=rev + 1,
            cycle_id=cycle_id,
            source=source,
            ratee_nip=ratee.nip,
            unit_id=None,
            ratings=body.ratings,
            comment=body.comment,
            submitted_at=utcnow(),
        )
        event = build(
            FeedbackSubmitted,
            region=region,
            key=ratee.nip,
            **submission.model_dump(exclude={"submitted_at"}),
            rater_nip=rater.nip,
            rubric_id=spec.rubric_id,
        )
        fields = {
            "region": region,
            "rater_nip": rater.nip,
            "rubric_id": spec.rubric_id,
            **submission.model_dump(mode="json"),
        }
        if await store.write(SUBMISSIONS, submission_id, rev, fields, [event]):
            await _audit_submission(store, caller, region, submission)
            return submission
    raise lost_race("the submission")


async def _audit_submission(
    store: FeedbackStore, caller: Principal, region: str, submission: Submission
) -> None:
    """Self and supervisor assessments are audited with their author, who is no secret.

    Peer and subordinate feedback is audited as "a peer rated <ratee>" on the day: no actor, no
    submission id, no version, no exact time and no correlation id, any of which could tie the
    entry to the rater's other entries or to a recomputed id (docs/feedback.md, "Rater anonymity").
    """
    if submission.source not in POOLED_SOURCES:
        await audit(
            store, caller, region, "feedback.submitted", submission.submission_id, version=submission.version
        )
        return
    await store.audit(anonymous_audit(region, submission.source, submission.ratee_nip or "", utcnow()))


async def submit_citizen_feedback(
    store: FeedbackStore,
    relay: OutboxRelay,
    registry: RubricRegistry,
    client: str,
    region: str,
    body: CitizenFeedbackCreate,
    now: datetime | None = None,
) -> Submission:
    """Anonymous feedback on a unit or a public-facing employee, limited per client address."""
    now = now or utcnow()
    if await store.hit(client, window_start(now)) > CITIZEN_LIMIT:
        raise RateLimited(
            f"at most {CITIZEN_LIMIT} citizen submissions per {CITIZEN_WINDOW_S // 60} minutes",
            slug="rate-limited",
        )
    service_role = True
    if body.ratee_nip is not None:
        service_role = (await employee_in(store, region, body.ratee_nip)).service_role
    elif await store.get(UNITS, f"{region}:{body.unit_id}") is None:
        raise NotFound(f"no unit {body.unit_id} in region {region}", slug="unit-not-found")
    await accepting_cycle(store, region, body.cycle_id, now)
    spec = registry.for_region(region)
    problems = spec.rating_problems(Source.CITIZEN, body.ratings, service_role=service_role)
    if problems:
        raise invalid(problems, "invalid-ratings")
    submission = Submission(
        submission_id=str(uuid.uuid4()),
        version=1,
        cycle_id=body.cycle_id,
        source=Source.CITIZEN,
        ratee_nip=body.ratee_nip,
        unit_id=body.unit_id,
        ratings=body.ratings,
        comment=body.comment,
        submitted_at=now,
    )
    event = build(
        FeedbackSubmitted,
        region=region,
        key=body.ratee_nip or body.cycle_id,
        **submission.model_dump(exclude={"submitted_at"}),
        rater_nip=None,
        rubric_id=spec.rubric_id,
    )
    fields = {
        "region": region,
        "rater_nip": None,
        "rubric_id": spec.rubric_id,
        **submission.model_dump(mode="json"),
    }
    await store.write(SUBMISSIONS, submission.submission_id, 0, fields, [event])
    await store.audit(anonymous_audit(region, Source.CITIZEN, body.ratee_nip or f"unit:{body.unit_id}", now))
    return submission


async def feedback_summary(
    store: FeedbackStore,
    registry: RubricRegistry,
    caller: Principal,
    region: str,
    cycle_id: str,
    ratee_nip: str,
) -> FeedbackSummary:
    """The pooled view every reader gets; rater identities never leave the service by the API."""
    await visible_employee(store, caller, region, ratee_nip)
    cycle, _ = await cycle_in(store, region, cycle_id)
    docs = await store.find(SUBMISSIONS, {"cycle_id": cycle_id, "ratee_nip": ratee_nip})
    released = cycle.status is not CycleStatus.OPEN
    return summarise(cycle_id, ratee_nip, registry.for_region(region).rubric_id, docs, released=released)


async def write_note(
    store: FeedbackStore, relay: OutboxRelay, caller: Principal, region: str, nip: str, body: NoteCreate
) -> Note:
    """Continuous feedback: the recorded supervisor, at any time; tagged with the cycle whose
    window is running, if one is."""
    caller.require_region(region)
    employee = await employee_in(store, region, nip)
    author = access.note_author(caller, employee)
    now = utcnow()
    running = [c for c in await _cycles(store, region) if c[1] is None and c[2] <= now]
    cycle_id = max(running, key=lambda c: c[2])[0] if running else None
    note = Note(
        note_id=str(uuid.uuid4()),
        nip=nip,
        author_nip=author,
        cycle_id=cycle_id,
        text=body.text,
        written_at=now,
    )
    event = build(ContinuousFeedbackNoted, region=region, key=nip, **note.model_dump(exclude={"written_at"}))
    await store.write(NOTES, note.note_id, 0, {"region": region, **note.model_dump(mode="json")}, [event])
    await audit(store, caller, region, "note.written", nip, note_id=note.note_id)
    return note


async def _cycles(store: FeedbackStore, region: str) -> list[tuple[str, str | None, datetime]]:
    """(cycle id, why not accepting or None, window start) of the region's cycles."""
    now = utcnow()
    return [(c.cycle_id, c.accepting(now), c.window_opens) for c in await list_cycles(store, region)]


async def list_notes(store: FeedbackStore, caller: Principal, region: str, nip: str) -> list[Note]:
    await visible_employee(store, caller, region, nip)
    docs = await store.find(NOTES, {"nip": nip}, sort="written_at")
    return [Note.model_validate(d) for d in docs]


async def list_audit(
    store: FeedbackStore,
    caller: Principal,
    region: str,
    since: datetime | None,
    before: str | None,
    limit: int,
) -> list[AuditEntry]:
    caller.require_region(region)
    return [AuditEntry.model_validate(d) for d in await store.audit_entries(region, since, before, limit)]
