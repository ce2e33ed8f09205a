"""Use cases on organisation data: units, teams, employees and the bulk import."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from services.feedback import access
from services.feedback.domain import (
    EmployeeCreate,
    EmployeeRecord,
    EmployeeUpdate,
    ImportReport,
    ImportRow,
    RowRejection,
    Team,
    TeamCreate,
    Unit,
    UnitCreate,
    employee_problems,
    import_problems,
    utcnow,
)
from services.feedback.service.common import UseCases, build, employee_record, invalid
from shared.auth import Principal, Role
from shared.errors import BadRequest, Conflict, ValidationFailed
from shared.events.feedback import Employee, EmployeeUpserted

MAX_IMPORT_ROWS = 50_000
_CSV_ERROR = "\x00csv-error"
"""Key of a parsed row that the csv module could not read (no column can have this name)."""
_CSV_BOOLS = {"": None, "true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class OrganisationUseCases(UseCases):
    async def put_unit(self, caller: Principal, region: str, unit_id: str, body: UnitCreate) -> Unit:
        await self.store.put_unit(region, unit_id, {"unit_id": unit_id, "name": body.name})
        await self._audit(caller, region, "unit.put", unit_id, name=body.name)
        return Unit(region=region, unit_id=unit_id, name=body.name)

    async def list_units(self, region: str) -> list[Unit]:
        return [Unit.model_validate(d) for d in await self.store.units(region)]

    async def put_team(self, caller: Principal, region: str, team_id: str, body: TeamCreate) -> Team:
        if body.unit_id not in await self.store.unit_ids(region):
            raise ValidationFailed(f"unit {body.unit_id} does not exist", slug="unknown-unit")
        await self.store.put_team(region, team_id, {"team_id": team_id, **body.model_dump()})
        await self._audit(caller, region, "team.put", team_id, unit_id=body.unit_id)
        return Team(region=region, team_id=team_id, **body.model_dump())

    async def list_teams(self, region: str) -> list[Team]:
        return [Team.model_validate(d) for d in await self.store.teams(region)]

    async def list_employees(
        self, caller: Principal, region: str, after: str | None, limit: int
    ) -> list[EmployeeRecord]:
        """Admins page through the region by NIP; a supervisor sees themselves, then their direct
        reports by NIP; an employee only themselves. The next page is the one ``after`` the last
        NIP of a page: an index range walked in order up to the page, however many employees the
        region has held (docs/ferretdb.md)."""
        caller.require_region(region)
        if access.whole_region(caller):
            return [employee_record(d) for d in await self.store.employees_page(region, after, limit)]
        # The caller's own record opens their list; the reports follow it, whatever their NIPs.
        own = await self.store.region_employee(region, caller.nip) if after is None and caller.nip else None
        docs = [own] if own is not None else []
        if caller.role is Role.SUPERVISOR and caller.nip is not None and len(docs) < limit:
            docs += await self.store.employees_page(
                region,
                after if after != caller.nip else None,
                limit - len(docs),
                supervisor_nip=caller.nip,
            )
        return [employee_record(d) for d in docs]

    async def get_employee(self, caller: Principal, region: str, nip: str) -> EmployeeRecord:
        return await self._visible_employee(caller, region, nip)

    async def put_employee(
        self, caller: Principal, region: str, nip: str, body: EmployeeCreate
    ) -> EmployeeRecord:
        record, created = await self._save_employee(region, nip, body)
        await self._audit(caller, region, "employee.created" if created else "employee.replaced", nip)
        return record

    async def update_employee(
        self, caller: Principal, region: str, nip: str, body: EmployeeUpdate
    ) -> EmployeeRecord:
        current = await self._employee(region, nip, fresh=True)
        changes = body.model_dump(exclude_unset=True)
        try:
            merged = EmployeeCreate.model_validate(current.model_dump(exclude={"nip", "region"}) | changes)
        except ValidationError as exc:
            # ``null`` clears an optional field; a required one (``name``, ``active``, ...) cannot be.
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            raise invalid(problems, "invalid-employee") from None
        record, _ = await self._save_employee(region, nip, merged)
        await self._audit(caller, region, "employee.updated", nip, fields=sorted(changes))
        return record

    async def _save_employee(
        self, region: str, nip: str, body: EmployeeCreate
    ) -> tuple[EmployeeRecord, bool]:
        store = self.store
        known = await store.existing_nips(region, [n for n in (nip, body.supervisor_nip) if n])
        problems = employee_problems(
            nip,
            body,
            units=await store.unit_ids(region),
            teams=await store.team_units(region),
            known_nips=known,
        )
        if problems:
            raise invalid(problems, "invalid-employee")
        employee = Employee(nip=nip, **body.model_dump())
        event = build(EmployeeUpserted, region=region, key=nip, employee=employee)
        if not await store.upsert_employee(region, nip, _fields(employee), [event]):
            raise Conflict(f"NIP {nip} belongs to another region", slug="other-region-nip")
        return EmployeeRecord(region=region, **employee.model_dump()), nip not in known

    async def import_employees(
        self, caller: Principal, region: str, raw: bytes, media_type: str
    ) -> ImportReport:
        """Apply every good row (one upsert with its own event each) and name every bad one.

        Supervisors may be defined anywhere in the same file, as long as their own row is accepted
        (``domain.import_problems``).
        """
        records = _parse(raw, media_type)
        if len(records) > MAX_IMPORT_ROWS:
            raise ValidationFailed(f"at most {MAX_IMPORT_ROWS} rows per import", slug="too-many-rows")
        rows, rejected = _validate_rows(records)
        store = self.store
        units, teams = await store.unit_ids(region), await store.team_units(region)
        problems = import_problems(
            rows,
            units=units,
            teams=teams,
            stored=await store.region_nips(region),
            foreign=await store.foreign_nips(region, [row.nip for _, row in rows]),
        )
        good: list[tuple[int, Employee]] = []
        for number, row in rows:
            if problems[number]:
                rejected.append(RowRejection(row=number, nip=row.nip, reasons=problems[number]))
            else:
                good.append((number, Employee(**row.model_dump())))
        ops = [
            (e.nip, _fields(e), build(EmployeeUpserted, region=region, key=e.nip, employee=e))
            for _, e in good
        ]
        failed = await store.upsert_employees(region, ops)
        for index in sorted(failed):
            number, employee = good[index]
            rejected.append(
                RowRejection(row=number, nip=employee.nip, reasons=["the NIP belongs to another region"])
            )
        rejected.sort(key=lambda r: r.row)
        report = ImportReport(accepted=len(ops) - len(failed), rejected=rejected)
        await self._audit(
            caller,
            region,
            "employee.imported",
            region,
            accepted=report.accepted,
            rejected=[r.model_dump() for r in rejected],
        )
        return report


def _fields(employee: Employee) -> dict[str, Any]:
    return {**employee.model_dump(mode="json"), "updated_at": utcnow()}


def _parse(raw: bytes, media_type: str) -> list[dict[str, Any]]:
    if "csv" in media_type:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequest("the CSV is not UTF-8", slug="malformed-csv") from None
        reader = csv.DictReader(io.StringIO(text))
        try:
            unknown = set(reader.fieldnames or ()) - set(ImportRow.model_fields)
        except csv.Error as exc:
            raise BadRequest(f"the CSV header cannot be read: {exc}", slug="malformed-csv") from None
        if unknown:
            raise BadRequest(f"unknown CSV columns: {', '.join(sorted(unknown))}", slug="malformed-csv")
        return list(_csv_rows(reader))
    if "json" in media_type:
        try:
            data = json.loads(raw)
        except ValueError:
            raise BadRequest("the body is not valid JSON", slug="malformed-json") from None
        if not isinstance(data, list):
            raise BadRequest("a JSON import is a list of employee objects", slug="malformed-json")
        return [row if isinstance(row, dict) else {"_": row} for row in data]
    raise BadRequest("send text/csv or application/json", slug="unsupported-media-type")


def _csv_rows(reader: csv.DictReader[str]) -> Iterator[dict[str, Any]]:
    """The rows of the CSV; a row the csv module cannot read (a field over its 131,072-character
    limit, say) becomes a row that names its problem, and the rows after it are still read."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield {_CSV_ERROR: f"the row cannot be read as CSV: {exc}"}
            continue
        yield {k: _csv_value(k, v) for k, v in row.items() if _csv_value(k, v) is not None}


def _csv_value(key: str | None, value: str | None) -> Any:
    if key is None or value is None:
        return None
    value = value.strip()
    if key in {"service_role", "active"}:
        return _CSV_BOOLS.get(value.lower(), value)
    return value or None


def _validate_rows(records: list[dict[str, Any]]) -> tuple[list[tuple[int, ImportRow]], list[RowRejection]]:
    rows: list[tuple[int, ImportRow]] = []
    rejected: list[RowRejection] = []
    for number, record in enumerate(records, start=1):
        if _CSV_ERROR in record:
            rejected.append(RowRejection(row=number, nip=None, reasons=[record[_CSV_ERROR]]))
            continue
        try:
            rows.append((number, ImportRow.model_validate(record)))
        except ValidationError as exc:
            reasons = [f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors()]
            nip = record.get("nip")
            rejected.append(
                RowRejection(row=number, nip=nip if isinstance(nip, str) else None, reasons=reasons)
            )
    return rows, rejected
