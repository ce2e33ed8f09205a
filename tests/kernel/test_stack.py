"""The first connected tests: FastStream on the real broker, motor on the real database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
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


async def test_an_in_on_ids_goes_through_the_id_index_and_finds_exactly_its_documents(
    mongo: AsyncIOMotorClient[dict[str, Any]], settings: Settings
) -> None:
    """Unpatched FerretDB 1.24 answers ``_id: {$in: [...]}`` by scanning the whole collection, as
    scoring reads a batch's inputs, employees and scores; the stack's patch pushes it down to the
    ``_id`` index (explain's ``filterPushdown``). The handler filters the rows again, so whatever
    else the filter says still holds."""
    db = mongo[settings.database("stack")]
    name = f"in_{uuid.uuid4().hex[:6]}"
    await db[name].insert_many([{"_id": f"k{i}", "odd": i % 2} for i in range(200)])
    ids = ["k1", "k2", "k3", "k150", "missing"]

    async def explained(query: dict[str, Any]) -> bool:
        return bool((await db.command("explain", {"find": name, "filter": query})).get("filterPushdown"))

    assert await explained({"_id": {"$in": ids}})
    # The first patch: the lookup expression is the one the _id index is built on.
    by_id = await db.command("explain", {"find": name, "filter": {"_id": "k1", "odd": 1}})
    assert "USING INDEX" in " ".join(by_id["queryPlanner"]["Plan"]), by_id["queryPlanner"]
    assert {d["_id"] async for d in db[name].find({"_id": {"$in": ids}})} == {"k1", "k2", "k3", "k150"}
    assert {d["_id"] async for d in db[name].find({"_id": {"$in": ids}, "odd": 1})} == {"k1", "k3"}
    # Values the _id column cannot be compared with as they are stay with the scan, and still match.
    assert not await explained({"_id": {"$in": ["k1", 7]}})
    assert {d["_id"] async for d in db[name].find({"_id": {"$in": ["k1", 7]}})} == {"k1"}
    result = await db[name].update_many({"_id": {"$in": ids}}, {"$set": {"seen": True}})
    assert result.modified_count == 4
    assert await db[name].count_documents({"seen": True}) == 4


async def test_equality_and_in_on_indexed_fields_go_through_their_indexes_and_find_exactly_their_documents(
    mongo: AsyncIOMotorClient[dict[str, Any]], settings: Settings
) -> None:
    """Unpatched FerretDB 1.24 pushes nothing but ``_id`` down to SQLite: a find by an indexed
    field read and decoded the whole collection (docs/ferretdb.md). The stack's third patch
    answers equality and ``$in`` of strings on the top-level keys of any index, and compound-index
    prefixes, through the SQLite index built on the same expression. The handler filters the rows
    again, so the rest of a filter still holds, and unindexed fields keep the scan."""
    db = mongo[settings.database("stack")]
    name = f"idx_{uuid.uuid4().hex[:6]}"
    coll = db[name]
    await coll.create_index([("nip", 1)])
    await coll.create_index([("cycle_id", 1), ("unit_id", 1)])
    await coll.insert_many(
        [
            {
                "_id": f"d{i}",
                "nip": f"n{i % 50}",
                "cycle_id": f"c{i % 4}",
                "unit_id": f"u{i % 5}",
                "odd": i % 2,
            }
            for i in range(400)
        ]
    )

    async def plan(query: dict[str, Any]) -> tuple[bool, str]:
        found = await db.command("explain", {"find": name, "filter": query})
        return bool(found.get("filterPushdown")), " ".join(found["queryPlanner"]["Plan"])

    def ids(i_s: range | list[int], keep: Any) -> set[str]:
        return {f"d{i}" for i in i_s if keep(i)}

    cases: list[tuple[dict[str, Any], str, set[str]]] = [
        ({"nip": "n7"}, "_nip_1", ids(range(400), lambda i: i % 50 == 7)),
        ({"nip": {"$in": ["n7", "n8"]}}, "_nip_1", ids(range(400), lambda i: i % 50 in (7, 8))),
        ({"nip": "n7", "odd": 1}, "_nip_1", ids(range(400), lambda i: i % 50 == 7 and i % 2)),
        ({"cycle_id": "c1"}, "_cycle_id_1_unit_id_1", ids(range(400), lambda i: i % 4 == 1)),
        (
            {"cycle_id": "c1", "unit_id": "u2"},
            "_cycle_id_1_unit_id_1",
            ids(range(400), lambda i: i % 4 == 1 and i % 5 == 2),
        ),
    ]
    for query, index, expected in cases:
        pushed, detail = await plan(query)
        assert (
            pushed and "USING INDEX" in detail and detail.split("USING INDEX ")[1].split()[0].endswith(index)
        ), (
            query,
            detail,
        )
        assert {d["_id"] async for d in coll.find(query)} == expected, query
        assert await coll.count_documents(query) == len(expected), query
    # An unindexed field, and values the index expression cannot be compared with, keep the scan.
    for query in ({"odd": 1}, {"nip": 7}, {"nip": {"$in": ["n7", 7]}}, {"nip": {"$ne": "n7"}}):
        pushed, detail = await plan(query)
        assert not pushed and "SCAN" in detail, (query, detail)
    assert {d["_id"] async for d in coll.find({"nip": {"$in": ["n7", 7]}})} == ids(
        range(400), lambda i: i % 50 == 7
    )
    # Updates and deletes take the same path.
    assert (await coll.update_many({"nip": "n9"}, {"$set": {"seen": True}})).modified_count == 8
    assert await coll.count_documents({"seen": True}) == 8
    assert (await coll.delete_many({"cycle_id": "c3", "unit_id": "u0"})).deleted_count == 20


async def test_a_one_field_sort_with_a_limit_reads_only_the_first_rows_of_the_index(
    mongo: AsyncIOMotorClient[dict[str, Any]], settings: Settings
) -> None:
    """A newest-first list with a limit (an audit log, an inbox) read every matching document and
    sorted them in memory, so a page cost what the whole history cost. The stack's fourth patch
    lets SQLite walk the index in order and stop at the limit, when the filter is answered whole
    by the index; otherwise (another condition, a skip) FerretDB sorts as before."""
    db = mongo[settings.database("stack")]
    name = f"sorted_{uuid.uuid4().hex[:6]}"
    coll = db[name]
    await coll.create_index([("region", 1), ("at", -1)])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    docs = [
        {
            "_id": f"e{i}",
            "region": "marelan" if i % 3 else "plaju",
            "at": start + timedelta(minutes=(i * 7919) % 5000),
        }
        for i in range(600)
    ]
    await coll.insert_many(docs)
    newest = sorted((d for d in docs if d["region"] == "marelan"), key=lambda d: d["at"], reverse=True)

    plan = await db.command(
        "explain", {"find": name, "filter": {"region": "marelan"}, "sort": {"at": -1}, "limit": 20}
    )
    assert plan["sortPushdown"] and plan["limitPushdown"], plan
    detail = " ".join(plan["queryPlanner"]["Plan"])
    assert "USING INDEX" in detail and "TEMP B-TREE" not in detail, detail
    page = [d["_id"] async for d in coll.find({"region": "marelan"}).sort("at", -1).limit(20)]
    assert page == [d["_id"] for d in newest[:20]]

    # Not answered whole by the index, or skipped into: sorted by FerretDB, still right.
    other = await db.command(
        "explain", {"find": name, "filter": {"region": "marelan", "x": None}, "sort": {"at": -1}, "limit": 20}
    )
    assert not other["sortPushdown"], other
    oldest = [d["_id"] async for d in coll.find({"region": "marelan", "x": None}).sort("at", 1).limit(5)]
    assert oldest == [d["_id"] for d in newest[::-1][:5]]
    skipped = [d["_id"] async for d in coll.find({"region": "marelan"}).sort("at", -1).skip(20).limit(5)]
    assert skipped == [d["_id"] for d in newest[20:25]]


async def test_a_page_after_a_key_is_an_index_range_and_the_pages_hold_every_document_once(
    mongo: AsyncIOMotorClient[dict[str, Any]], settings: Settings
) -> None:
    """Paging by key ("the 20 after this one") is a range on the sorted field. Without the stack's
    fifth patch FerretDB answered the range itself: every page read the whole region, so paging
    by key cost what an offset did. With it, a range of plain strings, ObjectIds or dates on an
    indexed field is an index range that SQLite walks in order and stops at the limit."""
    db = mongo[settings.database("stack")]
    name = f"paged_{uuid.uuid4().hex[:6]}"
    coll = db[name]
    await coll.create_index([("region", 1), ("_id", 1)])
    await coll.create_index([("owner", 1), ("at", -1)])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    docs = [
        {
            "_id": f"1990{i * 7919 % 1000:04d}",
            "region": "marelan" if i % 3 else "plaju",
            "owner": "hr:marelan" if i % 2 else "hr:plaju",
            "at": start + timedelta(minutes=i * 7),
        }
        for i in range(1000)
    ]
    await coll.insert_many(docs)

    async def walk(query: dict[str, Any], key: str, direction: int, bound: str) -> list[str]:
        """Every page of 20, each asked for after the last key of the one before."""
        seen: list[str] = []
        after: Any = None
        while True:
            page_filter = query if after is None else {**query, key: {bound: after}}
            plan = await db.command(
                "explain", {"find": name, "filter": page_filter, "sort": {key: direction}, "limit": 20}
            )
            detail = " ".join(plan["queryPlanner"]["Plan"])
            assert plan["filterPushdown"] and plan["sortPushdown"] and plan["limitPushdown"], (
                page_filter,
                plan,
            )
            assert "USING INDEX" in detail and "TEMP B-TREE" not in detail, (page_filter, detail)
            page = [d async for d in coll.find(page_filter).sort(key, direction).limit(20)]
            if not page:
                return seen
            seen += [d["_id"] for d in page]
            after = page[-1][key]

    marelan = sorted(d["_id"] for d in docs if d["region"] == "marelan")
    assert await walk({"region": "marelan"}, "_id", 1, "$gt") == marelan
    newest = [d["_id"] for d in sorted(docs, key=lambda d: d["at"], reverse=True) if d["owner"] == "hr:plaju"]
    assert await walk({"owner": "hr:plaju"}, "at", -1, "$lt") == newest

    # Bounds the index does not order as MongoDB does stay with FerretDB, and are still right.
    for query in (
        {"region": "marelan", "_id": {"$gt": "1990 0500"}},
        {"region": "marelan", "_id": {"$gt": 19900500}},
        {"region": "marelan", "_id": {"$gt": "19900500", "$ne": "19900600"}},
        {"owner": "hr:plaju", "at": {"$lt": datetime(1999, 1, 1, tzinfo=UTC)}},
    ):
        plan = await db.command("explain", {"find": name, "filter": query, "sort": {"_id": 1}, "limit": 5})
        assert not plan["sortPushdown"], (query, plan)
    spaced = coll.find({"region": "marelan", "_id": {"$gt": "1990 0500"}}).sort("_id", 1)
    assert [d["_id"] async for d in spaced] == marelan
    window = coll.find({"region": "marelan", "_id": {"$gte": "19900500", "$lt": "19900600"}}).sort("_id", 1)
    assert [d["_id"] async for d in window] == [n for n in marelan if "19900500" <= n < "19900600"]
