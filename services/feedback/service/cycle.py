"""Use cases on appraisal cycles: open, close with the units' predicates, reopen for corrections."""

from __future__ import annotations

from services.feedback.domain import (
    Cycle,
    CycleClose,
    CycleCreate,
    CycleReopen,
    CycleStatus,
    OpenCycle,
    utcnow,
)
from services.feedback.domain.cycle import NO_UNIT_PREDICATES, ClosedCycle
from services.feedback.service.common import UseCases, build, invalid, lost_race
from shared.auth import Principal
from shared.errors import Conflict
from shared.events.feedback import CycleClosed, CycleOpened


class CycleUseCases(UseCases):
    async def open_cycle(self, caller: Principal, region: str, body: CycleCreate) -> Cycle:
        if problems := body.window_problems():
            raise invalid(problems, "invalid-window")
        cycle = Cycle(region=region, status=CycleStatus.OPEN, keyed_ids=True, **body.model_dump())
        event = build(CycleOpened, region=region, key=cycle.cycle_id, **body.model_dump())
        if not await self.store.write_cycle(cycle.cycle_id, 0, cycle.model_dump(mode="json"), [event]):
            raise Conflict(f"cycle {cycle.cycle_id} exists already", slug="cycle-exists")
        await self._audit(
            caller, region, "cycle.opened", cycle.cycle_id, window_closes=str(cycle.window_closes)
        )
        return cycle

    async def list_cycles(self, region: str) -> list[Cycle]:
        return await self._region_cycles(region)

    async def open_cycles(self, region: str) -> list[OpenCycle]:
        """The region's open cycles, as the public citizen form lists them (id, kind and window)."""
        return [OpenCycle.of(c) for c in await self._region_cycles(region) if c.status is CycleStatus.OPEN]

    async def get_cycle(self, region: str, cycle_id: str) -> Cycle:
        cycle, _ = await self._cycle(region, cycle_id)
        return cycle

    async def close_cycle(
        self, caller: Principal, region: str, cycle_id: str, body: CycleClose
    ) -> ClosedCycle:
        """Close with the units' predicates. Without any, no distribution curve can be checked: the
        answer (and HR's notification) says so, and a region may require them."""
        if not body.unit_predicates and self.close_policy.requires_unit_predicates(region):
            why = f"region {region} closes cycles only with unit predicates (KINERJA_REQUIRE_UNIT_PREDICATES)"
            raise invalid([why], "unit-predicates-required")
        cycle, rev = await self._cycle(region, cycle_id)
        if cycle.status is CycleStatus.CLOSED:
            raise Conflict(f"cycle {cycle_id} is closed already", slug="cycle-closed")
        unknown = sorted(set(body.unit_predicates) - await self.store.unit_ids(region))
        if unknown:
            raise invalid([f"unit {u} does not exist" for u in unknown], "unknown-unit")
        event = build(
            CycleClosed, region=region, key=cycle_id, cycle_id=cycle_id, unit_predicates=body.unit_predicates
        )
        closed = cycle.model_copy(update={"status": CycleStatus.CLOSED})
        fields = {
            "status": closed.status.value,
            "unit_predicates": body.unit_predicates,
            "closed_at": utcnow(),
        }
        if not await self.store.write_cycle(cycle_id, rev, fields, [event]):
            raise lost_race(f"cycle {cycle_id}")
        warnings = [] if body.unit_predicates else [NO_UNIT_PREDICATES]
        await self._audit(
            caller, region, "cycle.closed", cycle_id, unit_predicates=body.unit_predicates, warnings=warnings
        )
        return ClosedCycle(**closed.model_dump(), warnings=warnings)

    async def reopen_cycle(self, caller: Principal, region: str, cycle_id: str, body: CycleReopen) -> Cycle:
        """Reopen a closed cycle for corrections, with a new window end; the reason is audited."""
        cycle, rev = await self._cycle(region, cycle_id)
        if cycle.status is CycleStatus.OPEN:
            raise Conflict(f"cycle {cycle_id} is open", slug="cycle-open")
        if body.window_closes.tzinfo is None or body.window_closes <= utcnow():
            raise invalid(["window_closes must be a future time with a timezone"], "invalid-window")
        reopened = cycle.model_copy(
            update={
                "status": CycleStatus.OPEN,
                "window_closes": body.window_closes,
                "reopened": cycle.reopened + 1,
            }
        )
        event = build(
            CycleOpened,
            region=region,
            key=cycle_id,
            **reopened.model_dump(include={"cycle_id", "kind", "period_start", "period_end", "window_opens"}),
            window_closes=body.window_closes,
            reopened=True,
            reason=body.reason,
        )
        fields = {
            "status": reopened.status.value,
            "window_closes": body.window_closes.isoformat(),
            "reopened": reopened.reopened,
        }
        if not await self.store.write_cycle(cycle_id, rev, fields, [event]):
            raise lost_race(f"cycle {cycle_id}")
        await self._audit(caller, region, "cycle.reopened", cycle_id, reason=body.reason)
        return reopened
