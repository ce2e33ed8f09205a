"""Composition root of the web application: settings, the services' clients, sign-in, sessions,
CSRF, security headers, templates and the pages. No business rule and no data of its own."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from litestar import Litestar, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from services.web.access import NotForYou, SignInRequired
from services.web.clients import ApiProblem, Services, Unavailable
from services.web.config import WebSettings
from services.web.pages import route_handlers
from services.web.render import HERE, Pages
from services.web.service import WebService
from services.web.signin import OidcClient
from shared import metrics
from shared.http import health_controller
from shared.logging import configure_logging

log = logging.getLogger("kinerja.web")

#: No inline script or style, nothing from another origin; forms post only here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


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

    async def after(response: Response[Any]) -> Response[Any]:
        response.headers.update(SECURITY_HEADERS)
        response.headers.setdefault("cache-control", "no-store")
        return response

    def page_error(status: int, reason: str) -> Any:
        def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
            detail = exc.detail if isinstance(exc, ApiProblem) else ""
            if isinstance(exc, ApiProblem) and exc.status in (401,):
                request.clear_session()
                return Redirect(f"/auth/login?next={request.url.path}")
            code = exc.status if isinstance(exc, ApiProblem) and exc.status in (403, 404, 409) else status
            return pages.page(request, "error.html", status=code, reason=reason, detail=detail)

        return handle

    def sign_in(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
        if request.headers.get("hx-request") == "true":  # HTMX follows a redirect inside the page
            return Response("", status_code=401, headers={"HX-Redirect": f"/auth/login?next={exc.next_path}"})
        return Redirect(f"/auth/login?next={exc.next_path}")

    def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        try:
            return pages.page(request, "error.html", status=500, reason="internal", detail="")
        except Exception:  # the error page itself failed: plain text, never a stack trace
            return Response("Internal error", status_code=500, media_type="text/plain")

    async def ready_services() -> bool:
        for api in services.all().values():
            try:
                if (await services.http.get(api.base_url + "/health/live")).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True

    async def ready_oidc() -> bool:
        try:
            await oidc.metadata()
        except (httpx.HTTPError, ValueError):
            return False
        return True

    async def startup() -> None:
        await services.open()
        await oidc.open()

    async def shutdown() -> None:
        await services.close()
        await oidc.close()

    health = health_controller({"services": ready_services, "identity provider": ready_oidc})
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
            secret=settings.session_secret,
            cookie_name="kinerja_csrf",
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="strict",
            exclude=["^/health", "^/metrics$", "^/static"],
        ),
        exception_handlers={
            SignInRequired: sign_in,
            NotForYou: page_error(403, "not-for-you"),
            ApiProblem: page_error(502, "api"),
            Unavailable: page_error(503, "unavailable"),
            NotFoundException: page_error(404, "not-found"),
            PermissionDeniedException: page_error(403, "csrf"),
            Exception: unexpected,
        },
        after_request=after,
        on_startup=[startup],
        on_shutdown=[shutdown],
        state=State({"settings": settings}),
        openapi_config=None,
        debug=False,
    )
