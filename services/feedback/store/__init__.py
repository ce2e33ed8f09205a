"""Every database call and every stored-document shape of the feedback service.

:class:`FeedbackStore` keeps the service's collections in MongoDB (FerretDB);
:class:`FeedbackStorage` is what the service's use cases take of it, so that their unit tests can
run over an in-memory fake (tests/feedback/memory.py). The collections' names
(:mod:`~services.feedback.store.collection`) are used by nothing but the store, its start-up
migrations (:mod:`~services.feedback.store.migration`) and the tests that seed them.
"""

from __future__ import annotations

from services.feedback.store.collection import (
    ACHIEVEMENTS,
    AUDIT,
    CYCLES,
    EMPLOYEES,
    MIGRATIONS,
    NOTES,
    OUTBOX_COLLECTIONS,
    PLANS,
    PROGRESS,
    RATE_LIMITS,
    SUBMISSIONS,
    TEAMS,
    UNITS,
)
from services.feedback.store.mongo import FeedbackStore
from services.feedback.store.protocol import FeedbackStorage

__all__ = [
    "ACHIEVEMENTS",
    "AUDIT",
    "CYCLES",
    "EMPLOYEES",
    "MIGRATIONS",
    "NOTES",
    "OUTBOX_COLLECTIONS",
    "PLANS",
    "PROGRESS",
    "RATE_LIMITS",
    "SUBMISSIONS",
    "TEAMS",
    "UNITS",
    "FeedbackStorage",
    "FeedbackStore",
]
