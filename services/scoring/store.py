"""Every database call of the scoring service.

Collections (database ``<prefix>_scoring``):

- ``employees``: the directory, from EmployeeUpserted (unit, team, supervisor, service role).
- ``cycles``: open/closed state and the organisation predicates given at close.
- ``inputs``: one document per cycle and employee; each input is stored under its event id
  (``plans.<id>``, ``achievements.<id>``, ``feedback.<id>``), so a redelivery rewrites the same
  key. Inputs are kept as light lists, not event JSON, so finalising a large cycle does not
  re-validate every event.
- ``scores``: one document per cycle and employee with the latest provisional score, its
  revision, digest and the outbox of its score events.
- ``finals``: one document per cycle and employee with the final score, in the same shape
  (status ``final``, or ``held`` while it lacks inputs; ``accepted_incomplete`` records HR's
  decision to finalise it all the same). Closing a cycle *inserts* these: FerretDB inserts a
  document in a tenth of the time it takes to update one (0.07 ms against 1.0 ms), and a close
  writes one per employee.
  Calibration decisions are audited inside the final document (``audit``), in the same write.

An employee's score in a cycle is whichever of the two documents has the higher revision: a
cycle reopened for corrections rescores into ``scores`` above the final revision, and finals that
older versions kept in ``scores`` are still read. Every read below merges the two that way.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ASCENDING, UpdateOne

from services.scoring.domain.calibration import calibrations_for
from services.scoring.domain.views import Calibration, CycleScore, ScoreDetail, ScoreView
from shared import outbox
from shared.events.base import Event
from shared.mongo import Database, in_chunks, insert_new, read_ahead
from shared.outbox import Outbox, Record, Staged

EMPLOYEES, CYCLES, INPUTS, SCORES, FINALS = "employees", "cycles", "inputs", "scores", "finals"
#: Where a score document lives, provisional first: the merge prefers the later on equal revision.
SCORE_COLLECTIONS = (SCORES, FINALS)

#: The fields of an employee that scoring reads (``mapping.to_cycle_inputs`` and the region).
SCORING_FIELDS = {"region": 1, "unit_id": 1, "team_id": 1, "service_role": 1}
#: What finalisation needs of a stored score to decide whether it is new: not the score itself.
SCORE_STATE_FIELDS = {
    "cycle_id": 1,
    "nip": 1,
    "status": 1,
    "revision": 1,
    "digest": 1,
    "predicate": 1,
    "calibrated": 1,
    "accepted_incomplete": 1,
}


#: What finalisation's first pass needs of an inputs document: the rater statistics' feedback.
FEEDBACK_FIELDS = {"nip": 1, "feedback": 1}


Key = tuple[str, str]
"""A score's key: (cycle id, NIP)."""


def doc_id(cycle_id: str, nip: str) -> str:
    return f"{cycle_id}|{nip}"


def collection_of(status: str) -> str:
    """The collection a score document of ``status`` is written to: a closed cycle's, final or
    held, goes to ``finals``."""
    return FINALS if status in ("final", "held") else SCORES


def latest(docs: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Score documents by ``_id``, the higher revision of each; ``docs`` in :data:`SCORE_COLLECTIONS`
    order, so that of two equal revisions the final one stands."""
    out: dict[str, dict[str, Any]] = {}
    for doc in docs:
        held = out.get(doc["_id"])
        if held is None or doc.get("revision", 0) >= held.get("revision", 0):
            out[doc["_id"]] = doc
    return out


def score_document(
    *,
    cycle_id: str,
    nip: str,
    region: str,
    unit_id: str,
    team_id: str | None,
    status: str,
    revision: int,
    digest: str,
    predicate: str,
    missing: Sequence[str],
    score_json: str,
    **extra: Any,
) -> dict[str, Any]:
    """A ``scores`` or ``finals`` document: the score as its JSON string, with what reads and
    finalisation look up beside it (``extra``: the curve check of a final score)."""
    return {
        "_id": doc_id(cycle_id, nip),
        "cycle_id": cycle_id,
        "nip": nip,
        "region": region,
        "unit_id": unit_id,
        "team_id": team_id,
        "status": status,
        "revision": revision,
        "digest": digest,
        "predicate": predicate,
        "missing": list(missing),
        "score": score_json,
        **extra,
    }


def score_view(doc: Mapping[str, Any]) -> ScoreView:
    """A stored score document as its readers see it."""
    return ScoreView(
        cycle_id=doc["cycle_id"],
        nip=doc["nip"],
        status=doc["status"],
        predicate=doc["predicate"],
        calibrated=bool(doc.get("calibrated")),
        revision=doc["revision"],
        unit_predicate=doc.get("unit_predicate"),
        violations=doc.get("violations", []),
        proposed_predicate=doc.get("proposed_predicate"),
        missing=doc.get("missing", []),
        accepted_incomplete=bool(doc.get("accepted_incomplete")),
        score=json.loads(doc["score"]),
    )


def score_detail(doc: Mapping[str, Any], *, officials: bool) -> ScoreDetail:
    """:func:`score_view` with the decision audit; ``officials`` shows who decided."""
    audit = [Calibration.model_validate(entry) for entry in calibrations_for(doc, full=officials)]
    return ScoreDetail(**score_view(doc).model_dump(), calibrations=audit)


def cycle_score(doc: Mapping[str, Any]) -> CycleScore:
    """A stored score document as an export lists it."""
    return CycleScore(
        cycle_id=doc["cycle_id"],
        nip=doc["nip"],
        region=doc["region"],
        unit_id=doc["unit_id"],
        status=doc["status"],
        predicate=doc["predicate"],
        revision=doc["revision"],
        calibrated=bool(doc.get("calibrated")),
        score=json.loads(doc["score"]),
    )


class ScoringStorage(Protocol):
    """What the use cases ask of the store: :class:`ScoringStore` on the
    database, an in-memory one in the service's unit tests (tests/scoring/memory.py). Documents
    are in their stored shapes (store.py); keys are (cycle id, NIP)."""

    async def upsert_employees(self, docs: Iterable[tuple[str, dict[str, Any]]]) -> None: ...
    async def employees(
        self, nips: Iterable[str], fields: Mapping[str, int] | None = None
    ) -> dict[str, dict[str, Any]]: ...
    def region_employees(self, region: str) -> AsyncIterator[dict[str, Any]]: ...
    async def employee(self, nip: str) -> dict[str, Any] | None: ...
    async def set_cycle(self, cycle_id: str, fields: Mapping[str, Any]) -> None: ...
    async def cycles_with_status(self, status: str) -> list[dict[str, Any]]: ...
    async def cycle(self, cycle_id: str) -> dict[str, Any] | None: ...
    async def add_inputs(self, updates: Mapping[Key, Mapping[str, Any]]) -> None: ...
    async def inputs(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]: ...
    def cycle_feedback(self, cycle_id: str, batch: int = 1000) -> AsyncIterator[list[dict[str, Any]]]: ...
    async def scores(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]: ...
    async def score_states(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]: ...
    async def score(self, cycle_id: str, nip: str) -> dict[str, Any] | None: ...
    async def cycle_scores(self, cycle_id: str, unit_id: str | None = None) -> list[dict[str, Any]]: ...
    async def cycle_scores_after(
        self, cycle_id: str, after: str | None, limit: int, region: str | None = None
    ) -> list[dict[str, Any]]: ...
    async def employee_scores(self, nip: str) -> list[dict[str, Any]]: ...
    async def save_scores(
        self,
        writes: Iterable[tuple[dict[str, Any], Event]],
        cleared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None: ...
    async def save_final_scores(
        self,
        fresh: list[dict[str, Any]],
        replacing: list[dict[str, Any]],
        cleared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None: ...
    async def record_decision(
        self,
        collection: str,
        key: str,
        fields: Mapping[str, Any],
        event: Event,
        audit: Mapping[str, Any],
        *,
        calibration: bool = True,
    ) -> None: ...


class FinalPublisher(Protocol):
    """What finalisation asks of the outbox relay (:class:`~shared.outbox.OutboxRelay`): publish a
    cycle's final score events straight away, no document staging them."""

    async def publish_unstaged(self, records: Sequence[Record], homes: Sequence[tuple[str, Any]]) -> None: ...


class ScoringStore:
    def __init__(self, db: Database, outbox: Outbox | None = None) -> None:
        self.db = db
        # The relay's (``kit.relay.outbox``): writes stage their events and nudge it in one call.
        self.outbox = outbox or Outbox()
        # Shared with the outbox relay: FerretDB v1 can lose one of two concurrent updates.
        self.locks = self.outbox.locks

    async def ensure_indexes(self) -> None:
        await self.db[INPUTS].create_index([("cycle_id", ASCENDING)])
        for name in SCORE_COLLECTIONS:
            await self.db[name].create_index([("cycle_id", ASCENDING), ("unit_id", ASCENDING)])
            # An export's pages: the cycle in NIP order, walked through the index (docs/ferretdb.md).
            await self.db[name].create_index([("cycle_id", ASCENDING), ("nip", ASCENDING)])
            await self.db[name].create_index([("nip", ASCENDING)])
        await self.db[EMPLOYEES].create_index([("region", ASCENDING)])

    # ------------------------------------------------------------------ directory and cycles
    async def upsert_employees(self, docs: Iterable[tuple[str, dict[str, Any]]]) -> None:
        ops = [UpdateOne({"_id": nip}, {"$set": doc}, upsert=True) for nip, doc in docs]
        if ops:
            await self.db[EMPLOYEES].bulk_write(ops, ordered=False)

    async def employees(
        self, nips: Iterable[str], fields: Mapping[str, int] | None = None
    ) -> dict[str, dict[str, Any]]:
        """The employees of ``nips`` by NIP; ``fields`` projects them."""
        out: dict[str, dict[str, Any]] = {}
        for ids in in_chunks(sorted(set(nips))):
            async for doc in self.db[EMPLOYEES].find({"_id": {"$in": ids}}, fields):
                out[doc["_id"]] = doc
        return out

    async def region_employees(self, region: str) -> AsyncIterator[dict[str, Any]]:
        """What scoring needs of every employee of ``region`` (:data:`SCORING_FIELDS`), through
        the region's index, where a ``$in`` of a whole cycle's NIPs would take a hundred queries."""
        async for doc in self.db[EMPLOYEES].find({"region": region}, SCORING_FIELDS).batch_size(5000):
            yield doc

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
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for ids in in_chunks([doc_id(c, n) for c, n in keys]):
            async for doc in self.db[INPUTS].find({"_id": {"$in": ids}}):
                out[doc["cycle_id"], doc["nip"]] = doc
        return out

    async def cycle_feedback(self, cycle_id: str, batch: int = 1000) -> AsyncIterator[list[dict[str, Any]]]:
        """The NIP and the feedback entries of every inputs document of the cycle
        (:data:`FEEDBACK_FIELDS`), ``batch`` documents at a time, the next batch read meanwhile."""
        cursor = self.db[INPUTS].find({"cycle_id": cycle_id}, FEEDBACK_FIELDS)
        async for docs in read_ahead(cursor, batch):
            yield docs

    # ------------------------------------------------------------------ scores
    async def _find(self, query: Mapping[str, Any], fields: Mapping[str, int] | None) -> list[dict[str, Any]]:
        """Score documents of both collections matching ``query``, each marked with the collection
        it was read from (``_in``, not stored)."""
        projection: dict[str, int] = {**fields, "revision": 1} if fields else outbox.HIDDEN
        docs: list[dict[str, Any]] = []
        for name in SCORE_COLLECTIONS:
            async for doc in self.db[name].find(dict(query), projection).batch_size(5000):
                doc["_in"] = name
                docs.append(doc)
        return docs

    async def find_scores(
        self, query: Mapping[str, Any], fields: Mapping[str, int] | None = None
    ) -> dict[str, dict[str, Any]]:
        """The current score documents matching ``query``, by ``_id`` (see :func:`latest`), each
        marked with its collection (``_in``); ``fields`` projects them."""
        return latest(await self._find(query, fields))

    async def _find_keys(
        self, keys: Iterable[tuple[str, str]], fields: Mapping[str, int] | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`_find` of the score documents of ``keys``, by ``_id``."""
        docs: list[dict[str, Any]] = []
        for ids in in_chunks([doc_id(c, n) for c, n in keys]):
            docs += await self._find({"_id": {"$in": ids}}, fields)
        return docs

    async def scores(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        found = latest(await self._find_keys(keys))
        return {(doc["cycle_id"], doc["nip"]): doc for doc in found.values()}

    async def score_states(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Status, revision and digest of the current scores of ``keys``, keyed like
        :meth:`scores` (:data:`SCORE_STATE_FIELDS`, not the score: finalisation reads them a block
        of units at a time). ``has_final`` says that a ``finals`` document exists, current or
        not; ``calibrated_final`` is the predicate of a calibrated one."""
        docs = await self._find_keys(keys, SCORE_STATE_FIELDS)
        finals = {doc["_id"]: doc for doc in docs if doc["_in"] == FINALS}
        return {
            (doc["cycle_id"], doc["nip"]): {
                **doc,
                "has_final": doc["_id"] in finals,
                "calibrated_final": finals[doc["_id"]]["predicate"]
                if doc["_id"] in finals and finals[doc["_id"]].get("calibrated")
                else None,
            }
            for doc in latest(docs).values()
        }

    async def score(self, cycle_id: str, nip: str) -> dict[str, Any] | None:
        return (await self.find_scores({"_id": doc_id(cycle_id, nip)})).get(doc_id(cycle_id, nip))

    async def cycle_scores(self, cycle_id: str, unit_id: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"cycle_id": cycle_id}
        if unit_id is not None:
            query["unit_id"] = unit_id
        return sorted((await self.find_scores(query)).values(), key=lambda d: str(d["_id"]))

    async def cycle_scores_after(
        self, cycle_id: str, after: str | None, limit: int, region: str | None = None
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` current scores of the cycle (of ``region`` only, if given) in NIP
        order, those after the NIP ``after``: a page keyed by NIP, for an export, through the
        ``(cycle_id, nip)`` index walked from ``after`` up to ``limit`` (docs/ferretdb.md).

        Cycle ids are unique within a region only, so ``region`` is checked on what is read and
        the walk goes on until the page is full or the cycle ends: sent with the query, it would
        keep the database from walking the index in order. The walk reads the cycle at most."""
        found: list[dict[str, Any]] = []
        while True:
            page = await self._cycle_page(cycle_id, after, limit)
            found += [d for d in page if region is None or d.get("region") == region]
            if len(found) >= limit or len(page) < limit:
                return found[:limit]
            after = str(page[-1]["nip"])

    async def _cycle_page(self, cycle_id: str, after: str | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"cycle_id": cycle_id}
        if after is not None:
            query["nip"] = {"$gt": after}
        docs: list[dict[str, Any]] = []
        # The first ``limit`` NIPs of both collections hold the first ``limit`` of the merge.
        for name in SCORE_COLLECTIONS:
            async for doc in self.db[name].find(query, outbox.HIDDEN).sort("nip", ASCENDING).limit(limit):
                docs.append(doc)
        return sorted(latest(docs).values(), key=lambda d: str(d["nip"]))[:limit]

    async def employee_scores(self, nip: str) -> list[dict[str, Any]]:
        return sorted((await self.find_scores({"nip": nip})).values(), key=lambda d: str(d["cycle_id"]))

    async def save_scores(
        self,
        writes: Iterable[tuple[dict[str, Any], Event]],
        cleared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Write score documents, each with its event staged in the same document write, into the
        collection of its status. ``cleared`` maps the ``_id`` of a calibrated score that no longer
        holds to the audit entry saying so: its flag is reset in the same write."""
        cleared = cleared or {}
        rows = list(writes)

        async def write(staged: list[Staged]) -> set[int]:
            ops: dict[str, list[UpdateOne]] = {}
            for (fields, _), one in zip(rows, staged, strict=True):
                update: dict[str, Any] = {"$set": {**fields, **one.set_fields}}
                if one.doc_id in cleared:
                    update["$set"]["calibrated"] = False
                    update["$push"] = {"audit": dict(cleared[one.doc_id])}
                ops.setdefault(one.collection, []).append(UpdateOne({"_id": one.doc_id}, update, upsert=True))
            for name, batch in ops.items():
                await self.db[name].bulk_write(batch, ordered=False)
            return set()

        await self.outbox.write_many(
            [(collection_of(fields["status"]), fields["_id"], [event]) for fields, event in rows], write
        )

    async def save_final_scores(
        self,
        fresh: list[dict[str, Any]],
        replacing: list[dict[str, Any]],
        cleared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Write final scores whose events the caller has already published (no outbox): ``fresh``
        ones are inserted, those ``replacing`` an earlier final document (a cycle closed again
        after corrections) overwrite it. ``cleared`` maps the ``_id`` of a replaced document whose
        calibration no longer holds to the audit entry that says so: its flag is reset in the
        same write."""
        cleared = cleared or {}
        # Those already there were written by another finaliser (a second instance, or this one
        # before a crash): from the same inputs, hence the same documents.
        await insert_new(self.db[FINALS], fresh)
        if replacing:
            ops = [
                UpdateOne(
                    {"_id": doc["_id"]},
                    {"$set": {**doc, "calibrated": False}, "$push": {"audit": dict(cleared[doc["_id"]])}}
                    if doc["_id"] in cleared
                    else {"$set": doc},
                    upsert=True,
                )
                for doc in replacing
            ]
            async with self.locks.hold_all((FINALS, doc["_id"]) for doc in replacing):
                await self.db[FINALS].bulk_write(ops, ordered=False)

    async def record_decision(
        self,
        collection: str,
        key: str,
        fields: Mapping[str, Any],
        event: Event,
        audit: Mapping[str, Any],
        *,
        calibration: bool = True,
    ) -> None:
        """An official's decision on a final or held score (a calibration, or HR finalising a held
        one), its audit entry and its event in one write of the document; ``calibration`` counts it
        among the calibrations, whose number derives the next calibration's event id."""

        async def decide(staged: Staged) -> bool:
            update: dict[str, Any] = {
                "$set": {**fields, **staged.set_fields},
                "$push": {"audit": {**audit, "at": datetime.now(UTC)}},
            }
            if calibration:
                update["$inc"] = {"calibrations": 1}
            result = await self.db[collection].update_one({"_id": key}, update)
            return result.matched_count == 1

        await self.outbox.write(collection, key, [event], decide)
