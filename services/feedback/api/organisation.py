"""Controllers of organisation data: units, teams, employees (and their bulk import)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get, patch, post, put
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import JSONBody

from services.feedback.access import ADMINS, ANY, HR, same_region
from services.feedback.api.params import After, Caller, Limit, Nip, RegionId, Service, TeamId, UnitId
from services.feedback.domain import (
    EmployeeCreate,
    EmployeeRecord,
    EmployeeUpdate,
    ImportReport,
    ImportRow,
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
    async def list_units(self, service: Service, region: RegionId) -> list[Unit]:
        return await service.list_units(region)

    @put("/{unit_id:str}", guards=[requires(*ADMINS)], summary="Create or rename a unit")
    async def put_unit(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        unit_id: UnitId,
        data: JSONBody[UnitCreate],
    ) -> Unit:
        return await service.put_unit(request.user, region, unit_id, data)


class TeamController(Controller):
    path = "/regions/{region:str}/teams"
    tags = ["organisation"]
    guards = [same_region]

    @get("/", guards=[requires(*ANY)], summary="List the region's teams")
    async def list_teams(self, service: Service, region: RegionId) -> list[Team]:
        return await service.list_teams(region)

    @put("/{team_id:str}", guards=[requires(*ADMINS)], summary="Create or change a team")
    async def put_team(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        team_id: TeamId,
        data: JSONBody[TeamCreate],
    ) -> Team:
        return await service.put_team(request.user, region, team_id, data)


class EmployeeController(Controller):
    path = "/regions/{region:str}/employees"
    tags = ["organisation"]
    guards = [same_region]

    @get("/", guards=[requires(*ANY)], summary="Employees the caller may see")
    async def list_employees(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        after: After = None,
        limit: Limit = 100,
    ) -> list[EmployeeRecord]:
        return await service.list_employees(request.user, region, after, limit)

    @get("/{nip:str}", guards=[requires(*ANY)], summary="One employee")
    async def get_employee(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        nip: Nip,
    ) -> EmployeeRecord:
        return await service.get_employee(request.user, region, nip)

    @put("/{nip:str}", guards=[requires(*HR)], summary="Create or replace an employee")
    async def put_employee(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        nip: Nip,
        data: JSONBody[EmployeeCreate],
    ) -> EmployeeRecord:
        return await service.put_employee(request.user, region, nip, data)

    @patch("/{nip:str}", guards=[requires(*HR)], summary="Change some fields of an employee")
    async def update_employee(
        self,
        request: Caller,
        service: Service,
        region: RegionId,
        nip: Nip,
        data: JSONBody[EmployeeUpdate],
    ) -> EmployeeRecord:
        return await service.update_employee(request.user, region, nip, data)


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
            operation_class=ImportOperation,
            description="Good rows land, each as one upsert with its own event; bad rows are "
            "reported with row number, NIP and reasons. No row is half applied.",
        )
        async def import_employees(
            self,
            request: Caller,
            service: Service,
            region: RegionId,
        ) -> ImportReport:
            raw = await request.body()
            media_type = request.headers.get("content-type", "")
            return await service.import_employees(request.user, region, raw, media_type)

    return EmployeeImportController


#: The columns of an import row, in the order the example CSV uses them.
IMPORT_COLUMNS = tuple(ImportRow.model_fields)
REQUIRED_COLUMNS = [name for name, field in ImportRow.model_fields.items() if field.is_required()]
_CSV_EXAMPLE = (
    ",".join(IMPORT_COLUMNS)
    + "\n198503122010011002,Siti Rahmawati,Perawat Ahli Muda,dinkes,197801012005011001,pkm,PNS,id,"
    + "siti@marelan.go.id,true,true\n"
)


@dataclass
class ImportOperation(Operation):
    """The import reads its body itself (CSV or JSON), so its request body is described here."""

    def __post_init__(self) -> None:
        row = Schema(
            type=OpenAPIType.OBJECT,
            required=REQUIRED_COLUMNS,
            properties={name: Schema(description=f"Column `{name}`.") for name in IMPORT_COLUMNS},
        )
        self.request_body = RequestBody(
            required=True,
            description=(
                "One employee per CSV row (UTF-8, header row first, columns "
                + ", ".join(f"`{c}`" for c in IMPORT_COLUMNS)
                + "; required: "
                + ", ".join(f"`{c}`" for c in REQUIRED_COLUMNS)
                + "; booleans as true/false, 1/0 or yes/no; an empty cell is no value) or one JSON object "
                "per employee with the same keys. At most 50,000 rows."
            ),
            content={
                "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING), example=_CSV_EXAMPLE),
                "application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.ARRAY, items=row)),
            },
        )
