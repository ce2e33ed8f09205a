"""The feedback store's short-lived cache of employees and cycles (``FeedbackStore.employee`` and
``.cycle`` with ``cached=True``), on the real database: what another replica changes is seen once
the cache's lifetime is over, what this process changes at once, and fresh reads never come from
the cache."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from services.feedback.store import CYCLES, FeedbackStore
from shared.events.feedback import Employee, EmployeeUpserted
from shared.mongo import Database
from shared.settings import Settings

NIP = "198503122010011002"


@pytest.fixture
async def db(mongo: AsyncIOMotorClient[dict[str, Any]], settings: Settings) -> AsyncIterator[Database]:
    database = mongo[f"{settings.db_prefix}{uuid.uuid4().hex[:6]}_feedback"]
    yield database
    await mongo.drop_database(database.name)


async def status(store: FeedbackStore, cycle_id: str = "c1") -> Any:
    doc = await store.cycle(cycle_id, cached=True)
    return doc["status"] if doc else None


async def test_another_replicas_change_waits_for_the_cache_this_processs_is_seen_at_once(
    db: Database,
) -> None:
    mine, other = FeedbackStore(db, cache_s=600), FeedbackStore(db, cache_s=600)
    assert await mine.write_cycle("c1", 0, {"region": "r", "status": "open"}, [])
    assert await status(mine) == "open"
    assert await other.write_cycle("c1", 1, {"status": "closed"}, [])
    assert await status(mine) == "open"  # the other replica's close, within the cache's lifetime
    fresh = await mine.cycle("c1")
    assert fresh is not None and fresh["status"] == "closed"  # reads for a change never use it
    assert await mine.write_cycle("c1", 2, {"status": "open"}, [])
    assert await status(mine) == "open"
    assert await mine.write_cycle("c1", 3, {"status": "closed"}, [])
    assert await status(mine) == "closed"  # this process's own write: at once


async def test_a_change_elsewhere_is_seen_once_the_lifetime_is_over(db: Database) -> None:
    mine, other = FeedbackStore(db, cache_s=0.3), FeedbackStore(db)
    assert await mine.write_cycle("c1", 0, {"region": "r", "status": "open"}, [])
    assert await status(mine) == "open"
    assert await other.write_cycle("c1", 1, {"status": "closed"}, [])
    await asyncio.sleep(0.6)
    assert await status(mine) == "closed"


async def test_employee_writes_of_this_process_empty_their_entries(db: Database) -> None:
    store = FeedbackStore(db, cache_s=600)
    assert await store.upsert_employee("r", NIP, {"supervisor_nip": "s1"}, [])
    assert (await store.employee(NIP, cached=True) or {})["supervisor_nip"] == "s1"
    assert await store.upsert_employee("r", NIP, {"supervisor_nip": "s2"}, [])
    assert (await store.employee(NIP, cached=True) or {})["supervisor_nip"] == "s2"
    assert await store.upsert_employees("r", [(NIP, {"supervisor_nip": "s3"}, _event())]) == set()
    assert (await store.employee(NIP, cached=True) or {})["supervisor_nip"] == "s3"


async def test_absent_documents_are_not_cached_and_zero_turns_the_cache_off(db: Database) -> None:
    cached, uncached, other = FeedbackStore(db, cache_s=600), FeedbackStore(db, cache_s=0), FeedbackStore(db)
    assert await status(cached) is None
    assert await other.write_cycle("c1", 0, {"region": "r", "status": "open"}, [])
    assert await status(cached) == "open"  # a miss was not remembered
    assert await status(uncached) == "open"
    assert await other.write_cycle("c1", 1, {"status": "closed"}, [])
    assert await status(uncached) == "closed"


def _event() -> EmployeeUpserted:
    employee = Employee(
        nip=NIP, name="Siti", position="Staf", unit_id="u", supervisor_nip="s3", employment_type="PNS"
    )
    built: EmployeeUpserted = EmployeeUpserted.build(
        region="r", correlation_id="test", producer="feedback", key=NIP, employee=employee
    )
    return built


async def test_a_read_made_while_this_process_writes_does_not_outlive_the_write(db: Database) -> None:
    store = FeedbackStore(db, cache_s=600)
    assert await store.write_cycle("c1", 0, {"region": "r", "status": "open"}, [])
    async with store.outbox.locks.hold(CYCLES, "c1"):  # the write below begins, then waits here
        writing = asyncio.create_task(store.write_cycle("c1", 1, {"status": "closed"}, []))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not writing.done()
        assert await status(store) == "open"  # read during the write: the version before it
    assert await writing
    assert await status(store) == "closed"  # not the copy read during the write
