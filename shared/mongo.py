"""Database access shared by the services: client construction and kernel collections.

Everything here stays within what FerretDB v1 and MongoDB both support (docs/ferretdb.md):
single-document atomic updates, upserts, unique indexes, simple queries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

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
)

from shared.settings import Settings

Database = AsyncIOMotorDatabase[dict[str, Any]]

#: Server error code of a write that would duplicate a unique key.
DUPLICATE_KEY = 11000

#: Errors after which the same operation may succeed once the database is back.
TRANSIENT_DB_ERRORS: tuple[type[BaseException], ...] = (
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


async def insert_new(
    collection: AsyncIOMotorCollection[dict[str, Any]], docs: Sequence[dict[str, Any]]
) -> set[int]:
    """Insert ``docs`` unordered; returns the positions of those whose ``_id`` (or other unique
    key) was already there, which is how an insert-only writer recognises what an earlier or
    concurrent writer did. Any other write error is raised."""
    if not docs:
        return set()
    try:
        await collection.insert_many(list(docs), ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(err.get("code") != DUPLICATE_KEY for err in errors):
            raise
        return {int(err["index"]) for err in errors}
    return set()
