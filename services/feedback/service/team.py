"""Read models of the web's pages: a team's plans and progress in a cycle, and a person's to-do
list of assessments. Every read is a point lookup or an index range bounded by the team (or the
page), never by the region's or the cycle's history."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from services.feedback import access
from services.feedback.domain import EmployeeRecord, plan_id_of
from services.feedback.domain.rating import submission_id_of
from services.feedback.domain.team import TeamMember, TeamView, ToDo, ToDoItem, assessments_asked, team_member
from services.feedback.service.common import UseCases, employee_record
from shared.auth import Principal
from shared.events.feedback import Source

#: The colleagues a to-do list reads at most (a supervisor's span and one's peers).
MAX_COLLEAGUES = 500


class TeamUseCases(UseCases):
    async def team_view(
        self,
        caller: Principal,
        region: str,
        cycle_id: str,
        *,
        unit: str | None,
        supervisor: str | None,
        after: str | None,
        limit: int,
    ) -> TeamView:
        """A supervisor's direct reports, or for HR a unit's employees or a supervisor's reports
        (:func:`~services.feedback.access.team_of`), with their plan state and progress per
        indicator, a page of NIPs at a time."""
        caller.require_region(region)
        await self._cycle(region, cycle_id)
        team = access.team_of(caller, unit, supervisor)
        docs = await self.store.employees_page(
            region, after, limit, unit_id=team.unit_id, supervisor_nip=team.supervisor_nip
        )
        members = [employee_record(d) for d in docs]
        lines = await asyncio.gather(*(self._team_member(cycle_id, m) for m in members))
        return TeamView(
            cycle_id=cycle_id, members=list(lines), next=docs[-1]["_id"] if len(docs) == limit else None
        )

    async def _team_member(self, cycle_id: str, employee: EmployeeRecord) -> TeamMember:
        plan, reports = await asyncio.gather(
            self.store.plan(plan_id_of(cycle_id, employee.nip)),
            self.store.progress_reports(cycle_id, employee.nip),
        )
        return team_member(employee, plan, reports)

    async def to_do(self, caller: Principal, region: str, cycle_id: str) -> ToDo:
        """The assessments the caller is asked to give in the cycle, and which are given."""
        caller.require_region(region)
        me, (cycle, _) = await asyncio.gather(
            self._employee(region, access.caller_nip(caller)), self._cycle(region, cycle_id)
        )
        spec = self.registry.for_region(region)
        asked = {s for s, w in spec.source_weights.items() if w > 0 and s is not Source.CITIZEN}
        colleagues = await self._colleagues(region, me)
        pairs = assessments_asked(me, colleagues, asked)
        key = self.submission_key if cycle.keyed_ids else None
        given = await asyncio.gather(
            *(self.store.submission(submission_id_of(cycle_id, me.nip, other.nip, key)) for _, other in pairs)
        )
        items = [
            ToDoItem(
                nip=other.nip,
                name=other.name,
                source=source,
                service_role=other.service_role,
                done=doc is not None,
            )
            for (source, other), doc in zip(pairs, given, strict=True)
        ]
        return ToDo(cycle_id=cycle_id, deadline=cycle.window_closes, items=items)

    async def _colleagues(self, region: str, me: EmployeeRecord) -> list[EmployeeRecord]:
        """Whom ``me`` may be asked to rate: their direct reports, their peers and their supervisor."""
        reads: list[Awaitable[list[dict[str, Any]]]] = [self._by_supervisor(region, me.nip)]
        if me.supervisor_nip:
            reads.append(self._by_supervisor(region, me.supervisor_nip))
            reads.append(self._supervisor(region, me.supervisor_nip))
        return [employee_record(d) for found in await asyncio.gather(*reads) for d in found]

    async def _by_supervisor(self, region: str, supervisor_nip: str) -> list[dict[str, Any]]:
        return await self.store.employees_page(region, None, MAX_COLLEAGUES, supervisor_nip=supervisor_nip)

    async def _supervisor(self, region: str, nip: str) -> list[dict[str, Any]]:
        found = await self.store.region_employee(region, nip)
        return [found] if found is not None else []
