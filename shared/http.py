"""HTTP plumbing shared by every service: problem details (RFC 9457), body limits, health.

All rejections leave as ``application/problem+json`` with a stable ``type`` URI, mapped here in
one place from :mod:`shared.errors` and from Litestar's own exceptions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.exceptions import ValidationException as LitestarValidation
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from shared.errors import PROBLEM_BASE, BadRequest, KinerjaError
from shared.logging import correlation_id

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
ReadinessCheck = Callable[[], Awaitable[bool]]

_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation",
    429: "rate-limited",
}


def problem(
    status: int, slug: str, title: str, detail: str, request: Request[Any, Any, Any], **extra: Any
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if cid := correlation_id.get():
        body["correlation_id"] = cid
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _on_kinerja_error(request: Request[Any, Any, Any], exc: KinerjaError) -> Response[dict[str, Any]]:
    return problem(exc.status, exc.problem_slug, exc.title, exc.detail, request, **exc.extra)


def _on_validation(request: Request[Any, Any, Any], exc: LitestarValidation) -> Response[dict[str, Any]]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    return problem(400, "validation", "Input is not valid", str(exc.detail), request, errors=errors)


def _on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    slug = _HTTP_SLUGS.get(exc.status_code, "http-error")
    if isinstance(exc, NotAuthorizedException):
        slug = "unauthorized"
    elif isinstance(exc, PermissionDeniedException):
        slug = "forbidden"
    return problem(exc.status_code, slug, slug.replace("-", " ").capitalize(), str(exc.detail), request)


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal", "Internal error", "the server failed; the error was logged", request)


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    KinerjaError: _on_kinerja_error,
    LitestarValidation: _on_validation,
    HTTPException: _on_http,
    Exception: _on_unexpected,
}


def reject_unsafe_keys(value: Any, path: str = "$") -> None:
    """Refuse keys that MongoDB would read as operators or paths (``$...``, ``a.b``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$") or "." in key or "\x00" in key:
                raise BadRequest(f"key {key!r} at {path} is not allowed", slug="unsafe-key")
            reject_unsafe_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            reject_unsafe_keys(item, f"{path}[{i}]")


async def guard_json_body(request: Request[Any, Any, Any]) -> None:
    """Before-request hook: parse JSON bodies once and refuse unsafe keys before any handler runs."""
    if request.method in {"POST", "PUT", "PATCH"} and "json" in request.headers.get("content-type", ""):
        raw = await request.body()
        if raw:
            try:
                data = json.loads(raw)
            except ValueError as exc:
                raise BadRequest(f"body is not valid JSON: {exc}", slug="malformed-json") from None
            reject_unsafe_keys(data)


def health_controller(checks: Mapping[str, ReadinessCheck]) -> type[Controller]:
    """Liveness (the process answers) and readiness (every dependency answers)."""

    class HealthController(Controller):
        path = "/health"
        tags = ["health"]

        @get("/live", summary="Liveness")
        async def live(self) -> dict[str, str]:
            return {"status": "ok"}

        @get("/ready", summary="Readiness: Kafka and the database answer")
        async def ready(self) -> Response[dict[str, Any]]:
            results = {name: await check() for name, check in checks.items()}
            ok = all(results.values())
            return Response(
                {"status": "ready" if ok else "not ready", "checks": results},
                status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE,
            )

    return HealthController
