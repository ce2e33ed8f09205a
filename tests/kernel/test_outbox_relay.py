"""The outbox relay on the real database: a failed publish is retried from memory, in order.

The publisher here stands in for the broker so that it can refuse on demand; the broker outage
itself, with real Kafka killed and restarted, is in tests/faults.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from shared import outbox
from shared.events.base import Event
from shared.events.feedback import ProgressReported, Realisation
from shared.outbox import OUTBOX_FIELD, REFUSED_COLLECTION, OutboxRelay, Staged, record_of
from shared.runtime import ServiceKit
from shared.settings import Settings
from tests.indexes.recorder import Recorded, RecordingDatabase, unindexed

Record = tuple[str, bytes, bytes, dict[str, str]]


async def insert(
    relay: OutboxRelay, db: Any, collection: str, doc_id: str, event: Event, **fields: Any
) -> None:
    """Insert ``db[collection][doc_id]`` with ``event`` staged in it, as a store does: one call."""

    async def write(staged: Staged) -> bool:
        await db[collection].insert_one({"_id": doc_id, **fields, **staged.insert_fields})
        return True

    assert await relay.outbox.write(collection, doc_id, [event], write)


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
            await insert(relay, db, "reports", event.key, event)
        await asyncio.sleep(0.1)  # the relay tries them and is refused
        later = report("198503122010011009", 9)
        await insert(relay, db, "reports", later.key, later)

        async def all_marked() -> bool:
            docs = [doc async for doc in db["reports"].find({})]
            return len(docs) == 4 and all(doc[OUTBOX_FIELD] == {} for doc in docs)

        assert await eventually(all_marked, timeout=20), "published entries were not marked"
    finally:
        await relay.stop()
    assert refusals == 0
    # Each event once, the refused ones ahead of the write that came after them.
    assert published == [e.key for e in first] + [later.key]


class Bulky(Event):
    """An event of any size, for the broker to refuse."""

    TOPIC = "kinerja.test.bulky.v1"
    type: Literal["test.bulky"] = "test.bulky"
    blob: str


def bulky_events() -> dict[str, Bulky]:
    """Three events keyed "a", "b", "c"; "b" is over the producer's 1 MB and refused."""
    sizes = {"a": 10, "b": 1_100_000, "c": 10}
    return {
        name: Bulky.build(region="siulak", correlation_id="relay", producer="writer", key=name, blob="x" * n)
        for name, n in sizes.items()
    }


@pytest.mark.parametrize("alone", [False, True], ids=["in-a-batch", "alone"])
async def test_an_event_the_broker_refuses_is_set_aside_and_the_others_go_on(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    read_topic: Any,
    eventually: Any,
    alone: bool,
) -> None:
    """A record larger than the producer may send (1 MB) is refused whatever the retries; before,
    it stayed first in line and nothing after it was ever published. ``alone``: the relay meets
    it as the only entry of its batch, before the others are written."""
    settings = isolated_settings.model_copy(update={"outbox_sweep_s": 3600.0})
    kit = ServiceKit("writer", settings)
    await kit.broker.start()
    db = mongo[settings.database("writer")]
    relay = OutboxRelay(db, kit.publish_batch, settings, ["things"])
    relay.start()
    events = bulky_events()
    order = ["b", "a", "c"] if alone else ["a", "b", "c"]
    try:
        for name in order:
            await insert(relay, db, "things", name, events[name])
            if alone and name == "b":
                assert await eventually(lambda: db[REFUSED_COLLECTION].find_one({}), timeout=10)

        async def others_published() -> set[str]:
            # "a" may be there twice: sent before "b" failed the batch, then again on its own.
            records = await read_topic(settings.topic(Bulky.TOPIC), 3, timeout=2)
            keys = {r.key.decode() for r in records}
            return keys if {"a", "c"} <= keys else set()

        keys = await eventually(others_published, timeout=30)
        refused = await eventually(lambda: db[REFUSED_COLLECTION].find_one({}), timeout=10)
        docs = [doc async for doc in db["things"].find({})]
    finally:
        await relay.stop()
        await kit.broker.stop()
        kit.client.close()
    assert keys == {"a", "c"}
    assert refused["_id"] == str(events["b"].event_id) and refused["doc_id"] == "b"
    assert "MessageSizeTooLarge" in refused["reason"]
    assert all(doc[OUTBOX_FIELD] == {} for doc in docs)


async def test_a_bulk_job_s_refused_record_is_set_aside_and_the_others_published(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    read_topic: Any,
) -> None:
    """publish_unstaged (scoring's final scores): one refused record must not fail the job for
    good, or the cycle would stay closing, tried again and again."""
    kit = ServiceKit("writer", isolated_settings)
    await kit.broker.start()
    db = mongo[isolated_settings.database("writer")]
    relay = OutboxRelay(db, kit.publish_batch, isolated_settings)
    events = bulky_events()
    try:
        await relay.publish_unstaged(
            [record_of(e) for e in events.values()], [("finals", name) for name in events]
        )
        # "a" may be there twice: sent before "b" failed the batch, then again on its own.
        records = await read_topic(isolated_settings.topic(Bulky.TOPIC), 3, timeout=5)
        refused = await db[REFUSED_COLLECTION].find_one({})
    finally:
        await kit.broker.stop()
        kit.client.close()
    assert {r.key.decode() for r in records} == {"a", "c"} and len(records) in (2, 3)
    assert refused is not None and (refused["collection"], refused["doc_id"]) == ("finals", "b")
    assert refused["_id"] == str(events["b"].event_id) and "MessageSizeTooLarge" in refused["reason"]


async def test_the_sweep_reads_only_documents_marked_pending_through_an_index(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    """A sweep used to read every document of the outbox collections, years of them; it now reads
    those marked pending, through the mark's index. A document staged before the mark existed is
    marked once, by a scan recorded per collection; a published document loses its mark."""
    db = mongo[isolated_settings.database("writer")]
    published: list[str] = []

    async def publish(records: list[Record]) -> None:
        published.extend(ProgressReported.model_validate_json(value).key for _, value, _, _ in records)

    history = [{"_id": f"old-{i}", OUTBOX_FIELD: {}} for i in range(5000)]
    await db["reports"].insert_many(history)
    legacy = report("198503122010011001", 1)  # staged by a version without the mark
    legacy_entries = Staged.of("reports", legacy.key, [legacy]).entries
    await db["reports"].insert_one({"_id": legacy.key, OUTBOX_FIELD: legacy_entries})
    relay = OutboxRelay(db, publish, isolated_settings, ["reports"])

    assert await relay.sweep() == 1 and published == [legacy.key]
    assert await db[outbox.MARKERS_COLLECTION].find_one({"_id": "reports"}) is not None

    unnudged = report("198503122010011002", 2)  # staged, and its writer died before the nudge
    await db["reports"].insert_one(
        {"_id": unnudged.key, **Staged.of("reports", unnudged.key, [unnudged]).insert_fields}
    )
    assert await relay.sweep() == 1 and published == [legacy.key, unnudged.key]
    for key in (legacy.key, unnudged.key):
        doc = await db["reports"].find_one({"_id": key})
        assert doc is not None and doc[OUTBOX_FIELD] == {} and outbox.PENDING_FIELD not in doc, doc
    assert await relay.sweep() == 0

    plan = await db.command("explain", {"find": "reports", "filter": {outbox.PENDING_FIELD: outbox.PENDING}})
    assert plan["filterPushdown"] and "USING INDEX" in " ".join(plan["queryPlanner"]["Plan"]), plan


class CountingDatabase:
    """Counts the documents the relay's updates address (a bulk write counts each operation)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.updates = 0

    def __getitem__(self, name: str) -> Any:
        counter, collection = self, self.db[name]

        class Counting:
            def __getattr__(self, attr: str) -> Any:
                method = getattr(collection, attr)
                if attr == "bulk_write":

                    def bulk(ops: list[Any], *args: Any, **kwargs: Any) -> Any:
                        counter.updates += len(ops)
                        return method(ops, *args, **kwargs)

                    return bulk
                if attr in ("update_one", "update_many"):

                    def one(*args: Any, **kwargs: Any) -> Any:
                        counter.updates += 1
                        return method(*args, **kwargs)

                    return one
                return method

        return Counting()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


async def test_a_document_holding_only_the_entry_published_is_cleared_by_one_update(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    """On FerretDB an update costs per document, and marking took two per published document.
    One update clears a document whose outbox is exactly what was published; an entry staged
    meanwhile makes it miss, and that document keeps the new entry and its pending mark."""
    db = mongo[isolated_settings.database("writer")]
    late = report("198503122010011000", 99)  # staged into the first document while publishing

    async def publish(records: list[Record]) -> None:
        await db["reports"].update_one(
            {"_id": late.key}, {"$set": {f"{OUTBOX_FIELD}.{late.event_id}": outbox.outbox_entry(late)}}
        )

    recorded = Recorded()
    counted = CountingDatabase(RecordingDatabase(db, recorded))
    relay = OutboxRelay(counted, publish, isolated_settings, ["reports"])  # type: ignore[arg-type]
    assert await relay.sweep() == 0  # the collection's one-time preparation
    staged = {f"1985031220100110{i:02d}": report(f"1985031220100110{i:02d}", i) for i in range(40)}
    for nip, event in staged.items():
        await insert(relay, db, "reports", nip, event, n=1)  # nudged with the entries as staged
    counted.updates = 0
    recorded.clear()
    pending = []
    while not relay._queue.empty():
        pending.append(relay._queue.get_nowait())
    assert await relay._flush(pending) == 40

    # 40 single updates, of which one misses; that document then takes the two steps.
    assert counted.updates == 40 + 2, counted.updates
    assert await unindexed(db, recorded) == []
    async for doc in db["reports"].find({"_id": {"$in": list(staged)}}):
        if doc["_id"] == late.key:
            assert list(doc[OUTBOX_FIELD]) == [str(late.event_id)] and doc[outbox.PENDING_FIELD] == "1"
        else:
            assert doc[OUTBOX_FIELD] == {} and outbox.PENDING_FIELD not in doc and doc["n"] == 1, doc


async def test_a_quiet_batch_costs_one_update_per_document(
    isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    db = mongo[isolated_settings.database("writer")]

    async def publish(records: list[Record]) -> None:
        return None

    counted = CountingDatabase(db)
    relay = OutboxRelay(counted, publish, isolated_settings, ["reports"])  # type: ignore[arg-type]
    assert await relay.sweep() == 0
    staged = {f"1985031220100110{i:02d}": report(f"1985031220100110{i:02d}", i) for i in range(40)}
    for nip, event in staged.items():
        await insert(relay, db, "reports", nip, event)
    pending = [relay._queue.get_nowait() for _ in range(40)]
    counted.updates = 0
    assert await relay._flush(pending) == 40
    assert counted.updates == 40, counted.updates
    assert await db["reports"].count_documents({outbox.PENDING_FIELD: outbox.PENDING}) == 0
    assert await relay.sweep() == 0  # nothing left to publish again


async def test_only_a_write_that_took_is_published_and_each_event_is_serialised_once(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One outbox call from the write to the publish: a write that missed its revision publishes
    nothing; one that took is published as staged, its event serialised once all the way."""
    serialised: list[str] = []
    original = ProgressReported.model_dump_json

    def spy(self: ProgressReported, *args: Any, **kwargs: Any) -> str:
        serialised.append(str(self.event_id))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ProgressReported, "model_dump_json", spy)
    db = mongo[isolated_settings.database("writer")]
    published: list[bytes] = []

    async def publish(records: list[Record]) -> None:
        published.extend(value for _, value, _, _ in records)

    nip = "198503122010011001"
    await db["reports"].insert_one({"_id": nip, "rev": 2})
    relay = OutboxRelay(db, publish, isolated_settings, ["reports"])
    assert await relay.sweep() == 0  # the collection's one-time preparation

    def at(rev: int) -> Any:
        async def update(staged: Staged) -> bool:
            result = await db["reports"].update_one(
                {"_id": nip, "rev": rev}, {"$set": {"rev": rev + 1, **staged.set_fields}}
            )
            return result.matched_count == 1

        return update

    stale, fresh = report(nip, 1), report(nip, 2)
    assert not await relay.outbox.write("reports", nip, [stale], at(1))
    assert await relay.outbox.write("reports", nip, [fresh], at(2))
    nudged = [relay._queue.get_nowait() for _ in range(relay._queue.qsize())]
    assert [list(s.entries) for s in nudged] == [[str(fresh.event_id)]]
    assert await relay._flush(nudged) == 1
    assert await relay.sweep() == 0  # nothing else staged: the stale write wrote nothing

    doc = await db["reports"].find_one({"_id": nip})
    assert doc is not None and doc["rev"] == 3 and doc[OUTBOX_FIELD] == {} and outbox.PENDING_FIELD not in doc
    assert [ProgressReported.model_validate_json(v).event_id for v in published] == [fresh.event_id]
    assert serialised == [str(stale.event_id), str(fresh.event_id)]
