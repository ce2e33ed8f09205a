"""Controllers of organisation data: JSONBody[units], teams, employees (and their bulk import)."""

from __future__ import annotations

from litestar import Controller, get, patch, post, put
from litestar.params import JSONBody

from services.feedback import service
from services.feedback.api.params import (
    ADMINS,
    ANY,
    HR,
    Caller,
    Limit,
    Nip,
    Offset,
    RegionId,
    Relay,
    Store,
    TeamId,
    UnitId,
    same_region,
)
from services.feedback.domain import (
    EmployeeCreate,
    EmployeeRecord,
    EmployeeUpdate,
    ImportReport,
    Team,
    TeamCreate,
    Unit,
    UnitCreate,
)
from shared.auth import requires


class UnitController(Controller):
    path = "/regions/{region:str}/units"
    tags = ["organisation"]
    guards = [same_region]

    @get("/", guards=[requires(*ANY)], summary="List the region's units")
    async def list_units(self, store: Store, region: RegionId) -> list[Unit]:
        return await service.list_units(store, region)

    @put("/{unit_id:str}", guards=[requires(*ADMINS)], summary="Create or rename a unit")
    async def put_unit(
        self,
        request: Caller,
        store: Store,
        region: RegionId,
        unit_id: UnitId,
        data: JSONBody[UnitCreate],
    ) -> Unit:
        return await service.put_unit(store, request.user, region, unit_id, data)


class TeamController(Controller):
    path = "/regions/{region:str}/teams"
    tags = ["organisation"]
    guards = [same_region]

    @get("/", guards=[requires(*ANY)], summary="List the region's teams")
    async def list_teams(self, store: Store, region: RegionId) -> list[Team]:
        return await service.list_teams(store, region)

    @put("/{team_id:str}", guards=[requires(*ADMINS)], summary="Create or change a team")
    async def put_team(
        self,
        request: Caller,
        store: Store,
        region: RegionId,
        team_id: TeamId,
        data: JSONBody[TeamCreate],
    ) -> Team:
        return await service.put_team(store, request.user, region, team_id, data)


class EmployeeController(Controller):
    path = "/regions/{region:str}/employees"
    tags = ["organisation"]
    guards = [same_region]

    @get("/", guards=[requires(*ANY)], summary="Employees the caller may see")
    async def list_employees(
        self,
        request: Caller,
        store: Store,
        region: RegionId,
        offset: Offset = 0,
        limit: Limit = 100,
    ) -> list[EmployeeRecord]:
        return await service.list_employees(store, request.user, region, offset, limit)

    @get("/{nip:str}", guards=[requires(*ANY)], summary="One employee")
    async def get_employee(
        self,
        request: Caller,
        store: Store,
        region: RegionId,
        nip: Nip,
    ) -> EmployeeRecord:
        return await service.get_employee(store, request.user, region, nip)

    @put("/{nip:str}", guards=[requires(*HR)], summary="Create or replace an employee")
    async def put_employee(
        self,
        request: Caller,
        store: Store,
        relay: Relay,
        region: RegionId,
        nip: Nip,
        data: JSONBody[EmployeeCreate],
    ) -> EmployeeRecord:
        return await service.put_employee(store, relay, request.user, region, nip, data)

    @patch("/{nip:str}", guards=[requires(*HR)], summary="Change some fields of an employee")
    async def update_employee(
        self,
        request: Caller,
        store: Store,
        relay: Relay,
        region: RegionId,
        nip: Nip,
        data: JSONBody[EmployeeUpdate],
    ) -> EmployeeRecord:
        return await service.update_employee(store, relay, request.user, region, nip, data)


def import_controller(max_body_bytes: int) -> type[Controller]:
    """The bulk import takes larger bodies than the rest of the API, hence its own limit."""

    class EmployeeImportController(Controller):
        path = "/regions/{region:str}/employee-imports"
        tags = ["organisation"]
        guards = [same_region]

        @post(
            "/",
            guards=[requires(*HR)],
            request_max_body_size=max_body_bytes,
            summary="Bulk import employees from CSV (text/csv) or JSON (a list of objects)",
            description="Good rows land, each as one upsert with its own event; bad rows are "
            "reported with row number, NIP and reasons. No row is half applied.",
        )
        async def import_employees(
            self,
            request: Caller,
            store: Store,
            relay: Relay,
            region: RegionId,
        ) -> ImportReport:
            raw = await request.body()
            media_type = request.headers.get("content-type", "")
            return await service.import_employees(store, relay, request.user, region, raw, media_type)

    return EmployeeImportController
