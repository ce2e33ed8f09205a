"""Composition root of the web application: settings, the services' clients, sign-in, sessions,
CSRF, security headers, templates and the pages. No business rule and no data of its own."""

from __future__ import annotations

import logging

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.static_files import create_static_files_router

from services.web.clients import Services
from services.web.config import WebSettings
from services.web.errors import exception_handlers, secure
from services.web.pages import route_handlers
from services.web.render import HERE, Pages
from services.web.service import WebService
from services.web.signin import OidcClient
from shared import metrics
from shared.http import health_controller
from shared.logging import configure_logging

log = logging.getLogger("kinerja.web")


def session_config(settings: WebSettings) -> CookieBackendConfig:
    """The session: an AES-GCM encrypted cookie, HttpOnly, SameSite=Lax (the provider's redirect
    back is a top-level GET that must carry it), Secure behind TLS, ending with the sign-in."""
    return CookieBackendConfig(
        secret=settings.session_key(),
        key="kinerja_session",
        max_age=settings.session_ttl_s,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
        exclude=["^/static", "^/health", "^/metrics$"],
    )


def create_app(settings: WebSettings | None = None) -> Litestar:
    settings = settings or WebSettings()
    configure_logging("web", settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per call to a service is noise
    services = Services(settings)
    oidc = OidcClient(settings)
    pages = Pages(settings.default_language)
    web = WebService(services)

    async def startup() -> None:
        await services.open()
        await oidc.open()

    async def shutdown() -> None:
        await services.close()
        await oidc.close()

    # Ready while the services answer. The identity provider is left out: a blip of it must not take
    # every page (the citizen form, people already signed in) out of the load balancer.
    health = health_controller({"services": services.ready})
    static = create_static_files_router(path="/static", directories=[HERE / "static"], name="static")
    return Litestar(
        route_handlers=[health, metrics.metrics_controller([]), static, *route_handlers()],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "pages": Provide(lambda: pages, sync_to_thread=False),
            "web": Provide(lambda: web, sync_to_thread=False),
            "oidc": Provide(lambda: oidc, sync_to_thread=False),
        },
        middleware=[
            metrics.prometheus_config("web").middleware,
            session_config(settings).middleware,
        ],
        csrf_config=CSRFConfig(
            secret=settings.csrf_secret(),
            cookie_name="kinerja_csrf",
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="strict",
            exclude=["^/health", "^/metrics$", "^/static"],
        ),
        exception_handlers=exception_handlers(pages),
        before_send=[secure],
        on_startup=[startup],
        on_shutdown=[shutdown],
        state=State({"settings": settings}),
        openapi_config=None,
        debug=False,
    )
