"""The HTTP plumbing every service shares, on the real broker and database."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import post
from litestar.params import Body
from litestar.testing import AsyncTestClient

from shared.auth import Role, issue_token
from shared.errors import Conflict
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


async def test_rejections_are_problem_documents_with_stable_types(isolated_settings: Settings) -> None:
    token = issue_token(isolated_settings, subject="hr", role=Role.HR_ADMIN, region="siulak")
    auth = {"Authorization": f"Bearer {token}"}
    async with AsyncTestClient(app_for(isolated_settings)) as client:
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
    assert [cases[s].status_code for s in cases] == [401, 401, 409, 400, 413, 404]
    assert dotted.json()["type"].endswith("/unsafe-key")
    assert ok.status_code == 201 and ok.json() == {"name": "fine"}
