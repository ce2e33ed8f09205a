"""The local Dex of deploy/local/stack.sh signs in the demo logins with the claims the web reads.

Real server, real HTTP: the authorization code flow with PKCE, as the web runs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.oidc import CLIENT_ID, ISSUER, authorize, discovery, exchange, sign_in, verified_claims
from tools.logins import Login, login, logins

# Any loopback port will do: the client is public and names no redirect URI.
CALLBACK = "http://127.0.0.1:45873/auth/callback"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


@pytest.fixture
async def endpoints(client: httpx.AsyncClient) -> dict[str, Any]:
    return await discovery(client)


async def test_discovery_answers_for_the_configured_issuer(endpoints: dict[str, Any]) -> None:
    assert endpoints["issuer"] == ISSUER
    assert endpoints["authorization_endpoint"] == f"{ISSUER}/auth"
    assert "S256" in endpoints["code_challenge_methods_supported"]
    assert {"openid", "profile", "email", "groups"} <= set(endpoints["scopes_supported"])


async def test_the_demo_employee_signs_in_with_nip_role_and_region(
    client: httpx.AsyncClient, endpoints: dict[str, Any]
) -> None:
    employee = login("marelan", Role.EMPLOYEE)
    auth = authorize(endpoints["authorization_endpoint"], CALLBACK)

    outcome = await sign_in(client, auth, employee.email, employee.password)

    assert outcome.callback and outcome.code, (
        f"no code; Dex answered {outcome.status}:\n{outcome.page[:2000]}"
    )
    assert outcome.callback.startswith(CALLBACK + "?")
    assert f"state={auth.state}" in outcome.callback
    tokens = await exchange(client, endpoints["token_endpoint"], auth, outcome.code)
    claims = await verified_claims(client, endpoints["jwks_uri"], tokens["id_token"], auth.nonce)
    assert claims["aud"] == CLIENT_ID
    assert claims["groups"] == ["role:employee", "region:marelan"]
    assert claims["preferred_username"] == employee.nip == "198001202010011010"
    assert claims["name"] == employee.name
    assert claims["email"] == "pegawai@marelan.kinerja.test"


async def test_a_wrong_password_brings_back_the_form_with_an_error_and_no_code(
    client: httpx.AsyncClient, endpoints: dict[str, Any]
) -> None:
    employee = login("marelan", Role.EMPLOYEE)
    auth = authorize(endpoints["authorization_endpoint"], CALLBACK)

    outcome = await sign_in(client, auth, employee.email, employee.password + "x")

    assert outcome.callback is None and outcome.code is None
    assert outcome.status == 401
    assert 'id="login-error"' in outcome.page
    assert 'name="password"' in outcome.page


@pytest.mark.parametrize("entry", logins(), ids=lambda e: f"{e.region}-{e.role.value}")
async def test_every_demo_login_signs_in_with_its_claims(
    client: httpx.AsyncClient, endpoints: dict[str, Any], entry: Login
) -> None:
    auth = authorize(endpoints["authorization_endpoint"], CALLBACK)

    outcome = await sign_in(client, auth, entry.email, entry.password)

    assert outcome.code, f"{entry.email} was refused:\n{outcome.page[:2000]}"
    tokens = await exchange(client, endpoints["token_endpoint"], auth, outcome.code)
    claims = await verified_claims(client, endpoints["jwks_uri"], tokens["id_token"], auth.nonce)
    assert claims["groups"] == [f"role:{entry.role.value}", f"region:{entry.region}"]
    assert claims["preferred_username"] == entry.username
    assert claims["name"] == entry.name


async def test_a_redirect_off_the_loopback_is_refused(
    client: httpx.AsyncClient, endpoints: dict[str, Any]
) -> None:
    auth = authorize(endpoints["authorization_endpoint"], "http://kinerja.test/auth/callback")

    response = await client.get(auth.url, follow_redirects=True)

    assert response.status_code == 400
    assert "Unregistered redirect_uri" in response.text
