"""Event subscribers of the scoring service: thin batch handlers that call the service.

Consumed, in this order (a close in the same batch as late inputs sees them):

- ``kinerja.feedback.employees.v1``: the directory (unit, team, supervisor, service role);
- ``kinerja.feedback.inputs.v1``: plans, achievements and feedback, each updating the
  employee's provisional score;
- ``kinerja.feedback.cycles.v1``: an opened cycle is recorded; a closed one is marked closing
  with the inputs' end offsets, and the :mod:`~services.scoring.worker` finalises it once they
  are handled.

The kernel decodes and drops redelivered event ids; every handler is idempotent besides.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.scoring.service import ScoringService
from shared.consumer import Subscription
from shared.events.base import Event
from shared.events.feedback import (
    CYCLES_TOPIC,
    EMPLOYEES_TOPIC,
    INPUTS_TOPIC,
    AchievementReported,
    CycleClosed,
    CycleOpened,
    EmployeeUpserted,
    FeedbackSubmitted,
    PlanApproved,
)
from shared.runtime import ServiceKit


def subscriptions(service: ScoringService, kit: ServiceKit) -> list[Subscription]:
    """The scoring service's subscriptions, bound to ``service`` (``kit`` gives the offsets a
    close waits for)."""

    async def on_employee_upserted(events: Sequence[Event]) -> None:
        await service.record_employees([e for e in events if isinstance(e, EmployeeUpserted)])

    async def on_input(events: Sequence[Event]) -> None:
        await service.record_inputs(events)

    async def on_cycle_event(events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, CycleOpened):
                await service.record_cycle_opened(event)
            elif isinstance(event, CycleClosed):
                await service.close_cycle(event, await kit.end_offsets(INPUTS_TOPIC))

    return [
        Subscription(
            EMPLOYEES_TOPIC,
            (EmployeeUpserted,),
            on_employee_upserted,
            "Employee directory: unit, team, supervisor, service role.",
        ),
        Subscription(
            INPUTS_TOPIC,
            (PlanApproved, AchievementReported, FeedbackSubmitted),
            on_input,
            "Each input updates the employee's provisional score.",
        ),
        Subscription(
            CYCLES_TOPIC,
            (CycleOpened, CycleClosed),
            on_cycle_event,
            "Closing a cycle finalises its scores and checks the curve per unit.",
        ),
    ]
