"""Who may see which recommendations.

- ``employee``: their own, and the team awards of their team;
- ``supervisor``: their own and their direct reports' (from the employee directory that
  ``feedback.employee_upserted`` feeds), and the team awards of those people's teams;
- ``hr_admin`` and ``region_admin``: everything in their region;
- ``system``: everything, in every region.

Nobody sees another region's recommendations. Only ``hr_admin`` decides and records potential.

The rules decide on what the service read for them (the caller's directory entry and direct
reports, the region of an employee asked for) and read nothing themselves; for a list they say
which reads to make (:func:`list_reads`), and the service makes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from services.career.domain import RecommendationQuery, StoredRecommendation
from shared.auth import Principal, Role
from shared.errors import Forbidden

WHOLE_REGION = frozenset({Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM})


@dataclass(frozen=True)
class Audience:
    """The recommendations one caller may see: a region (None: all) and, unless ``whole_region``,
    only those of ``nips`` and the team awards of ``teams``."""

    region: str | None
    whole_region: bool
    nips: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()

    def admits(self, stored: StoredRecommendation) -> bool:
        rec = stored.recommendation
        if self.region is not None and stored.region != self.region:
            return False
        if self.whole_region:
            return True
        if rec.nip is not None:
            return rec.nip in self.nips
        return rec.team_id in self.teams

    def check(self, stored: StoredRecommendation) -> None:
        """Raise :class:`Forbidden` unless the caller may see ``stored``."""
        if self.region is not None and stored.region != self.region:
            raise Forbidden("this region's data is not yours to see", slug="other-region")
        if not self.admits(stored):
            raise Forbidden("this recommendation is not yours to see", slug="not-yours")


def directory_reader(principal: Principal) -> str | None:
    """The NIP whose directory entry (and, for a supervisor, direct reports) decides what
    ``principal`` may see; None for the roles that see a whole region.

    :raises Forbidden: an employee or supervisor token that names no NIP.
    """
    if principal.role in WHOLE_REGION:
        return None
    if principal.nip is None:
        raise Forbidden("the token names no NIP", slug="no-nip")
    return principal.nip


def audience_of(
    principal: Principal, team_id: str | None = None, reports: Iterable[tuple[str, str | None]] = ()
) -> Audience:
    """The audience of ``principal``, given the team of the caller's directory entry and, for a
    supervisor, the (NIP, team) of each direct report (nothing for the whole-region roles)."""
    if directory_reader(principal) is None:
        return Audience(region=None if principal.role is Role.SYSTEM else principal.region, whole_region=True)
    people = [str(principal.nip)]
    teams: set[str] = set()
    if team_id:
        teams.add(team_id)
    if principal.role is Role.SUPERVISOR:
        for nip, team in reports:
            people.append(nip)
            if team:
                teams.add(team)
    return Audience(
        region=principal.region, whole_region=False, nips=frozenset(people), teams=frozenset(teams)
    )


@dataclass(frozen=True)
class RecommendationFilter:
    """Optional filters of the recommendation list; None means any."""

    region: str | None = None
    nip: str | None = None
    team_id: str | None = None
    cycle_id: str | None = None
    status: str | None = None
    kind: str | None = None


def check_region(audience: Audience, wanted: RecommendationFilter) -> None:
    """Refuse a list of another region than the caller's.

    :raises Forbidden: asked for another region.
    """
    if wanted.region and audience.region is not None and wanted.region != audience.region:
        raise Forbidden("this region's data is not yours to see", slug="other-region")


def needs_employee_region(audience: Audience, wanted: RecommendationFilter) -> bool:
    """Whether :func:`check_wanted` needs the region of the employee asked for by NIP."""
    return wanted.nip is not None and audience.region is not None


def check_wanted(audience: Audience, wanted: RecommendationFilter, employee_region: str | None) -> None:
    """Refuse asking by name for what one may not see (another region's employee, another
    employee, another team), rather than answer with an empty list, so that a client learns why.

    :param employee_region: the region of ``wanted.nip`` in the directory, when
        :func:`needs_employee_region` and the directory knows the employee.
    :raises Forbidden: the employee or team is not the caller's to see.
    """
    if employee_region is not None and audience.region is not None and employee_region != audience.region:
        raise Forbidden("this employee belongs to another region", slug="other-region")
    if not audience.whole_region and (
        (wanted.nip is not None and wanted.nip not in audience.nips)
        or (wanted.team_id is not None and wanted.team_id not in audience.teams)
    ):
        raise Forbidden("these recommendations are not yours to see", slug="not-yours")


@dataclass(frozen=True)
class ListReads:
    """The reads that answer a list: ``queries`` of the store's recommendations, and the region
    (None: any) each read's results must be in. ``whole`` is a single read of a region's list."""

    queries: list[RecommendationQuery]
    region: str | None
    whole: bool


def list_reads(audience: Audience, wanted: RecommendationFilter) -> ListReads:
    """Which reads answer ``wanted`` for ``audience`` (after :func:`check_region` and
    :func:`check_wanted`).

    Each read walks one index in id order and stops at the page, however many cycles the region
    holds: one read for a region's list (by status, kind or cycle when asked), one per person or
    team otherwise, the region then checked on what is read, so that the person's or team's index
    is the one walked.
    """
    region = wanted.region or audience.region
    common = RecommendationQuery(cycle_id=wanted.cycle_id, status=wanted.status, kind=wanted.kind)
    if audience.whole_region and wanted.nip is None and wanted.team_id is None:
        return ListReads(queries=[replace(common, region=region)], region=region, whole=True)
    reads: list[RecommendationQuery] = []
    if wanted.nip is not None or wanted.team_id is None:
        nips = [wanted.nip] if wanted.nip is not None else sorted(audience.nips)
        reads += [replace(common, nip=nip, team_id=wanted.team_id) for nip in nips]
    if wanted.nip is None:
        # Team ids are each region's own: the region goes with them, through (region, team_id, _id).
        teams = [wanted.team_id] if wanted.team_id is not None else sorted(audience.teams)
        reads += [replace(common, team_id=team, region=region) for team in teams]
    return ListReads(queries=reads, region=region, whole=False)
