"""Fixtures of the web tests: the suite's five processes on the real stack, the marelan demo
region seeded through the API, and people signed in through the local Dex. Fixtures only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from shared.settings import Settings
from tests.isolation import TEST_DATABASES
from tests.web.suite import ROOT, Seeded, Suite, seed


@pytest.fixture(scope="session")
async def suite(settings: Settings) -> AsyncIterator[Suite]:
    mine = settings.model_copy(
        update={"db_prefix": f"{settings.db_prefix}web", "topic_prefix": f"{settings.topic_prefix}web."}
    )
    running = Suite(mine, ROOT / ".cache" / "web-test-logs")
    try:
        await running.start()
        yield running
    finally:
        running.stop()
        client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(mine.mongo_url)
        try:
            for name in TEST_DATABASES:
                await client.drop_database(mine.database(name))
        finally:
            client.close()


@pytest.fixture(scope="session")
async def seeded(suite: Suite) -> Seeded:
    return await seed(suite)
