"""The OpenAPI document of a service, completed with what every operation may answer.

Litestar documents each handler's success response from its return type. The rejections come from
one place (shared/http.py) and are the same for every operation, so they are documented here, once,
after the app is built: every error as ``application/problem+json`` with the ``Problem`` schema,
400 and 413 for any body, 401 and 403 where a bearer token is needed, 404 where the path names
something, 409 and 422 for writes; and the ``bearer`` security scheme with the operations that
need it. The served ``/schema/openapi.json`` and the committed docs/openapi/ files are this one.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

from shared.errors import PROBLEM_BASE
from shared.http import PROBLEM_JSON

WRITES = ("post", "put", "patch", "delete")
DESCRIPTIONS = {
    "400": "The request is malformed: body, parameters or media type (`validation`, `bad-request`, ...).",
    "401": "No bearer token, or one that is invalid or expired (`missing-token`, `invalid-token`).",
    "403": "The token's role, region or person may not do this (`role`, `other-region`, `not-yours`, ...).",
    "404": "What the path names does not exist, or is not the caller's to see.",
    "409": "The change conflicts with the current state (`cycle-closed`, `concurrent-change`, ...).",
    "413": "The body is larger than allowed (`payload-too-large`).",
    "422": "The input is well formed but breaks a rule; `problems` lists each one.",
    "429": "Too many requests from this client (`rate-limited`).",
    "500": "The server failed (`internal`); the error was logged with the correlation id.",
}
PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="RFC 9457 problem details.",
    required=["type", "title", "status"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description=f"`{PROBLEM_BASE}<slug>`."),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING, description="The request path."),
        "correlation_id": Schema(type=OpenAPIType.STRING),
        "problems": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING)),
        "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
    },
    examples=[
        {
            "type": f"{PROBLEM_BASE}validation",
            "title": "Input is not valid",
            "status": 400,
            "detail": "Validation failed for POST /regions/marelan/cycles",
            "instance": "/regions/marelan/cycles",
            "correlation_id": "req-0f8c2a9e1b7d4c3a",
        }
    ],
)


def _problem(code: str) -> OpenAPIResponse:
    schema = Reference(ref="#/components/schemas/Problem")
    return OpenAPIResponse(
        description=DESCRIPTIONS[code], content={PROBLEM_JSON: OpenAPIMediaType(schema=schema)}
    )


def _codes(path: str, method: str, public: bool) -> list[str]:
    codes = ["400", "500"]
    if not public:
        codes += ["401", "403"]
    if "{" in path:
        codes.append("404")
    if method in WRITES:
        codes += ["409", "413", "422"]
    if path.startswith("/public/"):
        codes.append("429")
    return codes


def document_problems(app: Litestar, public_paths: frozenset[str]) -> OpenAPI:
    """Complete ``app``'s OpenAPI document (cached by Litestar, so the served one too)."""
    schema = app.openapi_schema
    components = schema.components if isinstance(schema.components, Components) else Components()
    components.schemas = {**(components.schemas or {}), "Problem": PROBLEM_SCHEMA}
    components.security_schemes = {
        **(components.security_schemes or {}),
        "bearer": SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="HS256 token with `role`, `region` and, for people, `nip` (docs/feedback.md).",
        ),
    }
    schema.components = components
    for path, item in (schema.paths or {}).items():
        for method in ("get", "post", "put", "patch", "delete"):
            operation: Operation | None = getattr(item, method, None)
            if operation is None:
                continue
            public = path in public_paths or path.startswith(("/health", "/public/"))
            responses: dict[str, Any] = dict(operation.responses or {})
            for code in _codes(path, method, public):
                responses[code] = _problem(code)  # Litestar's own 400 shape is not what we send
            operation.responses = responses
            operation.security = None if public else [{"bearer": []}]
    return schema
