"""Composition root of the scoring service: settings, broker, HTTP app and wiring, nothing else."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import Provide

from services.scoring.api import EmployeeScoreController, ScoreController
from services.scoring.handlers import subscriptions
from services.scoring.service import ScoringService
from services.scoring.store import SCORE_COLLECTIONS, ScoringStore
from services.scoring.worker import CloseWatcher
from shared.events.scoring import EVENTS as SCORE_EVENTS
from shared.events.scoring import SCORES_TOPIC
from shared.plugins.manager import build_registry
from shared.runtime import Publication, ServiceKit
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    kit = ServiceKit("scoring", settings or Settings())
    store = ScoringStore(kit.db, kit.relay.outbox)
    service = ScoringService(store, kit.relay, build_registry())
    for collection in SCORE_COLLECTIONS:
        kit.relay.watch(collection)
    kit.consume(subscriptions(service, kit.end_offsets))
    kit.publishes(Publication(SCORES_TOPIC, SCORE_EVENTS, "Provisional and final scores, calibrations."))
    watcher = CloseWatcher(service, kit)

    app = kit.http_app(
        [ScoreController, EmployeeScoreController],
        dependencies={"service": Provide(lambda: service, sync_to_thread=False)},
        on_startup=[store.ensure_indexes, watcher.start],
        on_shutdown=[watcher.stop],
        description="Scores with their explanation, unit distributions and calibration.",
    )
    app.state.kit = kit
    return app
