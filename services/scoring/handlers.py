"""Event subscribers of the scoring service: decode is done by the kernel; call the service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from services.scoring.service import ScoringService
from shared.consumer import BatchHandler
from shared.events.base import Event
from shared.events.feedback import INPUTS_TOPIC, CycleClosed, CycleOpened, EmployeeUpserted
from shared.runtime import ServiceKit

log = logging.getLogger(__name__)


def on_employee_upserted(service: ScoringService) -> BatchHandler:
    async def handle(events: Sequence[Event]) -> None:
        await service.record_employees([e for e in events if isinstance(e, EmployeeUpserted)])

    return handle


def on_cycle_event(service: ScoringService, kit: ServiceKit) -> BatchHandler:
    async def handle(events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, CycleOpened):
                await service.record_cycle_opened(event)
            elif isinstance(event, CycleClosed):
                await service.close_cycle(event, await kit.end_offsets(INPUTS_TOPIC))

    return handle


async def watch_closes(service: ScoringService, kit: ServiceKit, interval_s: float = 0.5) -> None:
    """Finalise each closing cycle once the service's group has handled the inputs before its close.

    Committed offsets cover every instance of the service, so it does not matter which instance
    handles which partition. Finalising is idempotent, so two instances doing it is harmless.
    """
    while True:
        try:
            for cycle in await service.closing_cycles():
                marks = {int(p): o for p, o in (cycle.get("watermarks") or {}).items()}
                done = await kit.committed_offsets(INPUTS_TOPIC) if marks else {}
                if all(done.get(p, 0) >= mark for p, mark in marks.items()):
                    await service.finalize(cycle["_id"])
        except asyncio.CancelledError:
            raise
        except Exception:
            # A broker or database outage: the cycle stays 'closing' and is tried again.
            log.warning("finalising closed cycles failed; retrying", exc_info=True)
        await asyncio.sleep(interval_s)


def on_input(service: ScoringService) -> BatchHandler:
    async def handle(events: Sequence[Event]) -> None:
        await service.record_inputs(events)

    return handle
