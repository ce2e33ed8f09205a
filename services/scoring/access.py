"""Who may see and do what in the scoring service.

- an employee sees their own scores, a supervisor those of their direct reports, HR, the
  region admin and the system role every score of the region (the system role: every region);
- the appraising official (supervisor) or HR decides on a final predicate, of their own region.
"""

from __future__ import annotations

from typing import Any

from services.scoring.service import ScoringService
from shared.auth import Principal, Role
from shared.errors import Forbidden, NotFound


async def authorise_person(service: ScoringService, who: Principal, nip: str, region: str) -> None:
    """Allow the person, their supervisor and the region's HR and admins to see ``nip``'s scores."""
    who.require_region(region)
    if who.role in (Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM) or who.nip == nip:
        return
    if who.role is Role.SUPERVISOR:
        employee = await service.store.employee(nip)
        if employee and employee.get("supervisor_nip") == who.nip:
            return
    raise Forbidden("you may see your own scores, and a supervisor those of the team", slug="not-yours")


async def decided_on(service: ScoringService, who: Principal, cycle_id: str, nip: str) -> dict[str, Any]:
    """The score an official decides on, if it exists and is of the caller's region."""
    doc = await service.store.score(cycle_id, nip)
    if doc is None:
        raise NotFound(f"no score for {nip} in cycle {cycle_id}", slug="score-not-found")
    who.require_region(doc["region"])
    return doc


def readable_region(who: Principal) -> str | None:
    """The region whose scores a whole-region reader (HR, region admin, system) may list: their
    own; None, every region, for the system role."""
    return None if who.role is Role.SYSTEM else who.region
