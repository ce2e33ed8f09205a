"""The outbox relay on the real database: a failed publish is retried from memory, in order.

The publisher here stands in for the broker so that it can refuse on demand; the broker outage
itself, with real Kafka killed and restarted, is in tests/faults.
"""

from __future__ import annotations

import asyncio
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from shared import outbox
from shared.events.feedback import ProgressReported, Realisation
from shared.outbox import OUTBOX_FIELD, OutboxRelay
from shared.settings import Settings

Record = tuple[str, bytes, bytes, dict[str, str]]


def report(nip: str, value: float) -> ProgressReported:
    return ProgressReported.build(
        region="siulak",
        correlation_id="relay",
        producer="writer",
        key=nip,
        cycle_id="c1",
        nip=nip,
        realisations=[Realisation(indicator_id="i1", value=value)],
    )


async def test_a_failed_publish_is_retried_from_memory_before_newer_writes(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]], eventually: Any
) -> None:
    db = mongo[isolated_settings.database("writer")]
    published: list[str] = []
    refusals = 2

    async def publish(records: list[Record]) -> None:
        nonlocal refusals
        if refusals:
            refusals -= 1
            raise OSError("broker unreachable")
        published.extend(ProgressReported.model_validate_json(value).key for _, value, _, _ in records)

    # No periodic sweep in this test: only the retry from memory can publish the writes.
    settings = isolated_settings.model_copy(update={"outbox_sweep_s": 3600.0})
    relay = OutboxRelay(db, publish, settings, ["reports"])
    relay.start()
    try:
        await asyncio.sleep(0.2)  # the sweep at start: nothing staged yet
        first = [report(f"19850312201001100{i}", i) for i in range(3)]
        for event in first:
            await db["reports"].insert_one({"_id": event.key, **outbox.initial([event])})
            relay.written("reports", event.key, [event])
        await asyncio.sleep(0.1)  # the relay tries them and is refused
        later = report("198503122010011009", 9)
        await db["reports"].insert_one({"_id": later.key, **outbox.initial([later])})
        relay.written("reports", later.key, [later])

        async def all_marked() -> bool:
            docs = [doc async for doc in db["reports"].find({})]
            return len(docs) == 4 and all(doc[OUTBOX_FIELD] == {} for doc in docs)

        assert await eventually(all_marked, timeout=20), "published entries were not marked"
    finally:
        await relay.stop()
    assert refusals == 0
    # Each event once, the refused ones ahead of the write that came after them.
    assert published == [e.key for e in first] + [later.key]
