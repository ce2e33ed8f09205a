"""Database access shared by the services: client construction and kernel collections.

Everything here stays within what FerretDB v1 and MongoDB both support (docs/ferretdb.md):
single-document atomic updates, upserts, unique indexes, simple queries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from motor.motor_asyncio import (
    AsyncIOMotorClient,
    AsyncIOMotorCollection,
    AsyncIOMotorCursor,
    AsyncIOMotorDatabase,
)
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConnectionFailure,
    NetworkTimeout,
    ServerSelectionTimeoutError,
    WriteError,
)

from shared.settings import Settings

Database = AsyncIOMotorDatabase[dict[str, Any]]

#: Server error code of a write that would duplicate a unique key.
T = TypeVar("T")
DUPLICATE_KEY = 11000
#: The most values one ``$in`` may hold to be answered through an index: the local FerretDB
#: searches an index for a ``$in`` of 1 to 1,000 values (docs/ferretdb.md, patch 0003) and reads
#: the whole collection for a longer one.
IN_LIMIT = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def page_key(at: datetime, unique: str) -> str:
    """The key a list pages by: ``at`` as 13 digits of milliseconds, then ``unique``.

    Keys order as their times do, two items of the same millisecond still have two keys, and
    "the page after this key" is one index range (``{"page_key": {"$lt": key}}``, patch 0005 on
    the local FerretDB, docs/ferretdb.md). ``unique`` must be of plain characters (letters,
    digits, ``-``, ``:``, ``_``) and reveal no more than the item shows.
    """
    return f"{time_key(at)}-{unique}"


def time_key(at: datetime) -> str:
    """The smallest page key of the instant ``at``: ``{"$gte": time_key(since)}`` keeps the items
    of ``since`` and after, ``{"$lt": time_key(until)}`` those before ``until``."""
    if at.tzinfo is None:  # as the driver returns stored times: UTC
        at = at.replace(tzinfo=UTC)
    return f"{max(0, (at - EPOCH) // timedelta(milliseconds=1)):013d}"


def in_chunks(values: Sequence[T], size: int = IN_LIMIT) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``, for ``$in`` queries an index answers."""
    return (values[k : k + size] for k in range(0, len(values), size))


#: Errors after which the same operation may succeed once the database is back.
TRANSIENT_DB_ERRORS: tuple[type[Exception], ...] = (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    ServerSelectionTimeoutError,
)


def connect(settings: Settings, service: str) -> tuple[AsyncIOMotorClient[dict[str, Any]], Database]:
    """Create the client and the service's own database handle (connects lazily)."""
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(
        settings.mongo_url,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        tz_aware=True,
        uuidRepresentation="standard",
    )
    return client, client[settings.database(service)]


async def ping(db: Database) -> bool:
    try:
        await db.command("ping")
    except TRANSIENT_DB_ERRORS:
        return False
    return True


async def read_ahead(
    cursor: AsyncIOMotorCursor[dict[str, Any]], batch: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """The cursor's documents ``batch`` at a time, the next batch being fetched while the caller
    works on this one, so that the database and this process work at once rather than by turns
    (a plain ``async for`` asks for the next batch only when the caller has used up this one).
    The caller must return to the event loop now and then for the fetch to progress."""
    cursor.batch_size(batch)
    pending = asyncio.ensure_future(cursor.to_list(batch))
    try:
        while docs := await pending:
            pending = asyncio.ensure_future(cursor.to_list(batch))
            yield docs
    finally:
        pending.cancel()


async def insert_unordered(
    collection: AsyncIOMotorCollection[dict[str, Any]], docs: Sequence[dict[str, Any]]
) -> dict[int, WriteError]:
    """Insert ``docs`` in one unordered ``insert_many``; returns the write error of each document
    that was not stored, by position (the others are). An error of the statement as a whole (the
    database unreachable) is raised."""
    if not docs:
        return {}
    try:
        await collection.insert_many(list(docs), ordered=False)
    except BulkWriteError as exc:
        return {
            int(err["index"]): WriteError(err.get("errmsg", ""), err.get("code"), err)
            for err in exc.details.get("writeErrors", [])
        }
    return {}


async def insert_new(
    collection: AsyncIOMotorCollection[dict[str, Any]], docs: Sequence[dict[str, Any]]
) -> set[int]:
    """Insert ``docs`` unordered; returns the positions of those whose ``_id`` (or other unique
    key) was already there, which is how an insert-only writer recognises what an earlier or
    concurrent writer did. Any other write error is raised."""
    errors = await insert_unordered(collection, docs)
    for error in errors.values():
        if error.code != DUPLICATE_KEY:
            raise error
    return set(errors)


class InsertBatcher:
    """Group commit of inserts into one collection.

    Callers that insert while an insert is in flight are sent together, as one unordered
    ``insert_many``, as soon as it returns. A lone caller waits for its own insert only (no timer
    delays it); under load the batches grow by themselves. On FerretDB one statement costs about
    0.45 ms of the server's CPU and each further document of a batch about 0.07 ms
    (docs/ferretdb.md), so a busy API spends a fraction of the database's time it would spend
    inserting one by one. Each caller learns the fate of its own document only.
    """

    def __init__(self, collection: AsyncIOMotorCollection[dict[str, Any]], max_batch: int = 500) -> None:
        self.collection = collection
        self.max_batch = max_batch
        self._queue: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def insert(self, doc: dict[str, Any]) -> bool:
        """Insert ``doc``: True once it is stored, False if its ``_id`` (or another unique key)
        was already there. Any other write error of this document, or an error of the whole
        statement (the database unreachable), is raised to this caller."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((doc, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name=f"insert-{self.collection.name}")
        return await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            try:
                errors = await insert_unordered(self.collection, [doc for doc, _ in batch])
            except Exception as exc:  # the statement failed as a whole: every caller hears it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for index, (_, future) in enumerate(batch):
                if future.done():  # its caller was cancelled; the document is stored regardless
                    continue
                error = errors.get(index)
                if error is None:
                    future.set_result(True)
                elif error.code == DUPLICATE_KEY:
                    future.set_result(False)
                else:
                    future.set_exception(error)
