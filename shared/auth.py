"""JWT bearer authentication and the roles every service's API shares.

Tokens are HS256 JWTs with the claims ``sub`` (subject), ``role``, ``region`` and, for employees
and supervisors, ``nip``, verified by Litestar's JWT integration (``litestar.security.jwt``,
over PyJWT). :func:`issue_token` exists for the demo job, the CLI and tests; in production the
region's identity provider signs tokens with the shared secret.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AuthenticationResult
from litestar.middleware.base import DefineMiddleware
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from litestar.security.jwt.token import JWTDecodeOptions

from shared.errors import Forbidden, Unauthorized
from shared.settings import Settings

PUBLIC_PATHS = {"/health/live", "/health/ready", "/schema", "/schema/openapi.json", "/metrics"}
ALGORITHM = "HS256"
#: Claims a token must carry; ``region`` may be absent for the system role only.
REQUIRED = ("sub", "role", "exp", "iss")


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


@dataclass
class KinerjaToken(Token):
    """The claims of a token the services accept, beside Litestar's ``sub``, ``exp``, ``iat`` and
    ``iss``: the caller's ``role``, their ``region`` (none for the system role) and, for
    employees and supervisors, their ``nip``."""

    role: str = ""
    region: str | None = None
    nip: str | None = None

    @classmethod
    def decode_payload(
        cls,
        encoded_token: str,
        secret: str,
        algorithms: list[str],
        issuer: str | Sequence[str] | None = None,
        audience: str | Sequence[str] | None = None,
        options: JWTDecodeOptions | None = None,
    ) -> Any:
        """The verified claims. ``iat`` is optional in a JWT (RFC 7519) and identity providers may
        leave it out; Litestar's token requires it, so a token without one counts as issued now."""
        payload = super().decode_payload(encoded_token, secret, algorithms, issuer, audience, options)
        if isinstance(payload, dict):
            payload.setdefault("iat", int(time.time()))
        return payload


def issue_token(
    settings: Settings,
    *,
    subject: str,
    role: Role | str,
    region: str | None,
    nip: str | None = None,
    ttl_s: int = 3600,
) -> str:
    return sign_token(
        settings.jwt_secret,
        settings.jwt_issuer,
        subject=subject,
        role=role,
        region=region,
        nip=nip,
        ttl_s=ttl_s,
    )


def sign_token(
    secret: str,
    issuer: str,
    *,
    subject: str,
    role: Role | str,
    region: str | None,
    nip: str | None = None,
    ttl_s: int = 3600,
) -> str:
    """A bearer token the services accept. The web signs one per session (docs/web.md)."""
    now = datetime.now(UTC)
    token = KinerjaToken(
        sub=subject,
        exp=now + timedelta(seconds=ttl_s),
        iat=now,
        iss=issuer,
        role=str(role),
        region=region,
        nip=nip,
    )
    return token.encode(secret, ALGORITHM)


def principal_of(token: KinerjaToken) -> Principal:
    """Who a verified token names; :class:`Unauthorized` when its claims do not make a caller."""
    try:
        role = Role(token.role)
    except ValueError:
        raise Unauthorized(
            f"invalid bearer token: unknown role {token.role!r}", slug="invalid-token"
        ) from None
    if role is not Role.SYSTEM and not token.region:
        raise Unauthorized("token has no region", slug="invalid-token")
    return Principal(subject=token.sub, role=role, region=token.region, nip=token.nip)


def decode_token(settings: Settings, token: str) -> Principal:
    """Verify ``token`` (signature, issuer, expiry, required claims) as the middleware does."""
    try:
        claims = KinerjaToken.decode(
            token, settings.jwt_secret, ALGORITHM, issuer=[settings.jwt_issuer], require_claims=REQUIRED
        )
    except NotAuthorizedException as exc:
        raise Unauthorized(f"invalid bearer token: {exc.detail}", slug="invalid-token") from None
    return principal_of(claims)


class BearerAuthMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware, with our problem types: a request without a bearer token is
    ``missing-token``, a token that does not verify is ``invalid-token``."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("a bearer token is required", slug="missing-token")
        try:
            return await self.authenticate_token(token.strip(), connection)
        except NotAuthorizedException as exc:
            raise Unauthorized(f"invalid bearer token: {exc.detail}", slug="invalid-token") from None


async def _principal(token: KinerjaToken, _: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    return principal_of(token)


def auth_middleware(settings: Settings) -> DefineMiddleware:
    """Bearer-token authentication of every route but health, the schema and the metrics
    (Litestar's JWTAuth)."""
    jwt_auth = JWTAuth[Principal, KinerjaToken](
        retrieve_user_handler=_principal,
        token_secret=settings.jwt_secret,
        token_cls=KinerjaToken,
        algorithm=ALGORITHM,
        accepted_issuers=[settings.jwt_issuer],
        require_claims=REQUIRED,
        exclude=["^/health", "^/schema", "^/metrics$"],
        authentication_middleware_class=BearerAuthMiddleware,
    )
    return jwt_auth.middleware


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
