"""Who may see which recommendations.

- ``employee``: their own, and the team awards of their team;
- ``supervisor``: their own and their direct reports' (from the employee directory that
  ``feedback.employee_upserted`` feeds), and the team awards of those people's teams;
- ``hr_admin`` and ``region_admin``: everything in their region;
- ``system``: everything, in every region.

Nobody sees another region's recommendations. Only ``hr_admin`` decides and records potential.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.career.store import CareerStore, StoredRecommendation
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


async def audience_of(principal: Principal, store: CareerStore) -> Audience:
    """The audience of ``principal``, reading the directory for employees and supervisors."""
    if principal.role in WHOLE_REGION:
        return Audience(region=None if principal.role is Role.SYSTEM else principal.region, whole_region=True)
    if principal.nip is None:
        raise Forbidden("the token names no NIP", slug="no-nip")
    people = [principal.nip]
    teams: set[str] = set()
    me = await store.employee(principal.nip)
    if me is not None and me.get("team_id"):
        teams.add(me["team_id"])
    if principal.role is Role.SUPERVISOR:
        for report in await store.direct_reports(principal.nip):
            people.append(report["_id"])
            if report.get("team_id"):
                teams.add(report["team_id"])
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


async def visible_recommendations(
    store: CareerStore, audience: Audience, wanted: RecommendationFilter, after: str | None, limit: int
) -> list[StoredRecommendation]:
    """The recommendations matching ``wanted`` that ``audience`` may see, by id, from the id after
    ``after``, at most ``limit``.

    Asking by name for what one may not see (another region, another employee, another team) is
    refused rather than answered with an empty list, so that a client learns why.

    Each read walks one index in id order from ``after`` and stops at the page, however many
    cycles the region holds: one read for a region's list (by status, kind or cycle when asked),
    one per person or team otherwise, the region then checked on what is read, so that the
    person's or team's index is the one walked.
    """
    if wanted.region and audience.region is not None and wanted.region != audience.region:
        raise Forbidden("this region's data is not yours to see", slug="other-region")
    if wanted.nip is not None and audience.region is not None:
        # Another region's employee asked for by NIP: say so rather than answer an empty list.
        employee = await store.employee(wanted.nip)
        if employee is not None and employee["region"] != audience.region:
            raise Forbidden("this employee belongs to another region", slug="other-region")
    if not audience.whole_region and (
        (wanted.nip is not None and wanted.nip not in audience.nips)
        or (wanted.team_id is not None and wanted.team_id not in audience.teams)
    ):
        raise Forbidden("these recommendations are not yours to see", slug="not-yours")
    region = wanted.region or audience.region
    common: dict[str, object] = {
        key: value
        for key, value in (("cycle_id", wanted.cycle_id), ("status", wanted.status), ("kind", wanted.kind))
        if value is not None
    }
    if audience.whole_region and wanted.nip is None and wanted.team_id is None:
        query = {**common, **({"region": region} if region is not None else {})}
        return await store.find_recommendations(query, after=after, limit=limit)
    reads: list[dict[str, object]] = []
    if wanted.nip is not None or wanted.team_id is None:
        nips = [wanted.nip] if wanted.nip is not None else sorted(audience.nips)
        reads += [{**common, "nip": nip, **_team(wanted)} for nip in nips]
    if wanted.nip is None:
        # Team ids are each region's own: the region goes with them, through (region, team_id, _id).
        teams = [wanted.team_id] if wanted.team_id is not None else sorted(audience.teams)
        in_region = {"region": region} if region is not None else {}
        reads += [{**common, "team_id": team, **in_region} for team in teams]
    found: dict[str, StoredRecommendation] = {}
    for query in reads:
        for stored in await _page_in_region(store, query, region, after, limit):
            found[stored.recommendation.recommendation_id] = stored
    return [found[key] for key in sorted(found) if audience.admits(found[key])][:limit]


async def _page_in_region(
    store: CareerStore, query: dict[str, object], region: str | None, after: str | None, limit: int
) -> list[StoredRecommendation]:
    """Up to ``limit`` matches of ``query`` in ``region`` after ``after``, by id: the region is
    checked on what is read (a person's recommendations from a region they left are skipped),
    reading on until the page is full or the matches end."""
    found: list[StoredRecommendation] = []
    while True:
        page = await store.find_recommendations(query, after=after, limit=limit)
        found += [s for s in page if region is None or s.region == region]
        if len(found) >= limit or len(page) < limit:
            return found[:limit]
        after = page[-1].recommendation.recommendation_id


def _team(wanted: RecommendationFilter) -> dict[str, object]:
    return {"team_id": wanted.team_id} if wanted.team_id is not None else {}
