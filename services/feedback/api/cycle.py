"""Controller of appraisal cycles."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from services.feedback.access import ADMINS, ANY, same_region
from services.feedback.api.params import Caller, CycleId, RegionId, Service
from services.feedback.domain import Cycle, CycleClose, CycleCreate, CycleReopen, OpenCycle
from services.feedback.domain.cycle import ClosedCycle
from shared.auth import requires


class CycleController(Controller):
    path = "/regions/{region:str}/cycles"
    tags = ["cycles"]
    guards = [same_region]

    @get("/", guards=[requires(*ANY)], summary="List the region's cycles")
    async def list_cycles(self, service: Service, region: RegionId) -> list[Cycle]:
        return await service.list_cycles(region)

    @get("/{cycle_id:str}", guards=[requires(*ANY)], summary="One cycle")
    async def get_cycle(self, service: Service, region: RegionId, cycle_id: CycleId) -> Cycle:
        return await service.get_cycle(region, cycle_id)

    @post("/", guards=[requires(*ADMINS)], summary="Open a cycle")
    async def open_cycle(
        self, request: Caller, service: Service, region: RegionId, data: JSONBody[CycleCreate]
    ) -> Cycle:
        return await service.open_cycle(request.user, region, data)

    @post(
        "/{cycle_id:str}/close",
        guards=[requires(*ADMINS)],
        summary="Close a cycle with the units' predicates",
    )
    async def close_cycle(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        data: JSONBody[CycleClose],
    ) -> ClosedCycle:
        return await service.close_cycle(request.user, region, cycle_id, data)

    @post(
        "/{cycle_id:str}/reopen", guards=[requires(*ADMINS)], summary="Reopen a closed cycle for corrections"
    )
    async def reopen_cycle(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        cycle_id: CycleId,
        data: JSONBody[CycleReopen],
    ) -> Cycle:
        return await service.reopen_cycle(request.user, region, cycle_id, data)


class OpenCycleController(Controller):
    """Public: the cycles a citizen's feedback goes to (the form has no account to list cycles)."""

    path = "/public/regions/{region:str}/open-cycles"
    tags = ["cycles"]

    @get("/", exclude_from_auth=True, summary="The region's open cycles (id, kind and window only)")
    async def open_cycles(self, service: Service, region: RegionId) -> list[OpenCycle]:
        return await service.open_cycles(region)
