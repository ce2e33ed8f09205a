"""Event subscribers of the notify service: the directory, and the events people are told about.

Handlers only plan: they write deliveries and return, so a slow mail relay or webhook receiver
never holds up the consumer (the :mod:`~services.notify.worker` sends). They are idempotent by
construction: directory writes are upserts guarded by time, deliveries are keyed by
notification id. Each ``on_<event>`` takes the events its annotation names, and only those.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from services.notify.service import NotifyService
from shared.consumer import Subscription, set_correlation
from shared.events.base import Event
from shared.events.career import RECOMMENDATIONS_TOPIC, RecommendationDecided, RecommendationIssued
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, CycleClosed, CycleOpened, EmployeeUpserted
from shared.events.scoring import SCORES_TOPIC, CalibrationApplied, ScoreComputed, ScoreFinalized, ScoreHeld


def subscriptions(service: NotifyService) -> list[Subscription]:
    """The notify service's subscriptions, bound to ``service``."""
    return [
        Subscription(
            EMPLOYEES_TOPIC,
            partial(on_employee_upserted, service),
            "Keeps the notify directory: name, language, e-mail and supervisor of each employee.",
        ),
        Subscription(
            CYCLES_TOPIC,
            partial(on_cycle_event, service),
            "Tells every active employee and the HR desk of the region that a cycle opened or closed.",
        ),
        Subscription(
            SCORES_TOPIC,
            partial(on_score_event, service),
            "Tells employees their final score and calibration, their supervisors a summary; "
            "a held score (inputs missing) to the employee, the supervisor and HR; "
            "provisional scores go to webhooks only.",
        ),
        Subscription(
            RECOMMENDATIONS_TOPIC,
            partial(on_recommendation_event, service),
            "Tells employees about final recommendations and HR decisions on them.",
        ),
    ]


async def on_employee_upserted(service: NotifyService, events: Sequence[EmployeeUpserted]) -> None:
    for event in events:
        set_correlation([event])
        await service.record_person(event)


async def on_cycle_event(service: NotifyService, events: Sequence[CycleOpened | CycleClosed]) -> None:
    await _plan(service, events)


async def on_score_event(
    service: NotifyService,
    events: Sequence[ScoreComputed | ScoreFinalized | ScoreHeld | CalibrationApplied],
) -> None:
    await _plan(service, events)


async def on_recommendation_event(
    service: NotifyService, events: Sequence[RecommendationIssued | RecommendationDecided]
) -> None:
    await _plan(service, events)


async def _plan(service: NotifyService, events: Sequence[Event]) -> None:
    """Plan who hears what, event by event."""
    for event in events:
        set_correlation([event])
        await service.plan_event(event)
