"""The in-memory fake (tests/feedback/memory.py) and the real FeedbackStore keep the same contract:
each case runs on both, the real one on FerretDB, so that the service's unit tests over the fake
say something about the service over the real store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from services.feedback.store import FeedbackStorage, FeedbackStore
from shared.events.feedback import Employee, EmployeeUpserted
from shared.settings import Settings
from tests.feedback.memory import MemoryStore

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
NIP = "198503122010011002"


@pytest.fixture(params=["memory", "ferretdb"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[FeedbackStorage]:
    if request.param == "memory":
        yield MemoryStore()
        return
    settings = Settings()
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(settings.mongo_url, tz_aware=True)
    db = client[f"tcontract{uuid.uuid4().hex[:8]}_feedback"]
    real = FeedbackStore(db)
    await real.ensure_indexes()
    try:
        yield real
    finally:
        await client.drop_database(db.name)
        client.close()


def upserted() -> EmployeeUpserted:
    """An event for a row of a bulk upsert (which the store stages, never reads)."""
    employee = Employee(nip=NIP, name="Siti", position="Staf", unit_id="u", employment_type="PNS")
    built: EmployeeUpserted = EmployeeUpserted.build(
        region="r", correlation_id="test", producer="feedback", key=NIP, employee=employee
    )
    return built


async def test_a_versioned_write_needs_the_revision_it_read(store: FeedbackStorage) -> None:
    assert await store.write_cycle("c1", 0, {"region": "r", "status": "open"}, [])
    assert not await store.write_cycle("c1", 0, {"region": "r", "status": "open"}, [])  # id taken
    assert await store.write_cycle("c1", 1, {"status": "closed"}, [])
    assert not await store.write_cycle("c1", 1, {"status": "open"}, [])  # someone wrote first
    assert not await store.write_plan("nowhere", 1, {"status": "submitted"}, [])
    # The document as read: its fields and revision, no outbox.
    assert await store.cycle("c1") == {"_id": "c1", "rev": 2, "region": "r", "status": "closed"}
    assert await store.cycle("c1", cached=True) == await store.cycle("c1")
    assert await store.plan("nowhere") is None


async def test_employees_page_by_nip_after_a_key_within_a_unit_or_a_supervisor(
    store: FeedbackStorage,
) -> None:
    rows = [
        (f"n{i}", {"unit_id": f"u{i % 2}", "supervisor_nip": "n0" if i else None}, upserted())
        for i in (5, 0, 3, 1, 4, 2)
    ]
    assert await store.upsert_employees("r", rows) == set()
    assert await store.upsert_employee("other", "x1", {"unit_id": "u0", "supervisor_nip": "n0"}, [])

    def nips(docs: list[dict[str, Any]]) -> list[str]:
        return [d["_id"] for d in docs]

    assert nips(await store.employees_page("r", None, 4)) == ["n0", "n1", "n2", "n3"]
    assert nips(await store.employees_page("r", "n3", 4)) == ["n4", "n5"]
    assert nips(await store.employees_page("r", "n0", 10, unit_id="u0")) == ["n2", "n4"]
    assert nips(await store.employees_page("r", None, 2, supervisor_nip="n0")) == ["n1", "n2"]
    assert await store.region_employee("r", "x1") is None
    assert (await store.region_employee("other", "x1") or {})["unit_id"] == "u0"


async def test_a_nip_of_another_region_is_refused_alone(store: FeedbackStorage) -> None:
    assert await store.upsert_employee("other", "x1", {"name": "A"}, [])
    assert not await store.upsert_employee("r", "x1", {"name": "B"}, [])
    rows = [("n1", {"name": "C"}, upserted()), ("x1", {"name": "D"}, upserted())]
    assert await store.upsert_employees("r", rows) == {1}
    assert (await store.employee("x1") or {})["name"] == "A"
    assert await store.region_nips("r") == {"n1"}
    assert await store.foreign_nips("r", ["n1", "x1", "n9"]) == {"x1"}
    assert await store.existing_nips("r", ["n1", "x1", "n9"]) == {"n1"}


async def test_lists_come_in_their_order(store: FeedbackStorage) -> None:
    for i in (2, 0, 1):
        at = (T0 + timedelta(hours=i)).isoformat()
        assert await store.add_progress(f"p{i}", {"cycle_id": "c", "nip": "n", "reported_at": at}, [])
        assert await store.add_note(f"m{i}", {"nip": "n", "written_at": at}, [])
        assert await store.write_cycle(f"c{i}", 0, {"region": "r", "cycle_id": f"c{i}"}, [])
    assert await store.add_progress("other", {"cycle_id": "c", "nip": "m", "reported_at": T0.isoformat()}, [])
    assert [d["_id"] for d in await store.progress_reports("c", "n")] == ["p0", "p1", "p2"]
    assert [d["_id"] for d in await store.notes_of("n")] == ["m0", "m1", "m2"]
    assert [d["_id"] for d in await store.region_cycles("r")] == ["c0", "c1", "c2"]
    assert await store.write_submission("s1", 0, {"cycle_id": "c", "ratee_nip": "n"}, [])
    assert await store.write_submission("s2", 0, {"cycle_id": "c", "ratee_nip": "m"}, [])
    assert [d["_id"] for d in await store.submissions_for("c", "n")] == ["s1"]
    assert (await store.submission("s2") or {})["ratee_nip"] == "m"


async def test_units_and_teams_are_kept_by_region(store: FeedbackStorage) -> None:
    await store.put_unit("r", "u2", {"unit_id": "u2", "name": "Dua"})
    await store.put_unit("r", "u1", {"unit_id": "u1", "name": "Satu"})
    await store.put_unit("r", "u1", {"unit_id": "u1", "name": "Satu baru"})
    await store.put_unit("other", "u3", {"unit_id": "u3", "name": "Tiga"})
    await store.put_team("r", "t1", {"team_id": "t1", "unit_id": "u2", "name": "Tim"})
    assert [(d["unit_id"], d["name"]) for d in await store.units("r")] == [("u1", "Satu baru"), ("u2", "Dua")]
    assert await store.unit_ids("r") == {"u1", "u2"}
    assert await store.team_units("r") == {"t1": "u2"}
    assert [d["team_id"] for d in await store.teams("r")] == ["t1"]
    assert (await store.unit("r", "u2") or {})["name"] == "Dua"
    assert await store.unit("r", "u3") is None


async def test_the_audit_log_pages_newest_first_and_hits_count_per_window(store: FeedbackStorage) -> None:
    for i in range(5):
        await store.audit({"region": "r", "at": T0 + timedelta(minutes=i), "action": f"a{i}"})
    await store.audit({"region": "other", "at": T0, "action": "elsewhere"})
    first = await store.audit_entries("r", None, None, 2)
    assert [e["action"] for e in first] == ["a4", "a3"]
    rest = await store.audit_entries("r", T0 + timedelta(minutes=1), first[-1]["page_key"], 10)
    assert [e["action"] for e in rest] == ["a2", "a1"]
    assert [await store.hit("ip", 7) for _ in range(3)] + [await store.hit("ip", 8)] == [1, 2, 3, 1]
