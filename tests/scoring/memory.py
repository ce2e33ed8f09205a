"""An in-memory scoring store and relay, for unit tests of the service's use cases without
servers (:class:`~services.scoring.store.ScoringStorage`). The real store is tested on
FerretDB (tests/scoring, tests/indexes); this one keeps the same documents in dictionaries, with
the same merge of ``scores`` and ``finals`` (:func:`~services.scoring.store.latest`), and records
the events a write stages instead of staging them in an outbox. Not a conftest; imported
explicitly."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from services.scoring.store import FINALS, SCORE_COLLECTIONS, SCORES, collection_of, doc_id, latest
from shared.events.base import Event
from shared.outbox import Record

Key = tuple[str, str]


def _set(doc: dict[str, Any], fields: Mapping[str, Any]) -> None:
    """``$set`` of ``fields`` on ``doc``, dotted names as nested documents (``plans.<id>``)."""
    for name, value in fields.items():
        *path, last = name.split(".")
        into = doc
        for part in path:
            into = into.setdefault(part, {})
        into[last] = copy.deepcopy(value)


class MemoryScoringStore:
    def __init__(self) -> None:
        self.employees_: dict[str, dict[str, Any]] = {}
        self.cycles: dict[str, dict[str, Any]] = {}
        self.inputs_: dict[str, dict[str, Any]] = {}
        self.collections: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SCORE_COLLECTIONS}
        self.staged: list[Event] = []
        """Every event a write staged, in order (the real store's outbox publishes them)."""

    # ------------------------------------------------------------------ directory and cycles
    async def upsert_employees(self, docs: Iterable[tuple[str, dict[str, Any]]]) -> None:
        for nip, doc in docs:
            _set(self.employees_.setdefault(nip, {"_id": nip}), doc)

    async def employees(
        self, nips: Iterable[str], fields: Mapping[str, int] | None = None
    ) -> dict[str, dict[str, Any]]:
        return {nip: copy.deepcopy(self.employees_[nip]) for nip in set(nips) if nip in self.employees_}

    async def region_employees(self, region: str) -> AsyncIterator[dict[str, Any]]:
        for doc in list(self.employees_.values()):
            if doc.get("region") == region:
                yield copy.deepcopy(doc)

    async def employee(self, nip: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.employees_.get(nip))

    async def set_cycle(self, cycle_id: str, fields: Mapping[str, Any]) -> None:
        _set(self.cycles.setdefault(cycle_id, {"_id": cycle_id}), fields)

    async def cycles_with_status(self, status: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(c) for c in self.cycles.values() if c.get("status") == status]

    async def cycle(self, cycle_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.cycles.get(cycle_id))

    # ------------------------------------------------------------------ inputs
    async def add_inputs(self, updates: Mapping[Key, Mapping[str, Any]]) -> None:
        for (cycle, nip), fields in updates.items():
            doc = self.inputs_.setdefault(doc_id(cycle, nip), {"_id": doc_id(cycle, nip)})
            _set(doc, {"cycle_id": cycle, "nip": nip, **fields})

    async def inputs(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
        found = (self.inputs_.get(doc_id(c, n)) for c, n in keys)
        return {(d["cycle_id"], d["nip"]): copy.deepcopy(d) for d in found if d is not None}

    async def cycle_feedback(self, cycle_id: str, batch: int = 1000) -> AsyncIterator[list[dict[str, Any]]]:
        docs = [
            {"_id": d["_id"], "nip": d["nip"], "feedback": copy.deepcopy(d.get("feedback", {}))}
            for d in self.inputs_.values()
            if d["cycle_id"] == cycle_id
        ]
        for start in range(0, len(docs), batch):
            yield docs[start : start + batch]

    # ------------------------------------------------------------------ scores
    def _all(self) -> list[dict[str, Any]]:
        """Both collections' documents, provisional first, each marked with its collection."""
        return [
            {**copy.deepcopy(doc), "_in": name}
            for name in SCORE_COLLECTIONS
            for doc in self.collections[name].values()
        ]

    def _current(self) -> list[dict[str, Any]]:
        return list(latest(self._all()).values())

    async def scores(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
        wanted = set(keys)
        return {(d["cycle_id"], d["nip"]): d for d in self._current() if (d["cycle_id"], d["nip"]) in wanted}

    async def score_states(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
        finals = self.collections[FINALS]
        out = await self.scores(keys)
        for doc in out.values():
            held = finals.get(doc["_id"])
            doc["has_final"] = held is not None
            doc["calibrated_final"] = held["predicate"] if held and held.get("calibrated") else None
        return out

    async def score(self, cycle_id: str, nip: str) -> dict[str, Any] | None:
        return (await self.scores([(cycle_id, nip)])).get((cycle_id, nip))

    async def cycle_scores(self, cycle_id: str, unit_id: str | None = None) -> list[dict[str, Any]]:
        docs = [
            d
            for d in self._current()
            if d["cycle_id"] == cycle_id and (unit_id is None or d["unit_id"] == unit_id)
        ]
        return sorted(docs, key=lambda d: str(d["_id"]))

    async def cycle_scores_after(
        self, cycle_id: str, after: str | None, limit: int, region: str | None = None
    ) -> list[dict[str, Any]]:
        docs = [
            d
            for d in await self.cycle_scores(cycle_id)
            if (after is None or d["nip"] > after) and (region is None or d["region"] == region)
        ]
        return sorted(docs, key=lambda d: str(d["nip"]))[:limit]

    async def employee_scores(self, nip: str) -> list[dict[str, Any]]:
        return sorted((d for d in self._current() if d["nip"] == nip), key=lambda d: str(d["cycle_id"]))

    async def save_scores(
        self,
        writes: Iterable[tuple[dict[str, Any], Event]],
        cleared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        for fields, event in writes:
            doc = self.collections[collection_of(fields["status"])].setdefault(fields["_id"], {})
            _set(doc, fields)
            if cleared and fields["_id"] in cleared:
                doc["calibrated"] = False
                doc.setdefault("audit", []).append(dict(cleared[fields["_id"]]))
            self.staged.append(event)

    async def save_final_scores(
        self,
        fresh: list[dict[str, Any]],
        replacing: list[dict[str, Any]],
        cleared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        finals = self.collections[FINALS]
        for doc in fresh:
            finals.setdefault(doc["_id"], copy.deepcopy(doc))
        for doc in replacing:
            into = finals.setdefault(doc["_id"], {})
            _set(into, doc)
            if cleared and doc["_id"] in cleared:
                into["calibrated"] = False
                into.setdefault("audit", []).append(dict(cleared[doc["_id"]]))

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
        doc = self.collections[collection][key]
        _set(doc, fields)
        doc.setdefault("audit", []).append({**audit, "at": datetime.now(UTC)})
        if calibration:
            doc["calibrations"] = doc.get("calibrations", 0) + 1
        self.staged.append(event)


class MemoryRelay:
    """Records what finalisation publishes straight away (``publish_unstaged``)."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish_unstaged(self, records: Sequence[Record], homes: Sequence[tuple[str, Any]]) -> None:
        self.published += [json.loads(value) for _, value, _, _ in records]


__all__ = ["FINALS", "SCORES", "MemoryRelay", "MemoryScoringStore"]
