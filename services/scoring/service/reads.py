"""What readers see: one score with its decisions, an employee's scores across cycles, a cycle's
scores a page at a time for exports, and a unit's distribution as it stands.

Each read checks the caller's right to see it (:mod:`services.scoring.access`) on what it read.
"""

from __future__ import annotations

from typing import Any

from services.scoring import access
from services.scoring.domain.calibration import distribution_now
from services.scoring.domain.views import CycleScorePage, Distribution, ScoreDetail, ScoreView
from services.scoring.mapping import unit_member
from services.scoring.service.common import UseCases
from services.scoring.store import cycle_score, score_detail, score_view
from shared.auth import Principal
from shared.errors import NotFound


class ReadUseCases(UseCases):
    async def score_of(self, who: Principal, cycle_id: str, nip: str) -> ScoreDetail:
        """``nip``'s score in the cycle, with its explanation and the decisions on it."""
        doc = await self.store.score(cycle_id, nip)
        employee = await self.store.employee(nip) if doc is None or access.needs_directory(who, nip) else None
        if doc is None:
            if employee is not None:
                # Whether a score exists is not told to those who may not see it.
                access.authorise_person(who, nip, employee["region"], employee)
            raise NotFound(f"no score for {nip} in cycle {cycle_id}", slug="score-not-found")
        access.authorise_person(who, nip, doc["region"], employee)
        return score_detail(doc, officials=access.sees_officials(who))

    async def scores_of(self, who: Principal, nip: str) -> list[ScoreView]:
        """``nip``'s scores across cycles, in cycle order."""
        docs = await self.store.employee_scores(nip)
        # The directory's region first: an employee who moved is read by their region now.
        employee = await self.store.employee(nip)
        region = employee["region"] if employee else (docs[0]["region"] if docs else None)
        if region is None:
            raise NotFound(f"no employee {nip}", slug="employee-not-found")
        access.authorise_person(who, nip, region, employee)
        return [score_view(d) for d in docs]

    async def cycle_scores(
        self, who: Principal, cycle_id: str, after: str | None, limit: int
    ) -> CycleScorePage:
        """A page of the cycle's scores in NIP order, of the caller's region (every region for the
        system role), those after the NIP ``after``."""
        docs = await self.store.cycle_scores_after(cycle_id, after, limit, access.readable_region(who))
        return CycleScorePage(
            items=[cycle_score(d) for d in docs], next=docs[-1]["nip"] if len(docs) == limit else None
        )

    async def distribution(self, who: Principal, cycle_id: str, unit_id: str) -> Distribution:
        """The unit's predicates and curve check as they stand now, calibrations included."""
        region, now = await self.unit_distribution(cycle_id, unit_id)
        access.authorise_region(who, region)
        return Distribution(cycle_id=cycle_id, unit_id=unit_id, **now)

    async def unit_distribution(self, cycle_id: str, unit_id: str) -> tuple[str, dict[str, Any]]:
        """The unit's region and :func:`~services.scoring.domain.calibration.distribution_now`.

        :raises NotFound: no score of the unit in the cycle.
        """
        docs = await self.store.cycle_scores(cycle_id, unit_id)
        if not docs:
            raise NotFound(f"no scores for unit {unit_id} in cycle {cycle_id}", slug="unit-not-found")
        members = [unit_member(d) for d in docs]
        return docs[0]["region"], distribution_now(unit_id, docs[0].get("unit_predicate"), members)
