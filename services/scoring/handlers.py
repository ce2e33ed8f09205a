"""Event subscribers of the scoring service: thin batch handlers that call the service.

Consumed, in this order (a close in the same batch as late inputs sees them):

- ``kinerja.feedback.employees.v1``: the directory (unit, team, supervisor, service role);
- ``kinerja.feedback.inputs.v1``: plans, achievements and feedback, each updating the
  employee's provisional score (a batch is rescored together);
- ``kinerja.feedback.cycles.v1``: an opened cycle is recorded; a closed one is marked closing
  with the inputs' end offsets, and the :mod:`~services.scoring.worker` finalises it once they
  are handled. Opened and closed come in one handler, so that they keep their order.

Each ``on_<event>`` takes the events its annotation names, and only those (the kernel skips the
topic's other types). The kernel decodes and drops redelivered event ids; every handler is
idempotent besides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from services.scoring.service import ScoringService
from shared.consumer import Subscription
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

#: The next offset to be written per partition of a topic (:meth:`ServiceKit.end_offsets`).
EndOffsets = Callable[[str], Awaitable[dict[int, int]]]


def subscriptions(service: ScoringService, end_offsets: EndOffsets) -> list[Subscription]:
    """The scoring service's subscriptions, bound to ``service`` (``end_offsets`` gives the inputs'
    offsets a close waits for: :meth:`~shared.runtime.ServiceKit.end_offsets`)."""
    return [
        Subscription(
            EMPLOYEES_TOPIC,
            partial(on_employee_upserted, service),
            "Employee directory: unit, team, supervisor, service role.",
        ),
        Subscription(
            INPUTS_TOPIC,
            partial(on_input, service),
            "Each input updates the employee's provisional score.",
        ),
        Subscription(
            CYCLES_TOPIC,
            partial(on_cycle_event, service, end_offsets),
            "Closing a cycle finalises its scores and checks the curve per unit.",
        ),
    ]


async def on_employee_upserted(service: ScoringService, events: Sequence[EmployeeUpserted]) -> None:
    await service.record_employees(events)


async def on_input(
    service: ScoringService, events: Sequence[PlanApproved | AchievementReported | FeedbackSubmitted]
) -> None:
    await service.record_inputs(events)


async def on_cycle_event(
    service: ScoringService, end_offsets: EndOffsets, events: Sequence[CycleOpened | CycleClosed]
) -> None:
    for event in events:
        if isinstance(event, CycleOpened):
            await service.record_cycle_opened(event)
        else:
            await service.close_cycle(event, await end_offsets(INPUTS_TOPIC))
