"""The local Dex of deploy/local/stack.sh as tests see it, and its sign-in driven over HTTP.

The flow is the one the web runs (authorization code with PKCE S256, public client, no secret);
:func:`sign_in` plays the browser with httpx, tests/browser plays it with Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import jwt

from tools.logins import DEFAULT_CLIENT_ID, DEFAULT_PORT, issuer

PORT = int(os.environ.get("KINERJA_OIDC_PORT", DEFAULT_PORT))
ISSUER = issuer(PORT)
CLIENT_ID = os.environ.get("KINERJA_OIDC_CLIENT_ID", DEFAULT_CLIENT_ID)
#: ``profile`` brings ``name`` and ``preferred_username``, ``groups`` the role and region.
SCOPES = "openid profile email groups"
_FORM = re.compile(r'<form method="post" action="([^"]*)"')


async def discovery(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(f"{ISSUER}/.well-known/openid-configuration")
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


@dataclass(frozen=True)
class Authorization:
    """One authorization request: what the client keeps (verifier, state, nonce) and the URL to open."""

    url: str
    redirect_uri: str
    verifier: str
    state: str
    nonce: str


def authorize(endpoint: str, redirect_uri: str) -> Authorization:
    """A fresh authorization request to ``endpoint`` with PKCE (S256)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    query = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": SCOPES,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return Authorization(f"{endpoint}?{urlencode(query)}", redirect_uri, verifier, state, nonce)


def callback_params(url: str) -> dict[str, str]:
    """The query of a redirect to the callback, one value per name."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@dataclass(frozen=True)
class Outcome:
    """Where a sign-in ended: at the redirect URI (``callback`` set) or on a Dex page."""

    callback: str | None
    page: str
    status: int

    @property
    def code(self) -> str | None:
        return callback_params(self.callback).get("code") if self.callback else None


async def sign_in(client: httpx.AsyncClient, auth: Authorization, email: str, password: str) -> Outcome:
    """Open ``auth.url``, post Dex's login form, and follow Dex's redirects up to the redirect URI."""
    form = await client.get(auth.url, follow_redirects=True)
    form.raise_for_status()
    action = _FORM.search(form.text)
    assert action, f"no login form at {form.url}:\n{form.text[:2000]}"
    response = await client.post(
        urljoin(str(form.url), html.unescape(action.group(1))), data={"login": email, "password": password}
    )
    for _ in range(5):
        location = response.headers.get("location")
        if not response.is_redirect or location is None:
            return Outcome(None, response.text, response.status_code)
        target = urljoin(str(response.url), location)
        if target.startswith(auth.redirect_uri):
            return Outcome(target, response.text, response.status_code)
        response = await client.get(target)
    raise AssertionError(f"Dex redirected more than 5 times, last to {response.url}")


async def exchange(client: httpx.AsyncClient, token_endpoint: str, auth: Authorization, code: str) -> Any:
    """The token response for ``code``: a public client proves itself with the PKCE verifier alone."""
    response = await client.post(
        token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": auth.redirect_uri,
            "client_id": CLIENT_ID,
            "code_verifier": auth.verifier,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


async def verified_claims(client: httpx.AsyncClient, jwks_uri: str, id_token: str, nonce: str) -> Any:
    """The ID token's claims, after checking its signature (Dex's JWKS), issuer, audience and nonce."""
    keys = jwt.PyJWKSet.from_dict((await client.get(jwks_uri)).raise_for_status().json())
    kid = jwt.get_unverified_header(id_token).get("kid")
    key = next(k for k in keys.keys if k.key_id == kid)
    claims = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=CLIENT_ID, issuer=ISSUER)
    assert claims["nonce"] == nonce
    return claims
