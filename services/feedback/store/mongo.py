"""The feedback service's collections in MongoDB (FerretDB): :class:`FeedbackStore`.

Each state change is one single-document write that also stages its events in the document's
outbox (FerretDB has no transactions). Optimistic concurrency uses a ``rev`` counter: a write
names the revision it read, and a lost race shows as "no document matched" so the caller retries.
Everything stays inside what FerretDB supports: no $lookup, no change streams, no $elemMatch.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from cachetools import TTLCache
from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from services.feedback.store import migration
from services.feedback.store.collection import (
    ACHIEVEMENTS,
    AUDIT,
    CYCLES,
    EMPLOYEES,
    NOTES,
    PLANS,
    PROGRESS,
    RATE_LIMITS,
    REFERENCE_COLLECTIONS,
    SUBMISSIONS,
    TEAMS,
    UNITS,
)
from shared import outbox
from shared.events.base import Event
from shared.mongo import Database, InsertBatcher, in_chunks, insert_new, page_key, time_key
from shared.outbox import Outbox, Staged

BULK_CHUNK = 500
_NO_OUTBOX = outbox.HIDDEN
REFERENCE_CACHE_SIZE = 200_000


class FeedbackStore:
    """The feedback service's collections, behind methods named after what they do."""

    def __init__(self, db: Database, outbox: Outbox | None = None, *, cache_s: float = 0.0) -> None:
        self.db = db
        # The relay's (``kit.relay.outbox``): writes stage their events and nudge it in one call.
        self.outbox = outbox or Outbox()
        self._inserts: dict[str, InsertBatcher] = {}
        self._reference: TTLCache[tuple[str, str], dict[str, Any]] | None = (
            TTLCache(REFERENCE_CACHE_SIZE, cache_s) if cache_s > 0 else None
        )
        # Bumped by every write to a reference collection: a read that started before it must not
        # put what it read into the cache (it may predate the write).
        self._reference_writes = 0

    async def ensure_indexes(self) -> None:
        # Lists page by NIP: a region's employees, a supervisor's direct reports (docs/ferretdb.md).
        await self.db[EMPLOYEES].create_index([("region", ASCENDING), ("_id", ASCENDING)])
        await self.db[EMPLOYEES].create_index(
            [("region", ASCENDING), ("supervisor_nip", ASCENDING), ("_id", ASCENDING)]
        )
        # A unit's employees, for HR's view of a unit's team in a cycle (GET .../team?unit=).
        await self.db[EMPLOYEES].create_index(
            [("region", ASCENDING), ("unit_id", ASCENDING), ("_id", ASCENDING)]
        )
        await self.db[CYCLES].create_index([("region", ASCENDING)])
        # The organisation a request checks an employee against is read by region.
        await self.db[UNITS].create_index([("region", ASCENDING)])
        await self.db[TEAMS].create_index([("region", ASCENDING)])
        await self.db[SUBMISSIONS].create_index([("cycle_id", ASCENDING), ("ratee_nip", ASCENDING)])
        await self.db[PROGRESS].create_index([("cycle_id", ASCENDING), ("nip", ASCENDING)])
        await self.db[NOTES].create_index([("nip", ASCENDING)])
        await self.db[AUDIT].create_index([("region", ASCENDING), ("page_key", DESCENDING)])
        await self.db[RATE_LIMITS].create_index([("window", ASCENDING)])

    # ------------------------------------------------------------------ versioned writes
    async def write_cycle(
        self, cycle_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        """Open (``rev`` 0) or change a cycle (:meth:`_write`); False when the id is taken or
        someone else wrote first."""
        return await self._write(CYCLES, cycle_id, rev, fields, events)

    async def write_plan(
        self, plan_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        """Submit (``rev`` 0), revise or decide an employee's plan in a cycle (:meth:`_write`)."""
        return await self._write(PLANS, plan_id, rev, fields, events)

    async def write_achievement(
        self, plan_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        """The final report against the plan ``plan_id``, created or replaced (:meth:`_write`)."""
        return await self._write(ACHIEVEMENTS, plan_id, rev, fields, events)

    async def write_submission(
        self, submission_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        """A rater's submission, created or replaced with the next version (:meth:`_write`)."""
        return await self._write(SUBMISSIONS, submission_id, rev, fields, events)

    async def add_progress(self, report_id: str, fields: dict[str, Any], events: Sequence[Event]) -> bool:
        """A new progress report (never changed afterwards)."""
        return await self._write(PROGRESS, report_id, 0, fields, events)

    async def add_note(self, note_id: str, fields: dict[str, Any], events: Sequence[Event]) -> bool:
        """A new note of continuous feedback (never changed afterwards)."""
        return await self._write(NOTES, note_id, 0, fields, events)

    async def _write(
        self, collection: str, doc_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        """Create (``rev`` 0) or change the document at revision ``rev``, staging ``events`` with it.

        Returns False when someone else wrote first (the caller re-reads and retries).
        """

        async def insert(staged: Staged) -> bool:
            return await self._insert(collection, {"_id": doc_id, "rev": 1, **fields, **staged.insert_fields})

        async def update(staged: Staged) -> bool:
            result = await self.db[collection].update_one(
                {"_id": doc_id, "rev": rev},
                {"$set": {**fields, "rev": rev + 1, **staged.set_fields}},
            )
            return result.matched_count == 1

        with self._changing(collection, [doc_id]):
            return await self.outbox.write(collection, doc_id, events, insert if rev == 0 else update)

    # ------------------------------------------------------------------ point reads
    async def employee(self, nip: str, *, cached: bool = False) -> dict[str, Any] | None:
        """The employee ``nip`` of any region: ``cached`` for a check (:meth:`_cached`), fresh
        for a change that writes back what it read."""
        return await (self._cached if cached else self._get)(EMPLOYEES, nip)

    async def cycle(self, cycle_id: str, *, cached: bool = False) -> dict[str, Any] | None:
        """The cycle ``cycle_id`` of any region, ``cached`` or fresh (as :meth:`employee`)."""
        return await (self._cached if cached else self._get)(CYCLES, cycle_id)

    async def plan(self, plan_id: str) -> dict[str, Any] | None:
        return await self._get(PLANS, plan_id)

    async def achievement(self, plan_id: str) -> dict[str, Any] | None:
        """The final report against the plan ``plan_id``."""
        return await self._get(ACHIEVEMENTS, plan_id)

    async def submission(self, submission_id: str) -> dict[str, Any] | None:
        return await self._get(SUBMISSIONS, submission_id)

    async def unit(self, region: str, unit_id: str) -> dict[str, Any] | None:
        return await self._get(UNITS, f"{region}:{unit_id}")

    async def _get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await self.db[collection].find_one({"_id": doc_id}, _NO_OUTBOX)
        return doc

    async def _cached(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        """An employee or cycle as a check reads it: from a cache of ``KINERJA_REFERENCE_CACHE_S``
        seconds, or from the database.

        Every submission checks its rater, its ratee and its cycle; read from the database each
        time, those checks were a large part of what the API cost FerretDB. A write through this process
        is seen at once (it empties the entry); one through another replica of the service within
        the cache's lifetime. A cycle's window is checked against the clock on every request, so
        only an explicit close or reopen on another replica takes that long to be seen. Writes
        that read, change and write back (closing a cycle, amending an employee) read with
        ``cached=False``, never from here. Absent documents are not cached.
        """
        if self._reference is None:
            return await self._get(collection, doc_id)
        key = (collection, doc_id)
        if (doc := self._reference.get(key)) is not None:
            return doc
        writes = self._reference_writes
        doc = await self._get(collection, doc_id)
        if doc is not None and writes == self._reference_writes:
            self._reference[key] = doc
        return doc

    @contextlib.contextmanager
    def _changing(self, collection: str, doc_ids: Iterable[str]) -> Iterator[None]:
        """Around a write: once it is over, however it ended, drop the documents' cached copies and
        keep reads that overlapped it from caching what they read (it may predate the write)."""
        try:
            yield
        finally:
            if self._reference is not None and collection in REFERENCE_COLLECTIONS:
                self._reference_writes += 1
                for doc_id in doc_ids:
                    self._reference.pop((collection, doc_id), None)

    async def _insert(self, collection: str, doc: dict[str, Any]) -> bool:
        """Insert through the collection's group commit (:class:`shared.mongo.InsertBatcher`);
        False when the ``_id`` was taken."""
        batcher = self._inserts.get(collection)
        if batcher is None:
            batcher = self._inserts[collection] = InsertBatcher(self.db[collection])
        return await batcher.insert(doc)

    async def _find(
        self,
        collection: str,
        query: dict[str, Any],
        *,
        sort: str | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[dict[str, Any]]:
        cursor = self.db[collection].find(query, _NO_OUTBOX)
        if sort:
            cursor = cursor.sort(sort.lstrip("-"), DESCENDING if sort.startswith("-") else ASCENDING)
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return [doc async for doc in cursor]

    # ------------------------------------------------------------------ lists, each through its index
    async def region_cycles(self, region: str) -> list[dict[str, Any]]:
        """The region's cycles by id."""
        return await self._find(CYCLES, {"region": region}, sort="cycle_id")

    async def units(self, region: str) -> list[dict[str, Any]]:
        """The region's units by id."""
        return await self._find(UNITS, {"region": region}, sort="unit_id")

    async def teams(self, region: str) -> list[dict[str, Any]]:
        """The region's teams by id."""
        return await self._find(TEAMS, {"region": region}, sort="team_id")

    async def employees_page(
        self,
        region: str,
        after: str | None,
        limit: int,
        *,
        unit_id: str | None = None,
        supervisor_nip: str | None = None,
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` of the region's employees by NIP, those after ``after`` (the last NIP of
        the page before), of one unit or one supervisor's direct reports if named: a range of
        ``(region, _id)``, ``(region, unit_id, _id)`` or ``(region, supervisor_nip, _id)`` walked
        in order up to the page, however many employees the region has held (docs/ferretdb.md)."""
        query: dict[str, Any] = {"region": region}
        if unit_id is not None:
            query["unit_id"] = unit_id
        if supervisor_nip is not None:
            query["supervisor_nip"] = supervisor_nip
        if after is not None:
            query["_id"] = {"$gt": after}
        return await self._find(EMPLOYEES, query, sort="_id", limit=limit)

    async def region_employee(self, region: str, nip: str) -> dict[str, Any] | None:
        """The employee ``nip`` if they belong to ``region``."""
        found = await self._find(EMPLOYEES, {"_id": nip, "region": region})
        return found[0] if found else None

    async def progress_reports(self, cycle_id: str, nip: str) -> list[dict[str, Any]]:
        """An employee's progress reports in a cycle, oldest first."""
        return await self._find(PROGRESS, {"cycle_id": cycle_id, "nip": nip}, sort="reported_at")

    async def submissions_for(self, cycle_id: str, ratee_nip: str) -> list[dict[str, Any]]:
        """Every submission on ``ratee_nip`` in the cycle (citizen feedback on them included)."""
        return await self._find(SUBMISSIONS, {"cycle_id": cycle_id, "ratee_nip": ratee_nip})

    async def notes_of(self, nip: str) -> list[dict[str, Any]]:
        """The notes of continuous feedback on ``nip``, oldest first."""
        return await self._find(NOTES, {"nip": nip}, sort="written_at")

    # ------------------------------------------------------------------ organisation
    async def put_unit(self, region: str, unit_id: str, fields: dict[str, Any]) -> None:
        """A plain upsert keyed by region and id (no event contract carries units)."""
        await self._put_named(UNITS, region, unit_id, fields)

    async def put_team(self, region: str, team_id: str, fields: dict[str, Any]) -> None:
        """A plain upsert keyed by region and id (no event contract carries teams)."""
        await self._put_named(TEAMS, region, team_id, fields)

    async def _put_named(self, collection: str, region: str, item_id: str, fields: dict[str, Any]) -> None:
        await self.db[collection].update_one(
            {"_id": f"{region}:{item_id}"}, {"$set": {"region": region, **fields}}, upsert=True
        )

    async def unit_ids(self, region: str) -> set[str]:
        return {d["unit_id"] for d in await self._find(UNITS, {"region": region})}

    async def team_units(self, region: str) -> dict[str, str]:
        return {d["team_id"]: d["unit_id"] for d in await self._find(TEAMS, {"region": region})}

    async def region_nips(self, region: str) -> set[str]:
        cursor = self.db[EMPLOYEES].find({"region": region}, {"_id": 1})
        return {doc["_id"] async for doc in cursor}

    async def foreign_nips(self, region: str, nips: Sequence[str]) -> set[str]:
        """Those of ``nips`` that belong to an employee of another region (by ``_id``, in chunks
        the local FerretDB answers through the ``_id`` index)."""
        found: set[str] = set()
        for chunk in in_chunks(sorted(set(nips))):
            cursor = self.db[EMPLOYEES].find({"_id": {"$in": list(chunk)}}, {"_id": 1, "region": 1})
            found |= {doc["_id"] async for doc in cursor if doc["region"] != region}
        return found

    async def existing_nips(self, region: str, nips: Sequence[str]) -> set[str]:
        cursor = self.db[EMPLOYEES].find({"_id": {"$in": list(nips)}, "region": region}, {"_id": 1})
        return {doc["_id"] async for doc in cursor}

    async def upsert_employee(
        self, region: str, nip: str, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        """Create or replace one employee; False when the NIP belongs to another region."""

        async def upsert(staged: Staged) -> bool:
            try:
                await self.db[EMPLOYEES].update_one(
                    {"_id": nip, "region": region},
                    {"$set": {**fields, "region": region, **staged.set_fields}},
                    upsert=True,
                )
            except DuplicateKeyError:
                return False
            return True

        with self._changing(EMPLOYEES, [nip]):
            return await self.outbox.write(EMPLOYEES, nip, events, upsert)

    async def upsert_employees(
        self, region: str, rows: Sequence[tuple[str, dict[str, Any], Event]]
    ) -> set[int]:
        """Bulk writes in chunks, each op one document with its own event; returns failed indexes.

        New NIPs are inserted (FerretDB inserts are cheap; its updates cost time in proportion to
        the collection's size), known ones updated by ``_id``. A NIP of another region fails only
        its own row (``ordered=False``). A document never changes region, so ``_id`` suffices.
        """
        with self._changing(EMPLOYEES, [nip for nip, _, _ in rows]):
            return await self._upsert_employees(region, rows)

    async def _upsert_employees(
        self, region: str, rows: Sequence[tuple[str, dict[str, Any], Event]]
    ) -> set[int]:
        failed: set[int] = set()
        for start in range(0, len(rows), BULK_CHUNK):
            chunk = rows[start : start + BULK_CHUNK]
            staging = [(EMPLOYEES, nip, [event]) for nip, _, event in chunk]
            missed = await self.outbox.write_many(staging, partial(self._write_chunk, region, chunk))
            failed |= {start + offset for offset in missed}
        return failed

    async def _write_chunk(
        self, region: str, chunk: Sequence[tuple[str, dict[str, Any], Event]], staged: list[Staged]
    ) -> set[int]:
        """One chunk of :meth:`upsert_employees`, each row with its event staged; returns the
        offsets in the chunk of the rows not written."""
        cursor = self.db[EMPLOYEES].find({"_id": {"$in": [nip for nip, _, _ in chunk]}}, {"region": 1})
        existing = {doc["_id"]: doc["region"] async for doc in cursor}
        inserts: list[tuple[int, dict[str, Any]]] = []
        updates: list[UpdateOne] = []
        failed: set[int] = set()
        for offset, ((nip, fields, _), one) in enumerate(zip(chunk, staged, strict=True)):
            if nip not in existing:
                inserts.append((offset, {"_id": nip, **fields, "region": region, **one.insert_fields}))
            elif existing[nip] == region:
                updates.append(UpdateOne({"_id": nip}, {"$set": {**fields, **one.set_fields}}))
            else:
                failed.add(offset)
        # A duplicate lost to a concurrent insert of the same NIP.
        lost = await insert_new(self.db[EMPLOYEES], [doc for _, doc in inserts])
        failed |= {inserts[k][0] for k in lost}
        if updates:
            await self.db[EMPLOYEES].bulk_write(updates, ordered=False)
        return failed

    # ------------------------------------------------------------------ audit and rate limits
    async def audit(self, entry: dict[str, Any]) -> None:
        # The key the log pages by: its time, then a random token, so that it tells no more
        # than ``at`` does (an anonymous rating's entry keeps only the day).
        await self._insert(AUDIT, {**entry, "page_key": page_key(entry["at"], uuid.uuid4().hex)})

    async def redact_rater_audit(
        self, rewrite: Callable[[Mapping[str, Any], Mapping[str, Any] | None], dict[str, Any]]
    ) -> None:
        """At start-up: :func:`~services.feedback.store.migration.redact_rater_audit`."""
        await migration.redact_rater_audit(self.db, rewrite)

    async def key_audit(self) -> None:
        """At start-up, after :meth:`redact_rater_audit`:
        :func:`~services.feedback.store.migration.key_audit`."""
        await migration.key_audit(self.db)

    async def hit(self, client: str, window: int) -> int:
        """Count one request of ``client`` in the fixed ``window``; returns the count so far.

        Counters live in the database so the limit holds across replicas. FerretDB has no TTL
        indexes, so the first hit of a new window deletes windows that have ended.
        """
        doc = await self.db[RATE_LIMITS].find_one_and_update(
            {"_id": f"{client}|{window}"},
            {"$inc": {"n": 1}, "$setOnInsert": {"window": window}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        count = int(doc["n"]) if doc else 1
        if count == 1:
            await self.db[RATE_LIMITS].delete_many({"window": {"$lt": window}})
        return count

    async def audit_entries(
        self, region: str, since: datetime | None, before: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Newest first: the ``limit`` entries of ``region`` at or after ``since`` whose key comes
        before ``before`` (the key of the last entry of the page before), one index range."""
        window: dict[str, Any] = {}
        if since is not None:
            window["$gte"] = time_key(since)
        if before is not None:
            window["$lt"] = before
        query: dict[str, Any] = {"region": region, **({"page_key": window} if window else {})}
        # An entry an earlier version wrote after the start-up keying (a rolling upgrade) has no
        # key yet: it gets its time and a token of zeros.
        return [
            {**d, "page_key": d.get("page_key") or page_key(d["at"], "0" * 32)}
            for d in await self._find(AUDIT, query, sort="-page_key", limit=limit)
        ]
