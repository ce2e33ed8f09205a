"""Record every filter a store sends to the database, then ask the database how it answers each.

The evidence that a hot path does not grow with the history held (docs/ferretdb.md): each query a
store method makes per event or per request is answered through an index, as the database itself
reports it (explain's ``filterPushdown`` and SQLite's ``SEARCH ... USING INDEX``), never a timing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import Int64

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
class Query:
    """One read or write as the store sent it: its filter and, for a find, its projection, sort
    and limit."""

    collection: str
    filter: dict[str, Any]
    sort: list[tuple[str, int]] = field(default_factory=list)
    limit: int = 0
    skip: int = 0
    projection: dict[str, Any] | None = None
    #: Sent as findAndModify, whose sort FerretDB never pushes down (patch 0004 covers find only).
    modify: bool = False

    def key(self) -> tuple[str, str]:
        return self.collection, repr(
            (self.filter, self.projection, self.sort, self.limit, self.skip, self.modify)
        )


@dataclass
class Recorded:
    """The queries sent, in order, without repeats."""

    queries: list[Query] = field(default_factory=list)

    def add(self, query: Query) -> Query:
        for known in self.queries:
            if known.key() == query.key():
                return known
        self.queries.append(query)
        return query

    def clear(self) -> None:
        self.queries.clear()


class RecordingCursor:
    """A find cursor that notes the sort, skip and limit chained onto it."""

    def __init__(self, cursor: Any, query: Query, recorded: Recorded) -> None:
        self._cursor = cursor
        self._query = query
        self._recorded = recorded

    def _renote(self, **change: Any) -> None:
        self._recorded.queries = [q for q in self._recorded.queries if q is not self._query]
        for name, value in change.items():
            setattr(self._query, name, value)
        self._query = self._recorded.add(self._query)

    def sort(self, key: Any, direction: int | None = None) -> RecordingCursor:
        pairs = [(key, direction if direction is not None else 1)] if isinstance(key, str) else list(key)
        self._renote(sort=pairs)
        self._cursor = self._cursor.sort(key, direction) if direction is not None else self._cursor.sort(key)
        return self

    def limit(self, n: int) -> RecordingCursor:
        self._renote(limit=n)
        self._cursor = self._cursor.limit(n)
        return self

    def skip(self, n: int) -> RecordingCursor:
        self._renote(skip=n)
        self._cursor = self._cursor.skip(n)
        return self

    def batch_size(self, n: int) -> RecordingCursor:
        self._cursor = self._cursor.batch_size(n)
        return self

    def __aiter__(self) -> Any:
        return self._cursor.__aiter__()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class RecordingCollection:
    def __init__(self, collection: Any, recorded: Recorded) -> None:
        self._collection = collection
        self._recorded = recorded

    def _note(self, query: Mapping[str, Any] | None, **extra: Any) -> Query:
        return self._recorded.add(Query(self._collection.name, dict(query or {}), **extra))

    def find(self, query: Mapping[str, Any] | None = None, *args: Any, **kwargs: Any) -> RecordingCursor:
        fields = args[0] if args else kwargs.get("projection")
        noted = self._note(query, projection=dict(fields) if fields is not None else None)
        return RecordingCursor(self._collection.find(query, *args, **kwargs), noted, self._recorded)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        if name in FILTERED:

            def call(query: Mapping[str, Any] | None = None, *args: Any, **kwargs: Any) -> Any:
                sort = kwargs.get("sort")
                one = name == "find_one" or name.startswith("find_one_and_")
                self._note(
                    query,
                    sort=list(sort) if sort else [],
                    limit=1 if one and sort else 0,
                    modify=name.startswith("find_one_and_"),
                )
                return attr(query, *args, **kwargs)

            return call
        if name == "bulk_write":

            def bulk(ops: list[Any], *args: Any, **kwargs: Any) -> Any:
                for op in ops:
                    if hasattr(op, "_filter"):
                        self._note(op._filter)
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
    """Each recorded query the database would not answer through an index, with its plan.

    A filter must be pushed down and searched through an index. A sorted read with a limit must
    also have its sort and limit pushed down, and SQLite must walk an index in that order (no
    temporary B-tree): otherwise every match is read and sorted to return the first few. No read
    skips: an offset reads the rows before the page, so lists page by key. A sorted
    find-and-modify never is: FerretDB pushes no sort down for it.
    """
    out = []
    for q in recorded.queries:
        command: dict[str, Any] = {"find": q.collection, "filter": q.filter}
        if q.sort:
            command["sort"] = dict(q.sort)
        if q.limit:
            command["limit"] = Int64(q.limit)
        if q.skip:
            command["skip"] = Int64(q.skip)
        plan = await db.command("explain", command)
        detail = " ".join(plan.get("queryPlanner", {}).get("Plan", []))
        indexed = bool(plan.get("filterPushdown")) and "USING INDEX" in detail
        if not q.filter and q.sort and q.limit:
            indexed = "USING INDEX" in detail  # a whole collection's first rows, in index order
        if q.sort and q.limit and not (plan.get("sortPushdown") and plan.get("limitPushdown")):
            indexed = False
        if q.sort and q.limit and "TEMP B-TREE" in detail:
            indexed = False  # every match read and sorted by SQLite before the limit
        if q.skip:
            indexed = False  # an offset reads every row before the page: lists page by key
        if q.modify and q.sort:
            indexed = False  # findAndModify reads and sorts every match: find the _id, then modify
        if not indexed:
            shown = f"{q.collection} {q.filter} sort={q.sort} limit={q.limit} skip={q.skip}"
            out.append(f"{shown}: {detail or plan}")
    return out


async def seed(db: Any, docs: Mapping[str, list[dict[str, Any]]]) -> None:
    """Insert the history documents of each collection, 5,000 at a time."""
    for name, batch in docs.items():
        for k in range(0, len(batch), 5000):
            await db[name].insert_many(batch[k : k + 5000])


async def nowhere(records: list[Any]) -> None:
    """An outbox relay's publisher for tests that look at reads only."""
