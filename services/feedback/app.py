"""Composition root of the feedback service: settings, broker, HTTP app and wiring, nothing else."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import Provide

from services.feedback.api import route_handlers
from services.feedback.domain import redacted_audit
from services.feedback.domain.cycle import ClosePolicy
from services.feedback.service import FeedbackService
from services.feedback.store import OUTBOX_COLLECTIONS, FeedbackStore
from shared.events.feedback import (
    CYCLES_TOPIC,
    EMPLOYEES_TOPIC,
    INPUTS_TOPIC,
    AchievementReported,
    ContinuousFeedbackNoted,
    CycleClosed,
    CycleOpened,
    EmployeeUpserted,
    FeedbackSubmitted,
    PlanApproved,
    PlanReturned,
    PlanSubmitted,
    ProgressReported,
)
from shared.plugins.manager import build_registry
from shared.runtime import Publication, ServiceKit
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    kit = ServiceKit("feedback", settings or Settings())
    store = FeedbackStore(kit.db, kit.relay.outbox, cache_s=kit.settings.reference_cache_s)
    service = FeedbackService(
        store,
        build_registry(),
        submission_key=kit.settings.submission_secret.encode(),
        close_policy=ClosePolicy.parse(kit.settings.require_unit_predicates),
    )
    for collection in OUTBOX_COLLECTIONS:
        kit.relay.watch(collection)
    kit.publishes(Publication(EMPLOYEES_TOPIC, (EmployeeUpserted,), "Employees as imported or changed."))
    kit.publishes(
        Publication(CYCLES_TOPIC, (CycleOpened, CycleClosed), "Cycles opened, reopened and closed.")
    )
    kit.publishes(
        Publication(
            INPUTS_TOPIC,
            (
                PlanSubmitted,
                PlanApproved,
                PlanReturned,
                ProgressReported,
                AchievementReported,
                FeedbackSubmitted,
                ContinuousFeedbackNoted,
            ),
            "Plans, reports and feedback, keyed by the ratee's NIP.",
        )
    )

    def provide_service() -> FeedbackService:
        return service

    app = kit.http_app(
        route_handlers(kit.settings.bulk_max_body_bytes),
        dependencies={"service": Provide(provide_service, use_cache=True, sync_to_thread=False)},
        on_startup=[store.ensure_indexes, lambda: store.redact_rater_audit(redacted_audit), store.key_audit],
        description="The feedback service of Kinerja: organisation data, cycles, plans (SKP), reports "
        "and 360 feedback. Guide: docs/feedback.md.",
    )
    app.state.kit = kit
    return app
