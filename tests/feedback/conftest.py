"""Fixtures of the feedback tests: the real app on the real stack, tokens and a seeded region.

The organisation every seeded region gets (valid PNS NIPs)::

    HEAD (kepala dinas)
    ├── SUP (kepala bidang) ── A (service role), B, C, D     A-D are peers: same supervisor
    └── E                                                    E is SUP's peer, not A's

F is a PPPK employee without a supervisor; all sit in unit ``dinkes``, A-D also in team ``pkm``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.feedback.app import create_app
from shared.auth import Role, issue_token
from shared.settings import Settings
from tests.feedback.org import cycle_body, people

Headers = Callable[..., dict[str, str]]
Seed = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def app(isolated_settings: Settings) -> Litestar:
    return create_app(isolated_settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as c:
        yield c


@pytest.fixture
def auth(isolated_settings: Settings) -> Headers:
    """Bearer headers for ``role`` in ``region`` (``nip`` for employees and supervisors)."""

    def headers(role: Role | str, region: str | None = "marelan", nip: str | None = None) -> dict[str, str]:
        token = issue_token(
            isolated_settings, subject=f"{role}-{nip or region}", role=role, region=region, nip=nip
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def seed(client: AsyncTestClient[Litestar], auth: Headers) -> Seed:
    """Create the organisation above in ``region`` and open cycle ``<region>-2026`` around now."""

    async def run(region: str = "marelan", cycle: bool = True) -> dict[str, Any]:
        hr = auth(Role.HR_ADMIN, region)
        assert (
            await client.put(f"/regions/{region}/units/dinkes", json={"name": "Dinas Kesehatan"}, headers=hr)
        ).status_code == 200
        team = {"name": "Puskesmas 1", "unit_id": "dinkes"}
        assert (await client.put(f"/regions/{region}/teams/pkm", json=team, headers=hr)).status_code == 200
        for nip, body in people():
            response = await client.put(f"/regions/{region}/employees/{nip}", json=body, headers=hr)
            assert response.status_code == 200, response.text
        result: dict[str, Any] = {"region": region}
        if cycle:
            body = cycle_body(f"{region}-2026")
            response = await client.post(f"/regions/{region}/cycles", json=body, headers=hr)
            assert response.status_code == 201, response.text
            result["cycle"] = body["cycle_id"]
        return result

    return run
