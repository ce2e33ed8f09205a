"""Composition root of the scoring service: settings, broker, HTTP app and wiring, nothing else."""

from __future__ import annotations

import asyncio
import contextlib

from litestar import Litestar
from litestar.di import Provide

from services.scoring.api import EmployeeScoreController, ScoreController
from services.scoring.handlers import on_cycle_event, on_employee_upserted, on_input, watch_closes
from services.scoring.service import ScoringService
from services.scoring.store import SCORE_COLLECTIONS, ScoringStore
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
from shared.events.scoring import EVENTS as SCORE_EVENTS
from shared.events.scoring import SCORES_TOPIC
from shared.plugins.manager import build_registry
from shared.runtime import Publication, ServiceKit
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    kit = ServiceKit("scoring", settings or Settings())
    store = ScoringStore(kit.db, kit.relay.locks)
    service = ScoringService(store, kit.relay, build_registry())
    for collection in SCORE_COLLECTIONS:
        kit.relay.watch(collection)
    kit.subscribe(
        Subscription(
            EMPLOYEES_TOPIC,
            (EmployeeUpserted,),
            on_employee_upserted(service),
            "Employee directory: unit, team, supervisor, service role.",
        )
    )
    # Inputs before cycle events: a close in the same batch as late inputs sees them.
    kit.subscribe(
        Subscription(
            INPUTS_TOPIC,
            (PlanApproved, AchievementReported, FeedbackSubmitted),
            on_input(service),
            "Each input updates the employee's provisional score.",
        )
    )
    kit.subscribe(
        Subscription(
            CYCLES_TOPIC,
            (CycleOpened, CycleClosed),
            on_cycle_event(service, kit),
            "Closing a cycle finalises its scores and checks the curve per unit.",
        )
    )
    kit.publishes(Publication(SCORES_TOPIC, SCORE_EVENTS, "Provisional and final scores, calibrations."))
    watcher: list[asyncio.Task[None]] = []

    async def start_watcher() -> None:
        watcher.append(asyncio.create_task(watch_closes(service, kit), name="close-watcher"))

    async def stop_watcher() -> None:
        for task in watcher:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = kit.http_app(
        [ScoreController, EmployeeScoreController],
        dependencies={"service": Provide(lambda: service, sync_to_thread=False)},
        on_startup=[store.ensure_indexes, start_watcher],
        on_shutdown=[stop_watcher],
        description="Scores with their explanation, unit distributions and calibration.",
    )
    app.state.kit = kit
    return app
