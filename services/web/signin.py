"""OpenID Connect sign-in (Authlib) and the person a session holds.

The flow is the authorization code flow with PKCE (S256), a ``state`` and a ``nonce``. The ID
token is verified against the provider's keys (signature by an asymmetric algorithm, issuer,
audience, expiry, nonce); the provider's discovery document must name the configured issuer.
Its claims name the person's role, region and NIP; where they sit is configurable
(``KINERJA_WEB_CLAIM_*``), so that Dex's groups, Keycloak's mappers or a region's own SSO all fit.

The web then signs a bearer token the services accept, for the session's lifetime, and keeps it in
the encrypted, HttpOnly session cookie: the services go on verifying their own tokens, and the
browser never sees one (docs/web.md, "Sign-in").
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from services.web.config import WebSettings
from shared.auth import Role, sign_token

#: Roles that may sign in to the web (the system role is for service-to-service calls only).
WEB_ROLES = (Role.EMPLOYEE, Role.SUPERVISOR, Role.HR_ADMIN, Role.REGION_ADMIN)
STAFF_ROLES = (Role.EMPLOYEE, Role.SUPERVISOR)
#: What identity providers sign ID tokens with; never ``none`` nor a shared-secret HMAC.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
_LIST_CLAIM = re.compile(r"^(?P<claim>[^\[\]]+)\[(?P<prefix>[^\]]*)\]$")


class SignInRefused(Exception):
    """The provider's answer does not make a person of this web; ``reason`` is a message id."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Person:
    """Who is signed in, and the token the services accept for them until ``expires``."""

    subject: str
    name: str
    role: Role
    region: str
    nip: str | None
    token: str
    expires: float

    @property
    def staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def supervisor(self) -> bool:
        return self.role is Role.SUPERVISOR

    @property
    def hr(self) -> bool:
        return self.role in (Role.HR_ADMIN, Role.REGION_ADMIN)

    def to_session(self) -> dict[str, Any]:
        return {**asdict(self), "role": self.role.value}

    @classmethod
    def from_session(cls, data: Any) -> Person | None:
        """The person a session names, or None when it names none or has expired."""
        if not isinstance(data, dict):
            return None
        try:
            person = cls(**{**data, "role": Role(data["role"])})
        except (TypeError, KeyError, ValueError):
            return None
        return person if person.expires > time.time() else None


def claim_value(claims: dict[str, Any], spec: str) -> str | None:
    """The value ``spec`` names in ``claims``: a claim (``role``) or the entry of a list claim that
    starts with a prefix (``groups[role:]``), without the prefix."""
    if match := _LIST_CLAIM.match(spec.strip()):
        values = claims.get(match["claim"])
        prefix = match["prefix"]
        if isinstance(values, list):
            for value in values:
                if isinstance(value, str) and value.startswith(prefix):
                    return value[len(prefix) :] or None
        return None
    value = claims.get(spec.strip())
    return str(value) if isinstance(value, str | int) and str(value) else None


def person_from_claims(settings: WebSettings, claims: dict[str, Any], now: float | None = None) -> Person:
    """The person verified ``claims`` name, with a freshly signed service token."""
    raw_role = claim_value(claims, settings.claim_role)
    try:
        role = Role(raw_role or "")
    except ValueError:
        raise SignInRefused("no-role", raw_role or "") from None
    if role not in WEB_ROLES:
        raise SignInRefused("no-role", role.value)
    region = claim_value(claims, settings.claim_region)
    if not region:
        raise SignInRefused("no-region")
    served = settings.served_regions()
    if served and region not in served:
        raise SignInRefused("other-region", region)
    nip = claim_value(claims, settings.claim_nip) if role in STAFF_ROLES else None
    if role in STAFF_ROLES and not (nip and nip.isdigit()):
        raise SignInRefused("no-nip", nip or "")
    name = claim_value(claims, settings.claim_name) or claims.get("email") or nip or str(claims.get("sub"))
    subject = nip or str(claims.get("email") or claims.get("sub"))
    expires = (now or time.time()) + settings.session_ttl_s
    token = sign_token(
        settings.jwt_secret,
        settings.jwt_issuer,
        subject=subject,
        role=role,
        region=region,
        nip=nip,
        ttl_s=settings.session_ttl_s,
    )
    return Person(subject, str(name), role, region, nip, token, expires)


class OidcClient:
    """The identity provider: discovery, the authorization redirect and the code exchange."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.http = httpx.AsyncClient(timeout=settings.api_timeout_s)
        self._metadata: dict[str, Any] | None = None
        self._keys: Any = None

    async def open(self) -> None:
        if self.http.is_closed:
            self.http = httpx.AsyncClient(timeout=self.settings.api_timeout_s)

    async def close(self) -> None:
        await self.http.aclose()

    async def ready(self) -> bool:
        """Whether the provider's discovery document can be read (the web's readiness)."""
        try:
            await self.metadata()
        except (httpx.HTTPError, ValueError):
            return False
        return True

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
            response = await self.http.get(url)
            response.raise_for_status()
            found = response.json()
            # A document naming another issuer is not this provider's (OpenID Connect Discovery 4.3).
            if str(found.get("issuer", "")).rstrip("/") != self.settings.oidc_issuer.rstrip("/"):
                raise ValueError(f"the discovery document names issuer {found.get('issuer')!r}")
            self._metadata = found
        return self._metadata

    async def _key_set(self, refresh: bool = False) -> Any:
        if self._keys is None or refresh:
            response = await self.http.get((await self.metadata())["jwks_uri"])
            response.raise_for_status()
            self._keys = KeySet.import_key_set(response.json())
        return self._keys

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        secret = self.settings.oidc_client_secret or None
        return AsyncOAuth2Client(
            client_id=self.settings.oidc_client_id,
            client_secret=secret,
            scope=self.settings.oidc_scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
            timeout=self.settings.api_timeout_s,
        )

    async def begin(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The provider's sign-in address, and what the session keeps until the callback."""
        nonce, verifier = generate_token(32), generate_token(64)
        async with self._client(redirect_uri) as client:
            url, state = client.create_authorization_url(
                (await self.metadata())["authorization_endpoint"], nonce=nonce, code_verifier=verifier
            )
        return url, {"state": state, "nonce": nonce, "verifier": verifier}

    async def finish(
        self, redirect_uri: str, pending: dict[str, str], code: str, state: str
    ) -> dict[str, Any]:
        """Exchange ``code`` and verify the ID token; its claims."""
        if not pending or state != pending.get("state"):
            raise SignInRefused("state")
        meta = await self.metadata()
        async with self._client(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    meta["token_endpoint"], code=code, code_verifier=pending["verifier"]
                )
            except Exception as exc:  # Authlib's OAuthError, or the transport's
                raise SignInRefused("exchange", str(exc)) from None
        id_token = token.get("id_token")
        if not id_token:
            raise SignInRefused("exchange", "no id_token")
        checks = jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": meta["issuer"]},
            aud={"essential": True, "value": self.settings.oidc_client_id},
            nonce={"essential": True, "value": pending["nonce"]},
            sub={"essential": True},
            exp={"essential": True},
        )
        for refresh in (False, True):  # a key rotated since the set was read
            try:
                verified = jwt.decode(id_token, await self._key_set(refresh), algorithms=ID_TOKEN_ALGORITHMS)
            except (JoseError, ValueError) as exc:
                if refresh:
                    raise SignInRefused("token", str(exc)) from None
                continue
            try:
                checks.validate(verified.claims)
            except JoseError as exc:
                raise SignInRefused("token", str(exc)) from None
            return dict(verified.claims)
        raise SignInRefused("token")
