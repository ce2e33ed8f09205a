"""Use cases on feedback: 360 submissions, anonymous citizen feedback, pooled views, notes, audit."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any, cast

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
    RubricForm,
    Submission,
    anonymous_audit,
    rubric_form,
    submission_id_of,
    summarise,
    utcnow,
    window_start,
)
from services.feedback.service.common import WRITE_ATTEMPTS, UseCases, build, invalid, lost_race
from shared.auth import Principal
from shared.errors import NotFound, RateLimited
from shared.events.feedback import ContinuousFeedbackNoted, FeedbackSubmitted, Source


class RatingUseCases(UseCases):
    async def submit_feedback(
        self, caller: Principal, region: str, cycle_id: str, ratee_nip: str, body: FeedbackCreate
    ) -> Submission:
        """One submission per rater, ratee and cycle; a resubmission replaces it with version + 1."""
        caller.require_region(region)
        rater, ratee, cycle = await self._rating_parties(caller, region, cycle_id, ratee_nip)
        source = Source(body.source)
        access.check_rates(caller, source, rater, ratee)
        spec = self.registry.for_region(region)
        problems = spec.rating_problems(source, body.ratings, service_role=ratee.service_role)
        if problems:
            raise invalid(problems, "invalid-ratings")
        key = self.submission_key if cycle.keyed_ids else None
        submission_id = submission_id_of(cycle_id, rater.nip, ratee.nip, key)
        for attempt in range(WRITE_ATTEMPTS):
            # Most submissions are a rater's first for the ratee: try the insert before reading.
            current = await self.store.submission(submission_id) if attempt else None
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
            fields, event = _stored(region, ratee.nip, submission, rater.nip, spec.rubric_id)
            if await self.store.write_submission(submission_id, rev, fields, [event]):
                await self._audit_submission(caller, region, submission)
                return submission
        raise lost_race("the submission")

    async def _rating_parties(
        self, caller: Principal, region: str, cycle_id: str, ratee_nip: str
    ) -> tuple[EmployeeRecord, EmployeeRecord, Cycle]:
        """The rater (the caller), the ratee and the cycle, which must accept submissions now."""
        # Independent reads, issued together: the request waits for the slowest, not for their sum.
        # Rejections keep a fixed order (rater, ratee, cycle) whichever read finishes first.
        results = await asyncio.gather(
            self._employee(region, access.caller_nip(caller)),
            self._employee(region, ratee_nip),
            self._accepting_cycle(region, cycle_id, utcnow()),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return cast(EmployeeRecord, results[0]), cast(EmployeeRecord, results[1]), cast(Cycle, results[2])

    async def _audit_submission(self, caller: Principal, region: str, submission: Submission) -> None:
        """Self and supervisor assessments are audited with their author, who is no secret.

        Peer and subordinate feedback is audited as "a peer rated <ratee>" on the day: no actor, no
        submission id, no version, no exact time and no correlation id, any of which could tie the
        entry to the rater's other entries or to a recomputed id (docs/feedback.md, "Rater anonymity").
        """
        if submission.source not in POOLED_SOURCES:
            await self._audit(
                caller, region, "feedback.submitted", submission.submission_id, version=submission.version
            )
            return
        await self.store.audit(
            anonymous_audit(region, submission.source, submission.ratee_nip or "", utcnow())
        )

    async def submit_citizen_feedback(
        self, client: str, region: str, body: CitizenFeedbackCreate, now: datetime | None = None
    ) -> Submission:
        """Anonymous feedback on a unit or a public-facing employee, limited per client address."""
        now = now or utcnow()
        if await self.store.hit(client, window_start(now)) > CITIZEN_LIMIT:
            raise RateLimited(
                f"at most {CITIZEN_LIMIT} citizen submissions per {CITIZEN_WINDOW_S // 60} minutes",
                slug="rate-limited",
            )
        service_role = True
        if body.ratee_nip is not None:
            service_role = (await self._employee(region, body.ratee_nip)).service_role
        elif body.unit_id is not None and await self.store.unit(region, body.unit_id) is None:
            raise NotFound(f"no unit {body.unit_id} in region {region}", slug="unit-not-found")
        await self._accepting_cycle(region, body.cycle_id, now)
        spec = self.registry.for_region(region)
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
        fields, event = _stored(region, body.ratee_nip or body.cycle_id, submission, None, spec.rubric_id)
        await self.store.write_submission(submission.submission_id, 0, fields, [event])
        target = body.ratee_nip or f"unit:{body.unit_id}"
        await self.store.audit(anonymous_audit(region, Source.CITIZEN, target, now))
        return submission

    def rubric_form(
        self, region: str, source: Source | None = None, *, service_role: bool = True
    ) -> RubricForm:
        """What the region's feedback forms ask: criteria (those ``source`` is asked, when given),
        scale and sources."""
        return rubric_form(self.registry.for_region(region), source, service_role=service_role)

    async def feedback_summary(
        self, caller: Principal, region: str, cycle_id: str, ratee_nip: str
    ) -> FeedbackSummary:
        """The pooled view every reader gets; rater identities never leave the service by the API."""
        await self._visible_employee(caller, region, ratee_nip)
        cycle, _ = await self._cycle(region, cycle_id)
        docs = await self.store.submissions_for(cycle_id, ratee_nip)
        released = cycle.status is not CycleStatus.OPEN
        rubric_id = self.registry.for_region(region).rubric_id
        return summarise(cycle_id, ratee_nip, rubric_id, docs, released=released)

    async def write_note(self, caller: Principal, region: str, nip: str, body: NoteCreate) -> Note:
        """Continuous feedback: the recorded supervisor, at any time; tagged with the cycle whose
        window is running, if one is."""
        caller.require_region(region)
        employee = await self._employee(region, nip)
        author = access.note_author(caller, employee)
        now = utcnow()
        running = [
            c for c in await self._region_cycles(region) if c.accepting(now) is None and c.window_opens <= now
        ]
        cycle_id = max(running, key=lambda c: c.window_opens).cycle_id if running else None
        note = Note(
            note_id=str(uuid.uuid4()),
            nip=nip,
            author_nip=author,
            cycle_id=cycle_id,
            text=body.text,
            written_at=now,
        )
        event = build(
            ContinuousFeedbackNoted, region=region, key=nip, **note.model_dump(exclude={"written_at"})
        )
        await self.store.add_note(note.note_id, {"region": region, **note.model_dump(mode="json")}, [event])
        await self._audit(caller, region, "note.written", nip, note_id=note.note_id)
        return note

    async def list_notes(self, caller: Principal, region: str, nip: str) -> list[Note]:
        await self._visible_employee(caller, region, nip)
        return [Note.model_validate(d) for d in await self.store.notes_of(nip)]

    async def list_audit(
        self, caller: Principal, region: str, since: datetime | None, before: str | None, limit: int
    ) -> list[AuditEntry]:
        caller.require_region(region)
        entries = await self.store.audit_entries(region, since, before, limit)
        return [AuditEntry.model_validate(d) for d in entries]


def _stored(
    region: str, key: str, submission: Submission, rater_nip: str | None, rubric_id: str
) -> tuple[dict[str, Any], FeedbackSubmitted]:
    """The stored document's fields of a submission, and the event it stages (keyed by ``key``)."""
    event = build(
        FeedbackSubmitted,
        region=region,
        key=key,
        **submission.model_dump(exclude={"submitted_at"}),
        rater_nip=rater_nip,
        rubric_id=rubric_id,
    )
    fields = {
        "region": region,
        "rater_nip": rater_nip,
        "rubric_id": rubric_id,
        **submission.model_dump(mode="json"),
    }
    return fields, event
