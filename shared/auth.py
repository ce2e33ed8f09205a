"""JWT bearer authentication and the roles every service's API shares.

Tokens are HS256 JWTs with the claims ``sub`` (subject), ``role``, ``region`` and, for employees
and supervisors, ``nip``. :func:`issue_token` exists for the demo job, the CLI and tests; in
production the region's identity provider signs tokens with the shared secret.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import DefineMiddleware

from shared.errors import Forbidden, Unauthorized
from shared.settings import Settings

PUBLIC_PATHS = {"/health/live", "/health/ready", "/schema", "/schema/openapi.json", "/metrics"}


class Role(StrEnum):
    EMPLOYEE = "employee"
    SUPERVISOR = "supervisor"
    HR_ADMIN = "hr_admin"
    REGION_ADMIN = "region_admin"
    SYSTEM = "system"


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``region`` is None only for the system role, which spans regions."""

    subject: str
    role: Role
    region: str | None
    nip: str | None = None

    def in_region(self, region: str) -> bool:
        return self.role is Role.SYSTEM or self.region == region

    def require_region(self, region: str) -> None:
        if not self.in_region(region):
            raise Forbidden("this region's data is not yours to see", slug="other-region")


def issue_token(
    settings: Settings,
    *,
    subject: str,
    role: Role | str,
    region: str | None,
    nip: str | None = None,
    ttl_s: int = 3600,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "role": str(role),
        "region": region,
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + ttl_s,
    }
    if nip is not None:
        claims["nip"] = nip
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def decode_token(settings: Settings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "role", "exp", "iss"]},
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthorized(f"invalid bearer token: {exc}", slug="invalid-token") from None
    region = claims.get("region")
    if role is not Role.SYSTEM and not region:
        raise Unauthorized("token has no region", slug="invalid-token")
    return Principal(subject=str(claims["sub"]), role=role, region=region, nip=claims.get("nip"))


class JWTAuthMiddleware(AbstractAuthenticationMiddleware):
    settings: Settings

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("a bearer token is required", slug="missing-token")
        return AuthenticationResult(user=decode_token(self.settings, token.strip()), auth=token)


def auth_middleware(settings: Settings) -> DefineMiddleware:
    middleware = type("BoundJWTAuthMiddleware", (JWTAuthMiddleware,), {"settings": settings})
    return DefineMiddleware(middleware, exclude=["^/health", "^/schema", "^/metrics$"])


def requires(*roles: Role) -> Any:
    """A Litestar guard admitting only ``roles``."""
    allowed = frozenset(roles)

    # A coroutine: Litestar runs a plain function guard in a worker thread, a thread hop per request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, Principal) or principal.role not in allowed:
            raise Forbidden(f"requires one of the roles: {', '.join(sorted(allowed))}", slug="role")

    return guard


def roles(values: Iterable[str]) -> tuple[Role, ...]:
    return tuple(Role(v) for v in values)
