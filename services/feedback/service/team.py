"""Read models of the web's pages: a team's plans and progress in a cycle, and a person's to-do
list of assessments. Every read is a point lookup or an index range bounded by the team (or the
page), never by the region's or the cycle's history."""

from __future__ import annotations

import asyncio
from typing import Any

from services.feedback import access
from services.feedback.domain import EmployeeRecord, plan_id_of
from services.feedback.domain.rating import submission_id_of
from services.feedback.domain.team import TeamView, ToDo, ToDoItem, assessments_asked, team_member
from services.feedback.service.common import cycle_in, employee_in
from services.feedback.store import EMPLOYEES, PLANS, PROGRESS, SUBMISSIONS, FeedbackStore
from shared.auth import Principal
from shared.events.feedback import Source
from shared.plugins.manager import RubricRegistry

#: The colleagues a to-do list reads at most (a supervisor's span and one's peers).
MAX_COLLEAGUES = 500


def _record(doc: dict[str, Any]) -> EmployeeRecord:
    return EmployeeRecord.model_validate(
        {k: v for k, v in doc.items() if k not in {"_id", "rev", "updated_at"}}
    )


async def team_view(
    store: FeedbackStore,
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
    (:func:`~services.feedback.access.team_of`), with their plan state and progress per indicator,
    a page of NIPs at a time."""
    caller.require_region(region)
    await cycle_in(store, region, cycle_id)
    team = access.team_of(caller, unit, supervisor)
    past = {"_id": {"$gt": after}} if after is not None else {}
    docs = await store.find(EMPLOYEES, {"region": region, **team, **past}, sort="_id", limit=limit)
    members = [_record(d) for d in docs]

    async def line(employee: EmployeeRecord) -> Any:
        plan, reports = await asyncio.gather(
            store.get(PLANS, plan_id_of(cycle_id, employee.nip)),
            store.find(PROGRESS, {"cycle_id": cycle_id, "nip": employee.nip}),
        )
        return team_member(employee, plan, reports)

    lines = await asyncio.gather(*(line(m) for m in members))
    return TeamView(
        cycle_id=cycle_id, members=list(lines), next=docs[-1]["_id"] if len(docs) == limit else None
    )


async def to_do(
    store: FeedbackStore,
    registry: RubricRegistry,
    submission_key: bytes,
    caller: Principal,
    region: str,
    cycle_id: str,
) -> ToDo:
    """The assessments the caller is asked to give in the cycle, and which are given."""
    caller.require_region(region)
    me, (cycle, _) = await asyncio.gather(
        employee_in(store, region, access.caller_nip(caller)), cycle_in(store, region, cycle_id)
    )
    spec = registry.for_region(region)
    asked = {s for s, w in spec.source_weights.items() if w > 0 and s is not Source.CITIZEN}
    reads = [
        store.find(EMPLOYEES, {"region": region, "supervisor_nip": me.nip}, sort="_id", limit=MAX_COLLEAGUES)
    ]
    if me.supervisor_nip:
        reads.append(
            store.find(
                EMPLOYEES,
                {"region": region, "supervisor_nip": me.supervisor_nip},
                sort="_id",
                limit=MAX_COLLEAGUES,
            )
        )
        reads.append(store.find(EMPLOYEES, {"_id": me.supervisor_nip, "region": region}))
    colleagues = [_record(d) for found in await asyncio.gather(*reads) for d in found]
    pairs = assessments_asked(me, colleagues, asked)
    key = submission_key if cycle.keyed_ids else None
    given = await asyncio.gather(
        *(store.get(SUBMISSIONS, submission_id_of(cycle_id, me.nip, other.nip, key)) for _, other in pairs)
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
