"""The first connected tests: FastStream on the real broker, motor on the real database."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from faststream.kafka import KafkaBroker
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import UpdateOne

from shared.settings import Settings


async def test_faststream_publishes_and_consumes_on_the_real_broker(settings: Settings) -> None:
    topic = settings.topic(f"roundtrip-{uuid.uuid4().hex[:6]}")
    broker = KafkaBroker(settings.kafka_bootstrap, logger=None)
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @broker.subscriber(topic, group_id=f"g-{topic}", auto_offset_reset="earliest")
    async def collect(body: dict[str, Any]) -> None:
        await received.put(body)

    async with broker:
        await broker.start()
        await broker.publish({"nip": "198503122010011002", "n": 1}, topic, key=b"198503122010011002")
        body = await asyncio.wait_for(received.get(), timeout=30)
    assert body == {"nip": "198503122010011002", "n": 1}


async def test_motor_writes_and_reads_on_the_real_database(
    mongo: AsyncIOMotorClient[dict[str, Any]], settings: Settings
) -> None:
    coll = mongo[settings.database("stack")]["docs"]
    doc_id = uuid.uuid4().hex
    await coll.insert_one({"_id": doc_id, "name": "Siti", "ratings": {"target": 4.5}})
    found = await coll.find_one({"_id": doc_id})
    assert found == {"_id": doc_id, "name": "Siti", "ratings": {"target": 4.5}}
    build = await mongo.admin.command("buildInfo")
    assert build.get("ferretdbVersion", "").startswith("v1."), (
        "tests must run on the FerretDB the stack started"
    )


async def test_a_bulk_update_of_many_existing_documents_completes(
    mongo: AsyncIOMotorClient[dict[str, Any]], settings: Settings
) -> None:
    """One update command of more statements than FerretDB's 100 SQLite connections.

    Unpatched FerretDB 1.24 keeps each matched statement's cursor, and its connection, open until
    the command ends, so this command waits for a connection forever and every other client with
    it. ``deploy/local/stack.sh`` patches that (see docs/ferretdb.md); scoring's finalisation and
    every bulk upsert of existing documents rely on it.
    """
    coll = mongo[settings.database("stack")][f"bulk_{uuid.uuid4().hex[:6]}"]
    await coll.insert_many([{"_id": i, "v": 0} for i in range(250)])
    result = await asyncio.wait_for(
        coll.bulk_write([UpdateOne({"_id": i}, {"$set": {"v": 1}}, upsert=True) for i in range(250)]),
        timeout=60,
    )
    assert (result.matched_count, result.modified_count, result.upserted_count) == (250, 250, 0)
    assert await coll.count_documents({"v": 1}) == 250
