"""One error hierarchy for all services.

Each error carries a stable problem type (RFC 9457). HTTP layers map them to problem details in
one place (:mod:`shared.http`); consumers map them to dead letters or retries (:mod:`shared.consumer`).
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://kinerja.example.id/problems/"


class KinerjaError(Exception):
    """Base of every error the services raise on purpose."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, slug: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problem_slug = slug or self.slug
        self.extra = extra


class ValidationFailed(KinerjaError):
    """Input is malformed or breaks a rule; retrying the same input will not help."""

    status = 422
    slug = "validation"
    title = "Input is not valid"


class BadRequest(KinerjaError):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class Unauthorized(KinerjaError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"


class Forbidden(KinerjaError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(KinerjaError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(KinerjaError):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"


class RateLimited(KinerjaError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class TransientError(KinerjaError):
    """A dependency is unavailable for now; the same work may succeed later."""

    status = 503
    slug = "unavailable"
    title = "Temporarily unavailable"
