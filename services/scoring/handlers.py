"""Event subscribers of the scoring service: decode is done by the kernel; call the service."""

from __future__ import annotations

from collections.abc import Sequence

from services.scoring.service import ScoringService
from shared.consumer import BatchHandler
from shared.events.base import Event
from shared.events.feedback import CycleClosed, CycleOpened, EmployeeUpserted


def on_employee_upserted(service: ScoringService) -> BatchHandler:
    async def handle(events: Sequence[Event]) -> None:
        await service.record_employees([e for e in events if isinstance(e, EmployeeUpserted)])

    return handle


def on_cycle_event(service: ScoringService) -> BatchHandler:
    async def handle(events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, CycleOpened):
                await service.record_cycle_opened(event)
            elif isinstance(event, CycleClosed):
                await service.finalize_cycle(event)

    return handle


def on_input(service: ScoringService) -> BatchHandler:
    async def handle(events: Sequence[Event]) -> None:
        await service.record_inputs(events)

    return handle
