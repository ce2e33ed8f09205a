"""How the web answers what goes wrong: a page, never a stack trace or a service's raw problem.

A visitor without a session goes to sign in and comes back; a refusal of a service is shown with
its detail; a service that does not answer, a form whose CSRF token expired and a page of another
role each get their own message. Every answer carries the security headers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import Redirect
from litestar.types import Message, Scope

from services.web.access import NotForYou, SignInRequired
from services.web.clients import ApiProblem, Unavailable
from services.web.render import Pages

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

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


async def secure(message: Message, scope: Scope) -> None:
    """The security headers on every answer, error pages and redirects included (a ``before_send``
    hook: ``after_request`` sees only what handlers return). Pages are personal, so none is
    cached; the static files may be."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    if not str(scope.get("path", "")).startswith("/static/") and "cache-control" not in headers:
        headers["cache-control"] = "no-store"


def _sign_in_at(next_path: str) -> str:
    return f"/auth/login?next={quote(next_path, safe='/?=&')}"


def exception_handlers(pages: Pages) -> dict[int | type[Exception], Handler]:
    def page_error(status: int, reason: str) -> Handler:
        def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
            if isinstance(exc, ApiProblem) and exc.status == 401:  # the service token expired
                request.clear_session()
                return Redirect(_sign_in_at(request.url.path))
            detail = exc.detail if isinstance(exc, ApiProblem) else ""
            code = exc.status if isinstance(exc, ApiProblem) and exc.status in (403, 404, 409) else status
            return pages.page(request, "error.html", status=code, reason=reason, detail=detail)

        return handle

    def sign_in(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
        if request.headers.get("hx-request") == "true":  # HTMX follows a redirect inside the page
            return Response("", status_code=401, headers={"HX-Redirect": _sign_in_at(exc.next_path)})
        return Redirect(_sign_in_at(exc.next_path))

    def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        try:
            return pages.page(request, "error.html", status=500, reason="internal", detail="")
        except Exception:  # the error page itself failed: plain text, never a stack trace
            return Response("Internal error", status_code=500, media_type="text/plain")

    return {
        SignInRequired: sign_in,
        NotForYou: page_error(403, "not-for-you"),
        ApiProblem: page_error(502, "api"),
        Unavailable: page_error(503, "unavailable"),
        NotFoundException: page_error(404, "not-found"),
        PermissionDeniedException: page_error(403, "csrf"),
        Exception: unexpected,
    }
