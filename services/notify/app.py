"""Composition root of the notify service: settings, broker, HTTP app and wiring, nothing else."""

from __future__ import annotations

from litestar import Litestar

from shared.runtime import ServiceKit
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    kit = ServiceKit("notify", settings or Settings())
    app = kit.http_app(description="The notify service of Kinerja.")
    app.state.kit = kit
    return app
