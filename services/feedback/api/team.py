"""Controllers of the web's read models: a team's plans and progress, a person's to-do list."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from services.feedback.access import ADMINS, STAFF, SUPERVISORS, same_region
from services.feedback.api.params import After, Caller, CycleId, Limit, RegionId, Service
from services.feedback.domain.base import ID_PATTERN
from services.feedback.domain.team import TeamView, ToDo
from shared.auth import requires
from shared.events.base import NIP_PATTERN


class TeamProgressController(Controller):
    path = "/regions/{region:str}/cycles/{cycle_id:str}/team"
    tags = ["plans"]
    guards = [same_region]

    @get(
        "/",
        guards=[requires(*SUPERVISORS, *ADMINS)],
        summary="A team's plan states and progress per indicator (a supervisor's reports; HR: a unit's)",
    )
    async def team(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        unit: Annotated[str | None, Parameter(title="Unit (HR)", pattern=ID_PATTERN)] = None,
        supervisor: Annotated[
            str | None, Parameter(title="Supervisor's NIP (HR)", pattern=NIP_PATTERN)
        ] = None,
        after: After = None,
        limit: Limit = 50,
    ) -> TeamView:
        return await service.team_view(
            request.user, region, cycle_id, unit=unit, supervisor=supervisor, after=after, limit=limit
        )


class ToDoController(Controller):
    path = "/regions/{region:str}/cycles/{cycle_id:str}/to-do"
    tags = ["feedback"]
    guards = [same_region]

    @get(
        "/",
        guards=[requires(*STAFF)],
        summary="The assessments the caller is asked to give, and the deadline",
    )
    async def to_do(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
    ) -> ToDo:
        return await service.to_do(request.user, region, cycle_id)
