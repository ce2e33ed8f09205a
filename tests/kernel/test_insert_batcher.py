"""Group commit of inserts (shared.mongo.InsertBatcher), on the real database."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import monitoring
from pymongo.errors import ServerSelectionTimeoutError, WriteError

from shared.mongo import InsertBatcher
from shared.settings import Settings


class InsertStatements(monitoring.CommandListener):
    """Counts the ``insert`` commands a client sends, and the documents in each."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert":
            self.sizes.append(len(event.command["documents"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def watched(settings: Settings) -> Any:
    listener = InsertStatements()
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(
        settings.mongo_url, event_listeners=[listener]
    )
    collection = client[settings.database("stack")][f"batch-{uuid.uuid4().hex[:8]}"]
    yield collection, listener
    await collection.drop()
    client.close()


async def test_concurrent_inserts_go_to_the_database_together(watched: Any) -> None:
    collection, listener = watched
    batcher = InsertBatcher(collection)
    results = await asyncio.gather(*(batcher.insert({"_id": f"d{i}", "n": i}) for i in range(50)))
    assert results == [True] * 50
    assert sum(listener.sizes) == 50
    assert len(listener.sizes) <= 2, listener.sizes  # 50 round trips one by one
    assert await collection.count_documents({}) == 50


async def test_a_lone_insert_is_sent_at_once_and_later_ones_batch_again(watched: Any) -> None:
    collection, listener = watched
    batcher = InsertBatcher(collection)
    assert await batcher.insert({"_id": "first"}) is True
    assert listener.sizes == [1]
    await asyncio.gather(*(batcher.insert({"_id": f"later{i}"}) for i in range(10)))
    assert sum(listener.sizes) == 11 and len(listener.sizes) <= 3, listener.sizes


async def test_each_caller_learns_the_fate_of_its_own_document(watched: Any) -> None:
    collection, _ = watched
    await collection.insert_one({"_id": "taken", "by": "earlier"})
    batcher = InsertBatcher(collection)
    outcomes = await asyncio.gather(
        batcher.insert({"_id": "fresh"}),
        batcher.insert({"_id": "taken", "by": "later"}),
        batcher.insert({"_id": "bad", "a": {"$where": 1}}),
        batcher.insert({"_id": "also-fresh"}),
        return_exceptions=True,
    )
    assert outcomes[0] is True and outcomes[3] is True
    assert outcomes[1] is False  # already there: the caller's cue, not an error
    assert isinstance(outcomes[2], WriteError) and "$where" in str(outcomes[2])
    stored = {doc["_id"]: doc async for doc in collection.find({})}
    assert set(stored) == {"taken", "fresh", "also-fresh"}
    assert stored["taken"]["by"] == "earlier"


async def test_a_statement_that_fails_as_a_whole_fails_every_caller() -> None:
    # Nothing listens on port 9: the database is unreachable.
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(
        "mongodb://127.0.0.1:9", serverSelectionTimeoutMS=300
    )
    batcher = InsertBatcher(client["nowhere"]["docs"])
    try:
        outcomes = await asyncio.gather(
            *(batcher.insert({"_id": i}) for i in range(3)), return_exceptions=True
        )
    finally:
        client.close()
    assert all(isinstance(o, ServerSelectionTimeoutError) for o in outcomes), outcomes
