"""Controller of appraisal cycles."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from services.feedback import service
from services.feedback.access import ADMINS, ANY, same_region
from services.feedback.api.params import (
    Caller,
    ClosePolicyDep,
    CycleId,
    RegionId,
    Relay,
    Store,
)
from services.feedback.domain import Cycle, CycleClose, CycleCreate, CycleReopen, CycleStatus, OpenCycle
from services.feedback.domain.cycle import ClosedCycle
from shared.auth import requires


class CycleController(Controller):
    path = "/regions/{region:str}/cycles"
    tags = ["cycles"]
    guards = [same_region]

    @get("/", guards=[requires(*ANY)], summary="List the region's cycles")
    async def list_cycles(self, store: Store, region: RegionId) -> list[Cycle]:
        return await service.list_cycles(store, region)

    @get("/{cycle_id:str}", guards=[requires(*ANY)], summary="One cycle")
    async def get_cycle(self, store: Store, region: RegionId, cycle_id: CycleId) -> Cycle:
        return await service.get_cycle(store, region, cycle_id)

    @post("/", guards=[requires(*ADMINS)], summary="Open a cycle")
    async def open_cycle(
        self,
        request: Caller,
        store: Store,
        relay: Relay,
        region: RegionId,
        data: JSONBody[CycleCreate],
    ) -> Cycle:
        return await service.open_cycle(store, relay, request.user, region, data)

    @post(
        "/{cycle_id:str}/close",
        guards=[requires(*ADMINS)],
        summary="Close a cycle with the units' predicates",
    )
    async def close_cycle(
        self,
        request: Caller,
        store: Store,
        relay: Relay,
        region: RegionId,
        cycle_id: CycleId,
        data: JSONBody[CycleClose],
        close_policy: ClosePolicyDep,
    ) -> ClosedCycle:
        return await service.close_cycle(store, relay, close_policy, request.user, region, cycle_id, data)

    @post(
        "/{cycle_id:str}/reopen", guards=[requires(*ADMINS)], summary="Reopen a closed cycle for corrections"
    )
    async def reopen_cycle(
        self,
        request: Caller,
        store: Store,
        relay: Relay,
        region: RegionId,
        cycle_id: CycleId,
        data: JSONBody[CycleReopen],
    ) -> Cycle:
        return await service.reopen_cycle(store, relay, request.user, region, cycle_id, data)


class OpenCycleController(Controller):
    """Public: the cycles a citizen's feedback goes to (the form has no account to list cycles)."""

    path = "/public/regions/{region:str}/open-cycles"
    tags = ["cycles"]

    @get("/", exclude_from_auth=True, summary="The region's open cycles (id, kind and window only)")
    async def open_cycles(self, store: Store, region: RegionId) -> list[OpenCycle]:
        cycles = await service.list_cycles(store, region)
        return [OpenCycle.of(c) for c in cycles if c.status is CycleStatus.OPEN]
