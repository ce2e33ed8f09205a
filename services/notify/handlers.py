"""Event subscribers of the notify service: the directory, and the events people are told about.

Handlers only plan: they write deliveries and return, so a slow mail relay or webhook receiver
never holds up the consumer (the :mod:`~services.notify.worker` sends). They are idempotent by
construction: directory writes are upserts guarded by time, deliveries are keyed by
notification id.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.notify.service import NotifyService
from shared.consumer import Subscription, set_correlation
from shared.events.base import Event
from shared.events.career import RECOMMENDATIONS_TOPIC, RecommendationDecided, RecommendationIssued
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, CycleClosed, CycleOpened, EmployeeUpserted
from shared.events.scoring import SCORES_TOPIC, CalibrationApplied, ScoreComputed, ScoreFinalized, ScoreHeld


def subscriptions(service: NotifyService) -> list[Subscription]:
    """The notify service's subscriptions, bound to ``service``."""

    async def on_employee_upserted(events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, EmployeeUpserted):
                set_correlation([event])
                await service.record_person(event)

    async def on_told_event(events: Sequence[Event]) -> None:
        """Cycles, scores, calibrations and recommendations: plan who hears what."""
        for event in events:
            set_correlation([event])
            await service.plan_event(event)

    return [
        Subscription(
            EMPLOYEES_TOPIC,
            (EmployeeUpserted,),
            on_employee_upserted,
            "Keeps the notify directory: name, language, e-mail and supervisor of each employee.",
        ),
        Subscription(
            CYCLES_TOPIC,
            (CycleOpened, CycleClosed),
            on_told_event,
            "Tells every active employee and the HR desk of the region that a cycle opened or closed.",
        ),
        Subscription(
            SCORES_TOPIC,
            (ScoreComputed, ScoreFinalized, ScoreHeld, CalibrationApplied),
            on_told_event,
            "Tells employees their final score and calibration, their supervisors a summary; "
            "a held score (inputs missing) to the employee, the supervisor and HR; "
            "provisional scores go to webhooks only.",
        ),
        Subscription(
            RECOMMENDATIONS_TOPIC,
            (RecommendationIssued, RecommendationDecided),
            on_told_event,
            "Tells employees about final recommendations and HR decisions on them.",
        ),
    ]
