"""Database access shared by the services: client construction and kernel collections.

Everything here stays within what FerretDB v1 and MongoDB both support (docs/ferretdb.md):
single-document atomic updates, upserts, unique indexes, simple queries.
"""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError

from shared.settings import Settings

Database = AsyncIOMotorDatabase[dict[str, Any]]

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
