"""Event subscribers of the career service: thin batch handlers that call the service.

Consumed:

- ``kinerja.scoring.scores.v1``: provisional and final scores and calibrations; each batch
  records the scores, then recomputes the recommendations of every employee and cycle it
  touched, and the team awards of every region and cycle with a final score in it (once per
  batch, not per event, because the ranking reads the whole cycle);
- ``kinerja.feedback.cycles.v1``: ``feedback.cycle_opened``, whose ``period_end`` orders the
  cycles of an employee's history;
- ``kinerja.feedback.employees.v1``: the directory of regions, teams and supervisors that the
  API's access rules read.

Each ``on_<event>`` takes the events its annotation names, and only those (the kernel skips the
topic's other types, such as held scores and closed cycles). The kernel drops redelivered event
ids; everything below is idempotent besides, because a crash after the writes and before the
commit replays the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from services.career.service import CareerService, touched_by
from shared.consumer import Subscription
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, CycleOpened, EmployeeUpserted
from shared.events.scoring import SCORES_TOPIC, CalibrationApplied, ScoreComputed, ScoreFinalized
from shared.logging import correlation_id


def subscriptions(service: CareerService) -> list[Subscription]:
    """The career service's subscriptions, bound to ``service``."""
    return [
        Subscription(
            SCORES_TOPIC,
            partial(on_score_event, service),
            "Scores and calibrations: recomputes recommendations, team awards and the talent 9-box.",
        ),
        Subscription(
            CYCLES_TOPIC,
            partial(on_cycle_opened, service),
            "Cycle periods: `period_end` orders each employee's history of final outcomes.",
        ),
        Subscription(
            EMPLOYEES_TOPIC,
            partial(on_employee_upserted, service),
            "Employee directory (region, team, direct supervisor) for the API's access rules.",
        ),
    ]


async def on_score_event(
    service: CareerService, events: Sequence[ScoreComputed | ScoreFinalized | CalibrationApplied]
) -> None:
    for event in events:
        await service.record_score(event)
    employees, teams = touched_by(events)
    # Recommendations carry the correlation id of the batch's first event that caused them.
    by_subject = {_subject(e): e.correlation_id for e in reversed(events)}
    for nip, cycle_id in employees:
        correlation_id.set(by_subject.get((nip, cycle_id), "career"))
        await service.refresh_employee(nip, cycle_id)
    for region, cycle_id in teams:
        await service.refresh_team_awards(region, cycle_id)


async def on_cycle_opened(service: CareerService, events: Sequence[CycleOpened]) -> None:
    for event in events:
        await service.record_cycle(event)


async def on_employee_upserted(service: CareerService, events: Sequence[EmployeeUpserted]) -> None:
    for event in events:
        await service.record_employee(event)


def _subject(event: ScoreComputed | ScoreFinalized | CalibrationApplied) -> tuple[str, str]:
    if isinstance(event, CalibrationApplied):
        return (event.nip, event.cycle_id)
    return (event.score.nip, event.score.cycle_id)
