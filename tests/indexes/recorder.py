"""Record every filter a store sends to the database, then ask the database how it answers each.

The evidence that a hot path does not grow with the history held (docs/ferretdb.md): each query a
store method makes per event or per request is answered through an index, as the database itself
reports it (explain's ``filterPushdown`` and SQLite's ``SEARCH ... USING INDEX``), never a timing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Collection methods whose first argument is a filter.
FILTERED = (
    "find",
    "find_one",
    "count_documents",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
)


@dataclass
class Recorded:
    """The (collection, filter) pairs sent, in order, without repeats."""

    queries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, collection: str, query: Mapping[str, Any] | None) -> None:
        entry = (collection, dict(query or {}))
        if entry not in self.queries:
            self.queries.append(entry)

    def clear(self) -> None:
        self.queries.clear()


class RecordingCollection:
    def __init__(self, collection: Any, recorded: Recorded) -> None:
        self._collection = collection
        self._recorded = recorded

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        if name in FILTERED:

            def call(query: Mapping[str, Any] | None = None, *args: Any, **kwargs: Any) -> Any:
                self._recorded.add(self._collection.name, query)
                return attr(query, *args, **kwargs)

            return call
        if name == "bulk_write":

            def bulk(ops: list[Any], *args: Any, **kwargs: Any) -> Any:
                for op in ops:
                    if hasattr(op, "_filter"):
                        self._recorded.add(self._collection.name, op._filter)
                return attr(ops, *args, **kwargs)

            return bulk
        return attr


class RecordingDatabase:
    """A motor database whose collections record the filters they are sent."""

    def __init__(self, db: Any, recorded: Recorded) -> None:
        self._db = db
        self.recorded = recorded

    def __getitem__(self, name: str) -> RecordingCollection:
        return RecordingCollection(self._db[name], self.recorded)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


async def unindexed(db: Any, recorded: Recorded) -> list[str]:
    """Each recorded query the database would answer without an index, with its plan."""
    out = []
    for collection, query in recorded.queries:
        plan = await db.command("explain", {"find": collection, "filter": query})
        detail = " ".join(plan.get("queryPlanner", {}).get("Plan", []))
        if not plan.get("filterPushdown") or "USING INDEX" not in detail:
            out.append(f"{collection} {query}: {detail or plan}")
    return out
