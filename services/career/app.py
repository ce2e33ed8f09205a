"""Composition root of the career service: settings, broker, HTTP app and wiring, nothing else."""

from __future__ import annotations

import pluggy
from litestar import Litestar
from litestar.di import Provide

from services.career import api, handlers
from services.career.service import CareerService
from services.career.store import RECOMMENDATIONS, CareerStore
from shared.events.career import RECOMMENDATIONS_TOPIC, RecommendationDecided, RecommendationIssued
from shared.plugins.manager import build_plugin_manager
from shared.policies import region as regional_policies
from shared.runtime import Publication, ServiceKit
from shared.settings import Settings

#: Entry-point name of the seeded regions' policies (pyproject.toml, group ``kinerja``).
REGIONS_PLUGIN = "career-regions"


def plugin_manager() -> pluggy.PluginManager:
    """Installed plugins; the seeded regions' policies also from a source tree never pip-installed."""
    pm = build_plugin_manager()
    if not pm.has_plugin(REGIONS_PLUGIN) and not pm.is_registered(regional_policies):
        pm.register(regional_policies, name=REGIONS_PLUGIN)
    return pm


def create_app(settings: Settings | None = None) -> Litestar:
    kit = ServiceKit("career", settings or Settings())
    store = CareerStore(kit.db, kit.relay.outbox)
    service = CareerService(store, plugin_manager())
    kit.relay.watch(RECOMMENDATIONS)
    kit.consume(handlers.subscriptions(service))
    kit.publishes(
        Publication(
            RECOMMENDATIONS_TOPIC,
            (RecommendationIssued, RecommendationDecided),
            "Recommendations as issued or superseded, and HR's decisions on them; keyed by NIP.",
        )
    )

    def provide_service() -> CareerService:
        return service

    app = kit.http_app(
        api.ROUTES,
        dependencies={"service": Provide(provide_service, sync_to_thread=False)},
        on_startup=[store.ensure_indexes],
        description="The career service of Kinerja: recommendations from scores, HR decisions, talent 9-box.",
    )
    app.state.kit = kit
    return app
