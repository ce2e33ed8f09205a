"""Who may see and do what in the feedback service.

- Every route but the public ones (citizen feedback, the rubric, open cycles) is behind the
  :func:`same_region` guard and a role set below (``shared.auth.requires``): nobody sees or
  changes another region's data, the system role spans regions.
- An employee sees their own records (plan, reports, feedback, notes); a supervisor also their
  direct reports'; HR, the region admin and the system role the whole region (:func:`sees`). A
  direct report also reads their supervisor's plan, which their own plan links to.
- Plans, progress and achievement reports are their owner's own to write (:func:`check_own`); the
  recorded supervisor decides on a plan, HR for a head without one (:func:`appraiser_of`).
- Notes are written by the recorded supervisor (:func:`note_author`); 360 ratings follow
  the relations of :func:`~services.feedback.domain.relation_problem` (:func:`check_rates`).
- A team view: a supervisor their direct reports, HR a unit's or a supervisor's (:func:`team_of`).

The rules decide on what the service read; they read nothing themselves.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from services.feedback.domain import EmployeeRecord, relation_problem
from shared.auth import Principal, Role
from shared.errors import BadRequest, Forbidden, Unauthorized
from shared.events.feedback import Source

ANY = (Role.EMPLOYEE, Role.SUPERVISOR, Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM)
ADMINS = (Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM)
"""Who sees the whole region, and keeps its organisation and cycles."""
HR = (Role.HR_ADMIN, Role.SYSTEM)
STAFF = (Role.EMPLOYEE, Role.SUPERVISOR)
SUPERVISORS = (Role.SUPERVISOR,)
APPRAISERS = (Role.SUPERVISOR, Role.HR_ADMIN)
"""Who decides on plans: the recorded supervisor, or HR for a head without one."""

_RELATION_DETAIL = {
    "not-self": "a self assessment is about oneself",
    "self-rating": "nobody rates themselves as a peer, supervisor or subordinate",
    "not-supervisor": "only the recorded supervisor gives the supervisor assessment",
    "not-peer": "peers share the same direct supervisor",
    "not-subordinate": "only direct subordinates rate as subordinates",
    "hr-heads-only": "HR gives only the supervisor assessment of an employee without a supervisor in "
    "the region (a unit head), for the appraising official one level up",
}


async def same_region(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: nobody sees or changes another region's data (the system role spans regions).

    A coroutine, as every guard here: Litestar runs a plain function guard in a worker thread."""
    principal = connection.user
    if not isinstance(principal, Principal):
        raise Unauthorized("a bearer token is required", slug="missing-token")
    principal.require_region(connection.path_params["region"])


def caller_nip(caller: Principal) -> str:
    """The caller's NIP, for an action only an employee can take."""
    if caller.nip is None:
        raise Forbidden("this action needs a token that names an employee (nip)", slug="no-nip")
    return caller.nip


def whole_region(caller: Principal) -> bool:
    """Whether the caller sees every employee of their region (HR, region admin, system)."""
    return caller.role in ADMINS


def sees(caller: Principal, employee: EmployeeRecord) -> bool:
    """Whether the caller sees ``employee``'s records: admins all of the region, a supervisor
    their direct reports and themselves, an employee themselves."""
    if whole_region(caller) or caller.nip == employee.nip:
        return True
    # A supervisor's token without a NIP names no one's supervisor (not the heads', whose is None).
    return caller.role is Role.SUPERVISOR and caller.nip is not None and employee.supervisor_nip == caller.nip


def check_sees(caller: Principal, employee: EmployeeRecord) -> None:
    if not sees(caller, employee):
        raise _not_yours()


def check_reads_plan(caller: Principal, owner: EmployeeRecord, me: EmployeeRecord | None) -> None:
    """A plan is read by those who see its owner, and by the owner's direct reports (``me``, the
    caller's record): an employee links each RHK to the supervisor's RHK it supports (cascading,
    PermenPANRB 6/2022), so reads it."""
    if not sees(caller, owner) and (me is None or me.supervisor_nip != owner.nip):
        raise _not_yours()


def _not_yours() -> Forbidden:
    return Forbidden("only the employee, their supervisor and HR see this", slug="not-yours")


def check_own(caller: Principal, nip: str) -> None:
    """Only the employee themselves writes their plan and reports."""
    if caller_nip(caller) != nip:
        raise Forbidden("only the employee themselves may do this", slug="not-own")


def appraiser_of(employee: EmployeeRecord, caller: Principal) -> str:
    """The NIP that decides on ``employee``'s plan for ``caller``, or a refusal.

    The recorded supervisor decides. An employee with no supervisor in the region (the head of a
    unit) has an appraising official one level up, outside the region's organisation data
    (PermenPANRB 6/2022, pejabat penilai kinerja); HR records that official's decision, and is then
    the recorded appraiser.
    """
    if caller.role is Role.HR_ADMIN:
        if employee.supervisor_nip is not None:
            raise Forbidden(
                f"the supervisor of {employee.nip} decides on the plan; HR decides only for heads "
                "without a supervisor in the region",
                slug="not-supervisor",
            )
        return caller_nip(caller)
    if employee.supervisor_nip is None or employee.supervisor_nip != caller_nip(caller):
        raise Forbidden(f"only the supervisor of {employee.nip} decides on the plan", slug="not-supervisor")
    return employee.supervisor_nip


def note_author(caller: Principal, employee: EmployeeRecord) -> str:
    """The NIP a note to ``employee`` is written under: continuous feedback is written by the
    employee's recorded supervisor, and nobody else."""
    if employee.supervisor_nip is None or employee.supervisor_nip != caller_nip(caller):
        raise Forbidden(f"only the supervisor of {employee.nip} writes notes to them", slug="not-supervisor")
    return employee.supervisor_nip


def check_rates(caller: Principal, source: Source, rater: EmployeeRecord, ratee: EmployeeRecord) -> None:
    """Whether ``rater`` (the caller's record) may rate ``ratee`` as ``source``."""
    slug = relation_problem(source, rater, ratee, hr=caller.role is Role.HR_ADMIN)
    if slug is not None:
        raise Forbidden(_RELATION_DETAIL[slug], slug=slug)


class Team(NamedTuple):
    """A team as a view selects it: one unit's employees, or one supervisor's direct reports."""

    unit_id: str | None = None
    supervisor_nip: str | None = None


def team_of(caller: Principal, unit: str | None, supervisor: str | None) -> Team:
    """The team the caller asks for and may see: a supervisor their own direct reports; HR and
    admins one unit or one supervisor's reports."""
    if caller.role is Role.SUPERVISOR:
        mine = caller_nip(caller)
        if supervisor not in (None, mine) or unit is not None:
            raise Forbidden("a supervisor sees their own direct reports", slug="not-yours")
        return Team(supervisor_nip=mine)
    if whole_region(caller):
        if (unit is None) == (supervisor is None):
            raise BadRequest("give one of unit and supervisor", slug="team-filter")
        return Team(unit_id=unit) if unit else Team(supervisor_nip=supervisor)
    raise Forbidden("only supervisors and HR see a team", slug="role")
