"""Finalisation streams a cycle in batches; the result must not depend on the batch size.

The curve of a unit is decided over all of its members, so a unit whose members fall into
different batches must get the same violations and proposals as when the cycle is one batch.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from services.scoring.service import ScoringService, finalisation
from services.scoring.service.finalisation import unit_blocks
from services.scoring.store import ScoringStore
from shared.outbox import OUTBOX_FIELD, OutboxRelay
from shared.plugins.manager import build_registry
from shared.settings import Settings
from tools.workload import cycle_id
from tools.workload.stored import closing, stored_inputs

EMPLOYEES = 130  # three units of the workload (50, 50, 30): the last batch is a short one


def test_units_are_read_in_blocks_of_whole_units_in_id_order() -> None:
    units = {"u2": ["n3", "n1"], "u1": ["n2"], "u3": ["n4", "n5", "n6"], "u4": ["n7"], "u5": list("abcde")}
    assert unit_blocks(units, 3) == [
        [("u1", ["n2"]), ("u2", ["n1", "n3"])],
        [("u3", ["n4", "n5", "n6"])],
        [("u4", ["n7"])],
        [("u5", ["a", "b", "c", "d", "e"])],  # larger than a block: its curve needs every member
    ]


async def _seed(db: Any) -> str:
    """The workload's employees and inputs, and its cycle, open; returns the cycle id."""
    for chunk in stored_inputs(EMPLOYEES):
        await db["employees"].insert_many([c["employee"] for c in chunk])
        await db["inputs"].insert_many([c["inputs"] for c in chunk])
    cid = cycle_id("marelan")
    await db["cycles"].insert_one({"_id": cid, "region": "marelan", "status": "open"})
    return cid


async def _finalise(db: Any, settings: Settings) -> dict[str, dict[str, Any]]:
    published: dict[str, dict[str, Any]] = {}

    async def publish(records: list[tuple[str, bytes, bytes, dict[str, str]]]) -> None:
        for _, value, key, _ in records:
            event = json.loads(value)
            del event["occurred_at"]  # when it was built; everything else comes from the inputs
            assert key.decode() not in published, "one final score event per employee"
            published[key.decode()] = event

    await _seed(db)
    service = ScoringService(ScoringStore(db), OutboxRelay(db, publish, settings), build_registry())
    written = await service.finalize_cycle(closing(EMPLOYEES))
    assert written == EMPLOYEES
    docs = {doc["nip"]: doc async for doc in db["finals"].find({})}
    assert published.keys() == docs.keys()
    for nip, doc in docs.items():
        assert OUTBOX_FIELD not in doc  # published directly: nothing left to mark
        doc["event"] = published[nip]
    return docs


async def test_finalising_in_batches_gives_what_one_batch_gives(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = [f"{isolated_settings.db_prefix}_fin_small", f"{isolated_settings.db_prefix}_fin_whole"]
    try:
        monkeypatch.setattr(finalisation, "FINAL_BATCH", 7)
        small = await _finalise(mongo[names[0]], isolated_settings)
        monkeypatch.setattr(finalisation, "FINAL_BATCH", 10_000)
        whole = await _finalise(mongo[names[1]], isolated_settings)
    finally:
        for name in names:
            await mongo.drop_database(name)

    assert len(small) == EMPLOYEES
    # Not vacuous: the workload's units break their curves, so there is something to compare.
    assert any(doc["violations"] for doc in whole.values())
    assert any(doc["proposed_predicate"] for doc in whole.values())
    for nip, doc in whole.items():
        assert small[nip] == doc, nip


async def test_a_finalisation_that_fails_half_way_is_completed_by_the_next_run(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The broker goes away after two batches; the cycle stays closing, and running the
    finalisation again (as the close watcher does, or a restarted instance) publishes what was
    missing with the same event ids and leaves the stored scores of an uninterrupted run."""
    monkeypatch.setattr(finalisation, "FINAL_BATCH", 7)
    names = [f"{isolated_settings.db_prefix}_fin_clean", f"{isolated_settings.db_prefix}_fin_crash"]
    try:
        clean = await _finalise(mongo[names[0]], isolated_settings)
        db = mongo[names[1]]
        cid = await _seed(db)
        published: list[str] = []
        calls = 0

        async def failing(records: list[tuple[str, bytes, bytes, dict[str, str]]]) -> None:
            nonlocal calls
            calls += 1
            if calls > 2:
                raise OSError("broker unreachable")
            published.extend(json.loads(value)["event_id"] for _, value, _, _ in records)

        first = ScoringService(
            ScoringStore(db), OutboxRelay(db, failing, isolated_settings), build_registry()
        )
        with pytest.raises(OSError):
            await first.finalize_cycle(closing(EMPLOYEES))
        cycle = await db["cycles"].find_one({"_id": cid})
        assert cycle is not None and cycle["status"] == "closing"
        assert len(published) == 14 and await db["finals"].count_documents({"status": "final"}) == 14

        async def working(records: list[tuple[str, bytes, bytes, dict[str, str]]]) -> None:
            published.extend(json.loads(value)["event_id"] for _, value, _, _ in records)

        second = ScoringService(
            ScoringStore(db), OutboxRelay(db, working, isolated_settings), build_registry()
        )
        assert await second.finalize(cid) == EMPLOYEES - 14  # the 14 stored ones stand
        docs = {doc["nip"]: doc async for doc in db["finals"].find({})}
        cycle = await db["cycles"].find_one({"_id": cid})
    finally:
        for name in names:
            await mongo.drop_database(name)

    assert cycle is not None and cycle["status"] == "closed"
    assert sorted(published) == sorted(doc["event"]["event_id"] for doc in clean.values())
    for nip, doc in clean.items():
        del doc["event"]
        assert docs[nip] == doc, nip
