"""Who may see and do what in the scoring service.

- an employee sees their own scores, a supervisor those of their direct reports, HR, the
  region admin and the system role every score of the region (the system role: every region);
- the appraising official (the employee's supervisor) or HR decides on a final predicate, of their
  own region.

Pure rules over the caller and what the service read (the employee's directory entry, the score's
region); the service reads, then asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.auth import Principal, Role
from shared.errors import Forbidden

WHOLE_REGION = (Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM)


def needs_directory(who: Principal, nip: str) -> bool:
    """Whether a rule below needs ``nip``'s directory entry to decide for ``who``: a supervisor's
    right comes from being the employee's supervisor; everyone else's from the token alone."""
    return who.role is Role.SUPERVISOR and who.nip != nip


def authorise_region(who: Principal, region: str) -> None:
    """Allow readers of ``region``'s whole-region views (the controllers' guards name the roles)."""
    who.require_region(region)


def authorise_person(who: Principal, nip: str, region: str, employee: Mapping[str, Any] | None) -> None:
    """Allow the person, their supervisor (``employee``'s ``supervisor_nip``) and the region's HR
    and admins to see ``nip``'s scores."""
    who.require_region(region)
    if who.role in WHOLE_REGION or who.nip == nip:
        return
    if who.role is Role.SUPERVISOR and employee and employee.get("supervisor_nip") == who.nip:
        return
    raise Forbidden("you may see your own scores, and a supervisor those of the team", slug="not-yours")


def sees_officials(who: Principal) -> bool:
    """Whether ``who`` sees which official decided a calibration (HR and admins); the employee and
    their supervisor see the decision, its reason and the official's role."""
    return who.role in WHOLE_REGION


def authorise_decision(who: Principal, region: str, employee: Mapping[str, Any] | None) -> None:
    """Allow HR of ``region``, and the employee's appraising official, to decide on a score."""
    who.require_region(region)
    if who.role is Role.SUPERVISOR and (not employee or employee.get("supervisor_nip") != who.nip):
        raise Forbidden("only the employee's appraising official may calibrate", slug="not-appraiser")


def readable_region(who: Principal) -> str | None:
    """The region whose scores a whole-region reader (HR, region admin, system) may list: their
    own; None, every region, for the system role."""
    return None if who.role is Role.SYSTEM else who.region
