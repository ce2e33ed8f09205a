"""Organisation data: the NIP rules, units, teams, employees and the bulk import report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from services.feedback.domain.base import ADULT_AGE, Id, Nip, Schema, utcnow
from shared.events.feedback import (
    Employee,
    EmploymentType,
)

# ------------------------------------------------------------------ NIP


def nip_problems(nip: str, employment_type: EmploymentType) -> list[str]:
    """Why ``nip`` is not a valid NIP; the PNS layout is checked only for PNS (PPPK differs).

    PNS layout (BKN): birth date ``YYYYMMDD``, start of CPNS service ``YYYYMM`` (TMT CPNS), sex
    ``1``/``2``, sequence of 3 digits. The start may not lie before the 18th birthday; the NIP only
    carries the month, so the check is by month: starting in the month of the 18th birthday passes.
    """
    if len(nip) != 18 or not nip.isascii() or not nip.isdigit():
        return ["a NIP has exactly 18 digits"]
    if employment_type is not EmploymentType.PNS:
        return []
    problems = []
    try:
        born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        born = None
        problems.append(f"birth date {nip[0:8]} is not a valid date")
    start_year, start_month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= start_month <= 12:
        problems.append(f"start of service {nip[8:14]} has no valid month")
    elif born is not None:
        if born.year < 1900 or born > utcnow().date():
            problems.append(f"birth date {nip[0:8]} is not plausible")
        if (start_year, start_month) < (born.year + ADULT_AGE, born.month):
            problems.append(f"start of service {nip[8:14]} is before the 18th birthday")
    if nip[14] not in "12":
        problems.append(f"sex digit is {nip[14]}, not 1 or 2")
    return problems


# ------------------------------------------------------------------ organisation


class UnitCreate(Schema):
    name: str = Field(min_length=1, max_length=200, description="Name of the unit (dinas).")


class Unit(BaseModel):
    region: str
    unit_id: str
    name: str


class TeamCreate(Schema):
    name: str = Field(min_length=1, max_length=200, description="Name of the team.")
    unit_id: Id = Field(description="Unit the team belongs to.")


class Team(BaseModel):
    region: str
    team_id: str
    name: str
    unit_id: str


class EmployeeCreate(Schema):
    """An employee record; the NIP is in the path."""

    name: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=200)
    unit_id: Id
    supervisor_nip: Nip | None = None
    team_id: Id | None = None
    employment_type: EmploymentType
    language: Literal["id", "en"] = "id"
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    service_role: bool = False
    active: bool = True


class EmployeeUpdate(Schema):
    """A partial change; fields left out keep their value, ``null`` clears an optional one."""

    name: str | None = Field(None, min_length=1, max_length=200)
    position: str | None = Field(None, min_length=1, max_length=200)
    unit_id: Id | None = None
    supervisor_nip: Nip | None = None
    team_id: Id | None = None
    employment_type: EmploymentType | None = None
    language: Literal["id", "en"] | None = None
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    service_role: bool | None = None
    active: bool | None = None


class EmployeeRecord(Employee):
    """An employee as the API returns it: the contract's record plus the region."""

    region: str = Field(description="Region the employee belongs to.")


class ImportRow(Schema):
    """One row of a bulk import (CSV columns or JSON object keys)."""

    nip: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=200)
    unit_id: Id
    supervisor_nip: Nip | None = None
    team_id: Id | None = None
    employment_type: EmploymentType
    language: Literal["id", "en"] = "id"
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    service_role: bool = False
    active: bool = True


class RowRejection(BaseModel):
    row: int = Field(description="1-based data row number (the CSV header is not counted).")
    nip: str | None = Field(description="NIP as given, if any.")
    reasons: list[str]


class ImportReport(BaseModel):
    accepted: int = Field(description="Rows applied (each one upsert with its own event).")
    rejected: list[RowRejection] = Field(description="Rows not applied, with their reasons.")


def employee_problems(
    nip: str,
    record: EmployeeCreate | ImportRow,
    *,
    units: set[str],
    teams: Mapping[str, str],
    known_nips: set[str],
) -> list[str]:
    """Why an employee record does not fit the organisation data (``teams``: team id -> unit id)."""
    problems = nip_problems(nip, record.employment_type)
    if record.unit_id not in units:
        problems.append(f"unit {record.unit_id} does not exist")
    if record.team_id is not None:
        if record.team_id not in teams:
            problems.append(f"team {record.team_id} does not exist")
        elif teams[record.team_id] != record.unit_id:
            problems.append(f"team {record.team_id} belongs to another unit")
    if record.supervisor_nip is not None:
        if record.supervisor_nip == nip:
            problems.append("an employee cannot supervise themselves")
        elif record.supervisor_nip not in known_nips:
            problems.append(f"supervisor {record.supervisor_nip} is not an employee of the region")
    return problems


def import_problems(
    rows: Sequence[tuple[int, ImportRow]],
    *,
    units: set[str],
    teams: Mapping[str, str],
    stored: set[str],
    foreign: set[str],
) -> dict[int, list[str]]:
    """Why each row of an import (by row number) cannot be applied; an empty list when it can.

    The rules of a single ``PUT``, for a file: a supervisor must be an employee of the region
    after the import, that is one already ``stored`` or a row of the file that is itself
    accepted; rejecting a row can orphan the rows it supervises, so this repeats until nothing
    changes. A NIP may appear once, and not be another region's (``foreign``).
    """
    in_file = {row.nip for _, row in rows}
    problems: dict[int, list[str]] = {}
    seen: set[str] = set()
    for number, row in rows:
        problems[number] = employee_problems(
            row.nip, row, units=units, teams=teams, known_nips=stored | in_file
        )
        if row.nip in seen:
            problems[number].append("the NIP appears earlier in the file")
        if row.nip in foreign:
            problems[number].append("the NIP belongs to another region")
        seen.add(row.nip)
    while True:
        known = stored | {row.nip for number, row in rows if not problems[number]}
        orphaned = [
            (number, row)
            for number, row in rows
            if not problems[number]
            and row.supervisor_nip is not None
            and row.supervisor_nip != row.nip
            and row.supervisor_nip not in known
        ]
        if not orphaned:
            return problems
        for number, row in orphaned:
            problems[number].append(f"supervisor {row.supervisor_nip} is not an employee of the region")
