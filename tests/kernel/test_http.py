"""The HTTP plumbing every service shares, on the real broker and database."""

from __future__ import annotations

import time
from typing import Annotated, Any

import jwt
from litestar import post
from litestar.params import Body
from litestar.testing import AsyncTestClient

from shared.auth import Role, issue_token
from shared.errors import PROBLEM_BASE, Conflict
from shared.runtime import ServiceKit
from shared.settings import Settings

PROBLEM = "application/problem+json"


@post("/things")
async def create_thing(data: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    if data.get("name") == "taken":
        raise Conflict("a thing with that name exists", slug="thing-exists")
    return data


def app_for(settings: Settings) -> Any:
    return ServiceKit("httptest", settings).http_app([create_thing], max_body_bytes=2048)


async def test_health_is_ready_when_kafka_and_the_database_answer(isolated_settings: Settings) -> None:
    async with AsyncTestClient(app_for(isolated_settings)) as client:
        assert (await client.get("/health/live")).json() == {"status": "ok"}
        ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"kafka": True, "database": True}}


async def test_readiness_fails_when_the_database_does_not_answer(isolated_settings: Settings) -> None:
    broken = isolated_settings.model_copy(update={"mongo_url": "mongodb://127.0.0.1:1"})
    async with AsyncTestClient(app_for(broken)) as client:
        ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"kafka": True, "database": False}


def _bad_tokens(settings: Settings) -> dict[str, dict[str, str]]:
    """Tokens that must not pass, each with one thing wrong."""
    now = int(time.time())
    good = {"sub": "hr", "role": "hr_admin", "region": "siulak", "iss": settings.jwt_issuer, "iat": now}
    cases = {
        "expired": ({**good, "exp": now - 60}, settings.jwt_secret),
        "another issuer": ({**good, "exp": now + 600, "iss": "elsewhere"}, settings.jwt_secret),
        "another secret": ({**good, "exp": now + 600}, "not-the-secret-of-this-deployment-000"),
        "unknown role": ({**good, "exp": now + 600, "role": "mayor"}, settings.jwt_secret),
        "no region": ({**good, "exp": now + 600, "region": None}, settings.jwt_secret),
        "no role": ({k: v for k, v in good.items() if k != "role"} | {"exp": now + 600}, settings.jwt_secret),
    }
    return {
        name: {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm='HS256')}"}
        for name, (claims, key) in cases.items()
    }


async def test_rejections_are_problem_documents_with_stable_types(isolated_settings: Settings) -> None:
    token = issue_token(isolated_settings, subject="hr", role=Role.HR_ADMIN, region="siulak")
    auth = {"Authorization": f"Bearer {token}", "X-Correlation-Id": "req-test-problems"}
    no_iat = {"sub": "hr", "role": "hr_admin", "region": "siulak", "iss": isolated_settings.jwt_issuer}
    without_iat = jwt.encode({**no_iat, "exp": int(time.time()) + 600}, isolated_settings.jwt_secret)
    async with AsyncTestClient(app_for(isolated_settings)) as client:
        # iat is optional in a JWT: a provider that leaves it out still signs in.
        accepted = await client.post(
            "/things", json={"name": "no-iat"}, headers={"Authorization": f"Bearer {without_iat}"}
        )
        refused = {
            claims_case: await client.post("/things", json={"name": "b"}, headers=bearer)
            for claims_case, bearer in _bad_tokens(isolated_settings).items()
        }
        cases = {
            "missing-token": await client.post("/things", json={"name": "a"}),
            "invalid-token": await client.post("/things", json={}, headers={"Authorization": "Bearer x.y.z"}),
            "thing-exists": await client.post("/things", json={"name": "taken"}, headers=auth),
            "unsafe-key": await client.post("/things", json={"ratings": {"$gt": 1}}, headers=auth),
            "payload-too-large": await client.post("/things", json={"x": "y" * 5000}, headers=auth),
            "not-found": await client.get("/nothing-here", headers=auth),
        }
        dotted = await client.post("/things", json={"a.b": 1}, headers=auth)
        ok = await client.post("/things", json={"name": "fine"}, headers=auth)
    for slug, response in cases.items():
        assert response.headers["content-type"].startswith(PROBLEM), slug
        body = response.json()
        assert body["type"] == f"https://kinerja.example.id/problems/{slug}", (slug, body)
        assert body["status"] == response.status_code
        assert body["instance"] == response.request.url.path, (slug, body)
    assert [cases[s].status_code for s in cases] == [401, 401, 409, 400, 413, 404]
    assert accepted.status_code == 201, accepted.text
    # Each way a token can be wrong is refused as invalid, before any handler runs.
    for claims_case, response in refused.items():
        assert (response.status_code, response.json()["type"]) == (401, PROBLEM_BASE + "invalid-token"), (
            claims_case,
            response.text,
        )
    assert dotted.json()["type"].endswith("/unsafe-key")
    # A problem raised past the request's start names its correlation id, which a caller quotes.
    for slug in ("thing-exists", "unsafe-key"):
        assert cases[slug].json()["correlation_id"] == "req-test-problems", cases[slug].json()
    assert ok.status_code == 201 and ok.json() == {"name": "fine"}
