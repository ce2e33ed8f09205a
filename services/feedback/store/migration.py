"""Start-up migrations of the feedback database: each runs once per database, marked as done in
``migrations``, and is safe when several replicas start at once."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.feedback.store.collection import AUDIT, MIGRATIONS, SUBMISSIONS
from shared.mongo import Database, page_key


async def redact_rater_audit(
    db: Database, rewrite: Callable[[Mapping[str, Any], Mapping[str, Any] | None], dict[str, Any]]
) -> None:
    """Once per database: set ``rewrite(entry, submission)`` on each ``feedback.submitted``
    audit entry that earlier versions wrote (no ``detail.source``), given the submission its
    target names (``domain.redacted_audit``: no rater left on anonymous ones).

    Idempotent, and safe when several replicas start at once; a marker in ``migrations``
    keeps later starts from scanning the audit collection again.
    """
    marker = "audit-rater-redaction"
    if await db[MIGRATIONS].find_one({"_id": marker}) is not None:
        return
    old = db[AUDIT].find(
        {"action": "feedback.submitted", "detail.source": {"$exists": False}}, {"target": 1, "at": 1}
    )
    async for entry in old:
        sub = await db[SUBMISSIONS].find_one({"_id": entry["target"]}, {"source": 1, "ratee_nip": 1})
        await db[AUDIT].update_one({"_id": entry["_id"]}, {"$set": rewrite(entry, sub)})
    with contextlib.suppress(DuplicateKeyError):
        await db[MIGRATIONS].insert_one({"_id": marker, "at": datetime.now(UTC)})


async def key_audit(db: Database) -> None:
    """Once per database, after :func:`redact_rater_audit`: give each audit entry that earlier
    versions wrote its ``page_key``. Read once, then a marker in ``migrations`` keeps later
    starts from scanning the log again; idempotent if replicas start at once."""
    marker = "audit-page-key"
    if await db[MIGRATIONS].find_one({"_id": marker}) is not None:
        return
    async for entry in db[AUDIT].find({"page_key": {"$exists": False}}, {"at": 1}):
        await db[AUDIT].update_one(
            {"_id": entry["_id"], "page_key": {"$exists": False}},
            {"$set": {"page_key": page_key(entry["at"], uuid.uuid4().hex)}},
        )
    with contextlib.suppress(DuplicateKeyError):
        await db[MIGRATIONS].insert_one({"_id": marker, "at": datetime.now(UTC)})
