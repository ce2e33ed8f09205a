"""Every database call of the scoring service.

Collections (database ``<prefix>_scoring``):

- ``employees``: the directory, from EmployeeUpserted (unit, team, supervisor, service role).
- ``cycles``: open/closed state and the organisation predicates given at close.
- ``inputs``: one document per cycle and employee; each input is stored under its event id
  (``plans.<id>``, ``achievements.<id>``, ``feedback.<id>``), so a redelivery rewrites the same
  key. Inputs are kept as light lists, not event JSON, so finalising a large cycle does not
  re-validate every event.
- ``scores``: one document per cycle and employee with the latest score, its status
  (provisional / final), revision, digest and the outbox of score events.
  Calibration decisions are audited inside the score document (``audit``), in the same write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne

from shared import outbox
from shared.events.base import Event
from shared.mongo import Database
from shared.outbox import DocumentLocks

EMPLOYEES, CYCLES, INPUTS, SCORES = "employees", "cycles", "inputs", "scores"

#: The fields of an employee that scoring reads (``mapping.to_cycle_inputs`` and the region).
SCORING_FIELDS = {"region": 1, "unit_id": 1, "team_id": 1, "service_role": 1}
#: What finalisation needs of a stored score to decide whether it is new: not the score itself.
SCORE_STATE_FIELDS = {"cycle_id": 1, "nip": 1, "status": 1, "revision": 1, "digest": 1}


def doc_id(cycle_id: str, nip: str) -> str:
    return f"{cycle_id}|{nip}"


class ScoringStore:
    def __init__(self, db: Database, locks: DocumentLocks | None = None) -> None:
        self.db = db
        # Shared with the outbox relay: FerretDB v1 can lose one of two concurrent updates.
        self.locks = locks or DocumentLocks()

    async def ensure_indexes(self) -> None:
        await self.db[INPUTS].create_index([("cycle_id", ASCENDING)])
        await self.db[SCORES].create_index([("cycle_id", ASCENDING), ("unit_id", ASCENDING)])
        await self.db[SCORES].create_index([("nip", ASCENDING)])
        await self.db[EMPLOYEES].create_index([("region", ASCENDING)])

    # ------------------------------------------------------------------ directory and cycles
    async def upsert_employees(self, docs: Iterable[tuple[str, dict[str, Any]]]) -> None:
        ops = [UpdateOne({"_id": nip}, {"$set": doc}, upsert=True) for nip, doc in docs]
        if ops:
            await self.db[EMPLOYEES].bulk_write(ops, ordered=False)

    async def employees(self, nips: Iterable[str]) -> dict[str, dict[str, Any]]:
        cursor = self.db[EMPLOYEES].find({"_id": {"$in": list(set(nips))}})
        return {doc["_id"]: doc async for doc in cursor}

    async def region_employees(self, region: str) -> dict[str, dict[str, Any]]:
        """What scoring needs of every employee of ``region`` (:data:`SCORING_FIELDS`): one scan,
        where a ``$in`` of a whole cycle's NIPs would make FerretDB compare every document with
        every NIP."""
        cursor = self.db[EMPLOYEES].find({"region": region}, SCORING_FIELDS).batch_size(5000)
        return {doc["_id"]: doc async for doc in cursor}

    async def employee(self, nip: str) -> dict[str, Any] | None:
        return await self.db[EMPLOYEES].find_one({"_id": nip})

    async def set_cycle(self, cycle_id: str, fields: Mapping[str, Any]) -> None:
        await self.db[CYCLES].update_one({"_id": cycle_id}, {"$set": dict(fields)}, upsert=True)

    async def cycles_with_status(self, status: str) -> list[dict[str, Any]]:
        return [doc async for doc in self.db[CYCLES].find({"status": status})]

    async def cycle(self, cycle_id: str) -> dict[str, Any] | None:
        return await self.db[CYCLES].find_one({"_id": cycle_id})

    # ------------------------------------------------------------------ inputs
    async def add_inputs(self, updates: Mapping[tuple[str, str], Mapping[str, Any]]) -> None:
        """``$set`` input entries (keyed by event id) on each (cycle, nip) inputs document."""
        ops = [
            UpdateOne(
                {"_id": doc_id(cycle, nip)},
                {"$set": {"cycle_id": cycle, "nip": nip, **fields}},
                upsert=True,
            )
            for (cycle, nip), fields in updates.items()
        ]
        if ops:
            await self.db[INPUTS].bulk_write(ops, ordered=False)

    async def inputs(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        ids = [doc_id(c, n) for c, n in keys]
        cursor = self.db[INPUTS].find({"_id": {"$in": ids}})
        return {(doc["cycle_id"], doc["nip"]): doc async for doc in cursor}

    async def cycle_inputs(
        self, cycle_id: str, fields: Mapping[str, int] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every inputs document of the cycle, streamed; ``fields`` projects them."""
        cursor = self.db[INPUTS].find({"cycle_id": cycle_id}, dict(fields) if fields else None)
        async for doc in cursor.batch_size(1000):
            yield doc

    # ------------------------------------------------------------------ scores
    async def scores(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        ids = [doc_id(c, n) for c, n in keys]
        cursor = self.db[SCORES].find({"_id": {"$in": ids}}, {"_outbox": 0})
        return {(doc["cycle_id"], doc["nip"]): doc async for doc in cursor}

    async def cycle_score_states(self, cycle_id: str) -> dict[tuple[str, str], dict[str, Any]]:
        """Status, revision and digest of every score of the cycle, keyed like :meth:`scores`, in
        one scan (:data:`SCORE_STATE_FIELDS`; a cycle of 100,000 scores would not fit in memory)."""
        cursor = self.db[SCORES].find({"cycle_id": cycle_id}, SCORE_STATE_FIELDS).batch_size(5000)
        return {(doc["cycle_id"], doc["nip"]): doc async for doc in cursor}

    async def score(self, cycle_id: str, nip: str) -> dict[str, Any] | None:
        return await self.db[SCORES].find_one({"_id": doc_id(cycle_id, nip)}, {"_outbox": 0})

    async def cycle_scores(self, cycle_id: str, unit_id: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"cycle_id": cycle_id}
        if unit_id is not None:
            query["unit_id"] = unit_id
        return [doc async for doc in self.db[SCORES].find(query, {"_outbox": 0})]

    async def employee_scores(self, nip: str) -> list[dict[str, Any]]:
        return [doc async for doc in self.db[SCORES].find({"nip": nip}, {"_outbox": 0}).sort("cycle_id")]

    async def save_scores(self, writes: Iterable[tuple[dict[str, Any], Event]]) -> list[tuple[str, Event]]:
        """Write score documents, each with its event staged in the same document write."""
        ops, staged = [], []
        for fields, event in writes:
            key = fields["_id"]
            ops.append(UpdateOne({"_id": key}, {"$set": {**fields, **outbox.stage([event])}}, upsert=True))
            staged.append((key, event))
        if ops:
            async with self.locks.hold_all((SCORES, k) for k, _ in staged):
                await self.db[SCORES].bulk_write(ops, ordered=False)
        return staged

    async def save_final_scores(self, docs: Iterable[dict[str, Any]]) -> None:
        """Write final scores whose events the caller has already published (no outbox)."""
        docs = list(docs)
        if docs:
            ops = [UpdateOne({"_id": doc["_id"]}, {"$set": doc}, upsert=True) for doc in docs]
            async with self.locks.hold_all((SCORES, doc["_id"]) for doc in docs):
                await self.db[SCORES].bulk_write(ops, ordered=False)

    async def record_calibration(
        self, key: str, fields: Mapping[str, Any], event: Event, audit: Mapping[str, Any]
    ) -> None:
        """The decision, its audit entry and its event in one document write."""
        async with self.locks.hold(SCORES, key):
            await self._calibration_write(key, fields, event, audit)

    async def _calibration_write(
        self, key: str, fields: Mapping[str, Any], event: Event, audit: Mapping[str, Any]
    ) -> None:
        await self.db[SCORES].update_one(
            {"_id": key},
            {
                "$set": {**fields, **outbox.stage([event])},
                "$inc": {"calibrations": 1},
                "$push": {"audit": {**audit, "at": datetime.now(UTC)}},
            },
        )
