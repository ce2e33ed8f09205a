"""Fixtures for tests on the real local stack (Kafka and FerretDB on 127.0.0.1).

Each test session gets its own database prefix and topic prefix, so that runs never see each
other's data. Fixtures only: no helpers are imported from this module.
"""

from __future__ import annotations

import os
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from motor.motor_asyncio import AsyncIOMotorClient

from shared.settings import Settings
from tests.isolation import TEST_DATABASES
from tools.demo import wait_for

ROOT = Path(__file__).resolve().parent.parent

ReadTopic = Callable[..., Awaitable[list[ConsumerRecord[bytes, bytes]]]]


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
async def settings(run_id: str) -> AsyncIterator[Settings]:
    session = Settings(
        db_prefix=f"t{run_id}",
        topic_prefix=f"t{run_id}.",
        retry_initial_s=0.1,
        retry_max_s=1.0,
        retry_budget_s=30.0,
        outbox_sweep_s=0.5,
        log_level="WARNING",
        # A suite creates hundreds of topics; 4 partitions each keep the broker small while still
        # spreading keys (tests/scale and tests/faults choose their own counts).
        topic_partitions=4,
    )
    yield session
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(session.mongo_url)
    try:
        for name in TEST_DATABASES:
            for variant in ("", "one", "two"):  # tests/scale runs the pipeline twice under the prefix
                await client.drop_database(f"{session.db_prefix}{variant}_{name}")
    finally:
        client.close()
    await _delete_topics(session)


async def _delete_topics(session: Settings) -> None:
    """Delete the topics this run created (every test's prefix starts with the session's): services
    create theirs and their dead-letter topics at start-up, and a developer's broker would keep
    hundreds of them from run to run."""
    admin = AIOKafkaAdminClient(bootstrap_servers=session.kafka_bootstrap)
    try:
        await admin.start()
        mine = [t for t in await admin.list_topics() if t.startswith(session.topic_prefix)]
        for start in range(0, len(mine), 100):
            await admin.delete_topics(mine[start : start + 100])
    except Exception as exc:  # a broker that is gone has nothing left to clean
        warnings.warn(f"test topics under {session.topic_prefix} were not deleted: {exc!r}", stacklevel=1)
    finally:
        await admin.close()


@pytest.fixture
async def isolated_settings(settings: Settings) -> AsyncIterator[Settings]:
    """Settings with topics and databases of this test alone."""
    tag = uuid.uuid4().hex[:6]
    isolated = settings.model_copy(
        update={"db_prefix": f"{settings.db_prefix}{tag}", "topic_prefix": f"{settings.topic_prefix}{tag}."}
    )
    yield isolated
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(settings.mongo_url)
    try:
        for name in TEST_DATABASES:
            await client.drop_database(isolated.database(name))
    finally:
        client.close()


@pytest.fixture
def settings_env(isolated_settings: Settings) -> dict[str, str]:
    """Environment that makes a child process use ``isolated_settings``."""
    env = dict(os.environ)
    for name, value in isolated_settings.model_dump().items():
        env[f"KINERJA_{name.upper()}"] = str(value)
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.fixture
async def mongo(settings: Settings) -> AsyncIterator[AsyncIOMotorClient[dict[str, Any]]]:
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(settings.mongo_url, tz_aware=True)
    yield client
    client.close()


@pytest.fixture
def read_topic(settings: Settings) -> ReadTopic:
    """Read ``count`` records from the start of ``topic`` (full name), or what came within ``timeout``."""

    async def read(topic: str, count: int, timeout: float = 20.0) -> list[ConsumerRecord[bytes, bytes]]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout
        try:
            while len(records) < count and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=300)
                for part in batch.values():
                    records.extend(part)
        finally:
            await consumer.stop()
        return records

    return read


@pytest.fixture
def eventually() -> Callable[..., Awaitable[Any]]:
    """Poll an async predicate until it returns a truthy value or the timeout passes."""

    async def wait(check: Callable[[], Awaitable[Any]], timeout: float = 30.0, interval: float = 0.2) -> Any:
        return await wait_for(check, timeout, interval)

    return wait
