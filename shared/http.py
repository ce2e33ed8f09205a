"""HTTP plumbing shared by every service: problem details (RFC 9457), body limits, health.

All rejections leave as ``application/problem+json`` with a stable ``type`` URI, through
Litestar's ProblemDetailsPlugin, mapped here in one place from :mod:`shared.errors` and from
Litestar's own exceptions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.exceptions import ValidationException as LitestarValidation
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
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


def _problem(
    status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> ProblemDetailsException:
    return ProblemDetailsException(
        detail=detail,
        status_code=status,
        type_=PROBLEM_BASE + slug,
        title=title,
        headers=headers,
        extra=extra,
    )


def _of_kinerja_error(exc: KinerjaError) -> ProblemDetailsException:
    return _problem(exc.status, exc.problem_slug, exc.title, exc.detail, **exc.extra)


def _of_validation(exc: LitestarValidation) -> ProblemDetailsException:
    errors = exc.extra if isinstance(exc.extra, list) else []
    return _problem(400, "validation", "Input is not valid", str(exc.detail), errors=errors)


def _of_http(exc: HTTPException) -> ProblemDetailsException:
    slug = _HTTP_SLUGS.get(exc.status_code, "http-error")
    if isinstance(exc, NotAuthorizedException):
        slug = "unauthorized"
    elif isinstance(exc, PermissionDeniedException):
        slug = "forbidden"
    title = slug.replace("-", " ").capitalize()
    return _problem(exc.status_code, slug, title, str(exc.detail), headers=exc.headers)


def _respond(request: Request[Any, Any, Any], exc: ProblemDetailsException) -> Response[dict[str, Any]]:
    """Every problem names the path it answers and, when there is one, the request's correlation
    id, which a caller quotes to an operator."""
    exc.instance = request.url.path
    if cid := correlation_id.get():
        exc.extra = {"correlation_id": cid, **(exc.extra if isinstance(exc.extra, dict) else {})}
    return exc.to_response(request)


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(
        request, _problem(500, "internal", "Internal error", "the server failed; the error was logged")
    )


def problem_details() -> ProblemDetailsPlugin:
    """Litestar's RFC 9457 plugin: any :class:`ProblemDetailsException` is answered through
    :func:`_respond`, which adds the path and the correlation id."""
    return ProblemDetailsPlugin(ProblemDetailsConfig(exception_handler=_respond))


def _converted(
    convert: Callable[[Any], ProblemDetailsException],
) -> Callable[[Request[Any, Any, Any], Any], Response[dict[str, Any]]]:
    """A handler answering an exception as the problem ``convert`` makes of it. (The plugin's own
    ``exception_to_problem_detail_map`` answers without the request's path and correlation id.)"""

    def handle(request: Request[Any, Any, Any], exc: Any) -> Response[dict[str, Any]]:
        return _respond(request, convert(exc))

    return handle


#: Our errors and Litestar's as problems; an unexpected error is logged and answered as a 500.
EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    KinerjaError: _converted(_of_kinerja_error),
    LitestarValidation: _converted(_of_validation),
    HTTPException: _converted(_of_http),
    Exception: _on_unexpected,
}


MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a body may have; no request of the APIs needs 10."""

_CONTAINERS = (dict, list)
_Path = tuple["_Path", str | int] | None
"""Where a value sits in a body: (parent, key or index), rendered only for an error message."""


def _render(path: _Path) -> str:
    parts = []
    while path is not None:
        path, step = path
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "$" + "".join(reversed(parts))


def reject_unsafe_keys(value: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse keys that MongoDB would read as operators or paths (``$...``, ``a.b``), at any depth,
    and nesting deeper than ``max_depth``.

    A loop, not recursion: a deep body is refused as too deep, not with a RecursionError (a 500).
    """
    pending: list[tuple[Any, _Path, int]] = [(value, None, 0)]
    while pending:
        item, path, depth = pending.pop()
        if depth >= max_depth:
            raise BadRequest(f"nested deeper than {max_depth} levels at {_render(path)}", slug="too-deep")
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str) or key.startswith("$") or "." in key or "\x00" in key:
                    raise BadRequest(f"key {key!r} at {_render(path)} is not allowed", slug="unsafe-key")
                if isinstance(child, _CONTAINERS):
                    pending.append((child, (path, key), depth + 1))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                if isinstance(child, _CONTAINERS):
                    pending.append((child, (path, index), depth + 1))


async def guard_json_body(request: Request[Any, Any, Any]) -> None:
    """Before-request hook: parse bodies once and refuse unsafe keys before any handler runs.

    Any body that parses as JSON is checked, whatever its declared media type: Litestar decodes a
    JSON body of a handler that takes one even when it is sent as, say, ``text/plain``. A body
    declared as JSON must parse; others (a CSV import) are left to their handler.
    """
    if request.method not in {"POST", "PUT", "PATCH"}:
        return
    raw = await request.body()
    if not raw:
        return
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadRequest(f"nested deeper than {MAX_JSON_DEPTH} levels", slug="too-deep") from None
    except ValueError as exc:
        if "json" in request.headers.get("content-type", ""):
            raise BadRequest(f"body is not valid JSON: {exc}", slug="malformed-json") from None
        return
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
