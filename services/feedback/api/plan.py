"""Controllers of SKP plans and the progress and achievement reports against them."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import JSONBody

from services.feedback.access import ANY, APPRAISERS, STAFF, same_region
from services.feedback.api.params import Caller, CycleId, Nip, RegionId, Service
from services.feedback.domain import (
    Achievement,
    AchievementCreate,
    Plan,
    PlanCreate,
    PlanReturn,
    Progress,
    ProgressCreate,
)
from shared.auth import requires

CYCLE_PATH = "/regions/{region:str}/cycles/{cycle_id:str}"


class PlanController(Controller):
    path = CYCLE_PATH + "/plans"
    tags = ["plans"]
    guards = [same_region]

    @get("/{nip:str}", guards=[requires(*ANY)], summary="An employee's plan")
    async def get_plan(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
    ) -> Plan:
        return await service.get_plan(request.user, region, cycle_id, nip)

    @put("/{nip:str}", guards=[requires(*STAFF)], summary="Submit or revise one's own plan")
    async def submit_plan(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
        data: JSONBody[PlanCreate],
    ) -> Plan:
        return await service.submit_plan(request.user, region, cycle_id, nip, data)

    @post(
        "/{nip:str}/approve",
        guards=[requires(*APPRAISERS)],
        status_code=200,
        summary="Approve a plan (the supervisor; HR for a head without one)",
    )
    async def approve_plan(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
    ) -> Plan:
        return await service.decide_plan(request.user, region, cycle_id, nip, None)

    @post(
        "/{nip:str}/return",
        guards=[requires(*APPRAISERS)],
        status_code=200,
        summary="Return a plan (the supervisor; HR for a head without one)",
    )
    async def return_plan(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
        data: JSONBody[PlanReturn],
    ) -> Plan:
        return await service.decide_plan(request.user, region, cycle_id, nip, data)


class ProgressController(Controller):
    path = CYCLE_PATH + "/progress"
    tags = ["reports"]
    guards = [same_region]

    @get("/{nip:str}", guards=[requires(*ANY)], summary="An employee's progress reports")
    async def list_progress(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
    ) -> list[Progress]:
        return await service.list_progress(request.user, region, cycle_id, nip)

    @post("/{nip:str}", guards=[requires(*STAFF)], summary="Report progress")
    async def report_progress(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
        data: JSONBody[ProgressCreate],
    ) -> Progress:
        return await service.report_progress(request.user, region, cycle_id, nip, data)


class AchievementController(Controller):
    path = CYCLE_PATH + "/achievements"
    tags = ["reports"]
    guards = [same_region]

    @get("/{nip:str}", guards=[requires(*ANY)], summary="An employee's final achievement report")
    async def get_achievement(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
    ) -> Achievement:
        return await service.get_achievement(request.user, region, cycle_id, nip)

    @put("/{nip:str}", guards=[requires(*STAFF)], summary="Report (or replace) the final achievement")
    async def report_achievement(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        nip: Nip,
        data: JSONBody[AchievementCreate],
    ) -> Achievement:
        return await service.report_achievement(request.user, region, cycle_id, nip, data)
