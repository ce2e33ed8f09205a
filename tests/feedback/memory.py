"""An in-memory :class:`~services.feedback.store.FeedbackStorage`, for unit tests of the feedback
service's use cases without servers (integration tests stay on the real FeedbackStore).

It keeps the store's contract where the use cases depend on it: a versioned write names the
revision it read and fails when the id is taken or the revision moved on; lists come back in the
order and up to the limit the real queries ask for; reads return copies, so a use case cannot
change what is stored without writing it. Events go through a real :class:`~shared.outbox.Outbox`
(each is serialised as the relay would store it) and are kept in :attr:`MemoryStore.events` only
when their write took. There is no cache: cached reads are fresh. test_storage_contract.py runs
the same cases on this fake and on FeedbackStore.

Imported by the tests that use it, never from a conftest.py.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from services.feedback.store import FeedbackStorage
from shared.events.base import Event
from shared.mongo import page_key, time_key
from shared.outbox import Outbox, Staged

Doc = dict[str, Any]


class MemoryStore:
    """The feedback store's collections as dicts of documents by ``_id``."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[str, Doc]] = {}
        #: The events of every write that took, in order.
        self.events: list[Event] = []
        self.audit_log: list[Doc] = []
        self.hits: dict[tuple[str, int], int] = {}
        self.outbox = Outbox()

    def collection(self, name: str) -> dict[str, Doc]:
        return self.collections.setdefault(name, {})

    def of(self, kind: type[Event]) -> list[Any]:
        """The staged events of one type, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    # ------------------------------------------------------------------ writes
    async def _stage(
        self, collection: str, doc_id: str, events: Sequence[Event], apply: Callable[[], bool]
    ) -> bool:
        async def write(_: Staged) -> bool:
            return apply()

        took = await self.outbox.write(collection, doc_id, events, write)
        if took:
            self.events.extend(events)
        return took

    async def _write(
        self, collection: str, doc_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        docs = self.collection(collection)

        def apply() -> bool:
            current = docs.get(doc_id)
            if rev == 0:
                if current is not None:
                    return False
                docs[doc_id] = copy.deepcopy({"_id": doc_id, "rev": 1, **fields})
                return True
            if current is None or current["rev"] != rev:
                return False
            current.update(copy.deepcopy(fields), rev=rev + 1)
            return True

        return await self._stage(collection, doc_id, events, apply)

    async def write_cycle(
        self, cycle_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        return await self._write("cycles", cycle_id, rev, fields, events)

    async def write_plan(
        self, plan_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        return await self._write("plans", plan_id, rev, fields, events)

    async def write_achievement(
        self, plan_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        return await self._write("achievements", plan_id, rev, fields, events)

    async def write_submission(
        self, submission_id: str, rev: int, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        return await self._write("submissions", submission_id, rev, fields, events)

    async def add_progress(self, report_id: str, fields: dict[str, Any], events: Sequence[Event]) -> bool:
        return await self._write("progress", report_id, 0, fields, events)

    async def add_note(self, note_id: str, fields: dict[str, Any], events: Sequence[Event]) -> bool:
        return await self._write("notes", note_id, 0, fields, events)

    # ------------------------------------------------------------------ point reads
    def _get(self, collection: str, doc_id: str) -> Doc | None:
        doc = self.collection(collection).get(doc_id)
        return copy.deepcopy(doc) if doc is not None else None

    async def employee(self, nip: str, *, cached: bool = False) -> Doc | None:
        return self._get("employees", nip)

    async def cycle(self, cycle_id: str, *, cached: bool = False) -> Doc | None:
        return self._get("cycles", cycle_id)

    async def plan(self, plan_id: str) -> Doc | None:
        return self._get("plans", plan_id)

    async def achievement(self, plan_id: str) -> Doc | None:
        return self._get("achievements", plan_id)

    async def submission(self, submission_id: str) -> Doc | None:
        return self._get("submissions", submission_id)

    async def unit(self, region: str, unit_id: str) -> Doc | None:
        return self._get("units", f"{region}:{unit_id}")

    # ------------------------------------------------------------------ lists
    def _find(
        self, collection: str, match: Callable[[Doc], bool], *, sort: str | None = None, limit: int = 0
    ) -> list[Doc]:
        found = [copy.deepcopy(d) for d in self.collection(collection).values() if match(d)]
        if sort is not None:
            found.sort(key=lambda d: d[sort])
        return found[:limit] if limit else found

    async def region_cycles(self, region: str) -> list[Doc]:
        return self._find("cycles", lambda d: d["region"] == region, sort="cycle_id")

    async def units(self, region: str) -> list[Doc]:
        return self._find("units", lambda d: d["region"] == region, sort="unit_id")

    async def teams(self, region: str) -> list[Doc]:
        return self._find("teams", lambda d: d["region"] == region, sort="team_id")

    async def employees_page(
        self,
        region: str,
        after: str | None,
        limit: int,
        *,
        unit_id: str | None = None,
        supervisor_nip: str | None = None,
    ) -> list[Doc]:
        def match(d: Doc) -> bool:
            return (
                d["region"] == region
                and (unit_id is None or d.get("unit_id") == unit_id)
                and (supervisor_nip is None or d.get("supervisor_nip") == supervisor_nip)
                and (after is None or d["_id"] > after)
            )

        return self._find("employees", match, sort="_id", limit=limit)

    async def region_employee(self, region: str, nip: str) -> Doc | None:
        doc = self._get("employees", nip)
        return doc if doc is not None and doc["region"] == region else None

    async def progress_reports(self, cycle_id: str, nip: str) -> list[Doc]:
        return self._find(
            "progress", lambda d: (d["cycle_id"], d["nip"]) == (cycle_id, nip), sort="reported_at"
        )

    async def submissions_for(self, cycle_id: str, ratee_nip: str) -> list[Doc]:
        return self._find("submissions", lambda d: (d["cycle_id"], d["ratee_nip"]) == (cycle_id, ratee_nip))

    async def notes_of(self, nip: str) -> list[Doc]:
        return self._find("notes", lambda d: d["nip"] == nip, sort="written_at")

    # ------------------------------------------------------------------ organisation
    async def put_unit(self, region: str, unit_id: str, fields: dict[str, Any]) -> None:
        self._put_named("units", region, unit_id, fields)

    async def put_team(self, region: str, team_id: str, fields: dict[str, Any]) -> None:
        self._put_named("teams", region, team_id, fields)

    def _put_named(self, collection: str, region: str, item_id: str, fields: dict[str, Any]) -> None:
        doc_id = f"{region}:{item_id}"
        doc = self.collection(collection).setdefault(doc_id, {"_id": doc_id})
        doc.update(copy.deepcopy({"region": region, **fields}))

    async def unit_ids(self, region: str) -> set[str]:
        return {d["unit_id"] for d in await self.units(region)}

    async def team_units(self, region: str) -> dict[str, str]:
        return {d["team_id"]: d["unit_id"] for d in await self.teams(region)}

    async def region_nips(self, region: str) -> set[str]:
        return {nip for nip, d in self.collection("employees").items() if d["region"] == region}

    async def foreign_nips(self, region: str, nips: Sequence[str]) -> set[str]:
        employees = self.collection("employees")
        return {n for n in nips if n in employees and employees[n]["region"] != region}

    async def existing_nips(self, region: str, nips: Sequence[str]) -> set[str]:
        employees = self.collection("employees")
        return {n for n in nips if n in employees and employees[n]["region"] == region}

    async def upsert_employee(
        self, region: str, nip: str, fields: dict[str, Any], events: Sequence[Event]
    ) -> bool:
        employees = self.collection("employees")

        def apply() -> bool:
            current = employees.setdefault(nip, {"_id": nip, "region": region})
            if current["region"] != region:
                return False
            current.update(copy.deepcopy(fields), region=region)
            return True

        return await self._stage("employees", nip, events, apply)

    async def upsert_employees(
        self, region: str, rows: Sequence[tuple[str, dict[str, Any], Event]]
    ) -> set[int]:
        return {
            index
            for index, (nip, fields, event) in enumerate(rows)
            if not await self.upsert_employee(region, nip, fields, [event])
        }

    # ------------------------------------------------------------------ audit and rate limits
    async def audit(self, entry: dict[str, Any]) -> None:
        self.audit_log.append({**copy.deepcopy(entry), "page_key": page_key(entry["at"], uuid.uuid4().hex)})

    async def audit_entries(
        self, region: str, since: datetime | None, before: str | None, limit: int
    ) -> list[Doc]:
        def match(e: Doc) -> bool:
            return (
                e["region"] == region
                and (since is None or e["page_key"] >= time_key(since))
                and (before is None or e["page_key"] < before)
            )

        entries = sorted(filter(match, self.audit_log), key=lambda e: e["page_key"], reverse=True)
        return [copy.deepcopy(e) for e in (entries[:limit] if limit else entries)]

    async def hit(self, client: str, window: int) -> int:
        self.hits[(client, window)] = count = self.hits.get((client, window), 0) + 1
        return count

    def actions(self) -> Iterable[str]:
        """The audited actions, in order."""
        return [e["action"] for e in self.audit_log]


def storage() -> FeedbackStorage:
    """A fresh fake, typed as the protocol the service takes (mypy checks the fake satisfies it)."""
    return MemoryStore()
