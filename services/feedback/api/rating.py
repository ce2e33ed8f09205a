"""Controllers of feedback: 360 submissions, citizen feedback, notes and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody, Parameter

from services.feedback.access import ADMINS, ANY, STAFF, SUPERVISORS, same_region
from services.feedback.api.params import AuditBefore, Caller, CycleId, Limit, Nip, RegionId, Service
from services.feedback.domain import (
    AuditEntry,
    CitizenFeedbackCreate,
    FeedbackCreate,
    FeedbackSummary,
    Note,
    NoteCreate,
    RubricForm,
    Submission,
)
from shared.auth import Role, requires
from shared.events.feedback import Source


class FeedbackController(Controller):
    path = "/regions/{region:str}/cycles/{cycle_id:str}/feedback"
    tags = ["feedback"]
    guards = [same_region]

    @put(
        "/{nip:str}",
        guards=[requires(*STAFF, Role.HR_ADMIN)],
        summary="Rate an employee (self, supervisor, peer, subordinate); HR only a unit head's "
        "supervisor assessment",
    )
    async def submit_feedback(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
        data: JSONBody[FeedbackCreate],
    ) -> Submission:
        return await service.submit_feedback(request.user, region, cycle_id, nip, data)

    @get(
        "/{nip:str}", guards=[requires(*ANY)], summary="Pooled feedback on an employee (no rater identities)"
    )
    async def feedback_summary(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
    ) -> FeedbackSummary:
        return await service.feedback_summary(request.user, region, cycle_id, nip)


class CitizenFeedbackController(Controller):
    """Public: no token. Anonymous, rate-limited per client address across replicas."""

    path = "/public/regions/{region:str}/citizen-feedback"
    tags = ["feedback"]

    @post("/", exclude_from_auth=True, summary="Anonymous citizen feedback on a unit or an employee")
    async def submit_citizen_feedback(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        region: RegionId,
        data: JSONBody[CitizenFeedbackCreate],
    ) -> Submission:
        # The direct peer address: X-Forwarded-For is not trusted, anyone can write it.
        client = request.client.host if request.client else "unknown"
        return await service.submit_citizen_feedback(client, region, data)


class RubricController(Controller):
    """Public: what the region's feedback forms ask (the citizen form has no account)."""

    path = "/public/regions/{region:str}/rubric"
    tags = ["feedback"]

    @get("/", exclude_from_auth=True, summary="The criteria, scale and sources of the region's rubric")
    async def rubric(
        self,
        service: Service,
        region: RegionId,
        source: Annotated[Source | None, Parameter(title="Only what this source is asked")] = None,
        service_role: Annotated[bool, Parameter(title="The ratee serves the public (a unit does)")] = True,
    ) -> RubricForm:
        return service.rubric_form(region, source, service_role=service_role)


class NoteController(Controller):
    path = "/regions/{region:str}/employees/{nip:str}/notes"
    tags = ["feedback"]
    guards = [same_region]

    @get("/", guards=[requires(*ANY)], summary="Continuous feedback notes to an employee")
    async def list_notes(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        nip: Nip,
    ) -> list[Note]:
        return await service.list_notes(request.user, region, nip)

    @post("/", guards=[requires(*SUPERVISORS)], summary="Write a continuous feedback note")
    async def write_note(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        nip: Nip,
        data: JSONBody[NoteCreate],
    ) -> Note:
        return await service.write_note(request.user, region, nip, data)


class AuditController(Controller):
    path = "/regions/{region:str}/audit"
    tags = ["audit"]
    guards = [same_region]

    @get("/", guards=[requires(*ADMINS)], summary="Who changed what, when (newest first)")
    async def list_audit(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        since: Annotated[datetime | None, Parameter(title="Only entries at or after this time")] = None,
        before: AuditBefore = None,
        limit: Limit = 100,
    ) -> list[AuditEntry]:
        return await service.list_audit(request.user, region, since, before, limit)
