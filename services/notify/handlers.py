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


class NotifyHandlers:
    """Batch handlers bound to one :class:`NotifyService`."""

    def __init__(self, service: NotifyService) -> None:
        self.service = service

    async def on_employee_upserted(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, EmployeeUpserted):
                set_correlation([event])
                await self.service.record_person(event)

    async def on_event(self, events: Sequence[Event]) -> None:
        """Cycles, scores, calibrations and recommendations: plan who hears what."""
        for event in events:
            set_correlation([event])
            await self.service.plan_event(event)

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription(
                EMPLOYEES_TOPIC,
                (EmployeeUpserted,),
                self.on_employee_upserted,
                "Keeps the notify directory: name, language, e-mail and supervisor of each employee.",
            ),
            Subscription(
                CYCLES_TOPIC,
                (CycleOpened, CycleClosed),
                self.on_event,
                "Tells every active employee and the HR desk of the region that a cycle opened or closed.",
            ),
            Subscription(
                SCORES_TOPIC,
                (ScoreComputed, ScoreFinalized, ScoreHeld, CalibrationApplied),
                self.on_event,
                "Tells employees their final score and calibration, their supervisors a summary; "
                "a held score (inputs missing) to the employee, the supervisor and HR; "
                "provisional scores go to webhooks only.",
            ),
            Subscription(
                RECOMMENDATIONS_TOPIC,
                (RecommendationIssued, RecommendationDecided),
                self.on_event,
                "Tells employees about final recommendations and HR decisions on them.",
            ),
        ]
