"""Shared pieces of the domain: constrained types, limits, the request base model."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.events.base import NIP_PATTERN
from shared.events.feedback import (
    ANONYMOUS_SOURCES,
)

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Nip = Annotated[str, StringConstraints(pattern=NIP_PATTERN)]
Reason = Annotated[str, StringConstraints(min_length=3, max_length=1000, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
EvidenceLink = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]

M = TypeVar("M", bound=Mapping[Any, Any])


def entries(min_entries: int, max_entries: int, key_schema: dict[str, Any]) -> tuple[Any, ...]:
    """Metadata bounding a mapping's size, for ``Annotated[dict[...], *entries(...)]``.

    Not ``Field(min_length=..., max_length=...)``: Litestar documents a length-constrained mapping
    as an array, which misleads clients and fuzzers alike. The bounds are checked after validation
    and documented as ``minProperties``, ``maxProperties`` and ``propertyNames``.
    """

    def check(value: M) -> M:
        if not min_entries <= len(value) <= max_entries:
            raise ValueError(f"expected {min_entries} to {max_entries} entries, got {len(value)}")
        return value

    extra: dict[str, Any] = {
        "minProperties": min_entries,
        "maxProperties": max_entries,
        "propertyNames": key_schema,
    }
    return AfterValidator(check), Field(json_schema_extra=extra)


MIN_ANONYMOUS_RATERS = 3
"""Peer, subordinate and citizen feedback is shown only pooled, and only from this many raters."""
POOLED_SOURCES = ANONYMOUS_SOURCES
ORGANISATION_PREDICATES = ("Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
CITIZEN_LIMIT = 10
"""Citizen submissions accepted per client address and window (across all replicas)."""
CITIZEN_WINDOW_S = 600
ADULT_AGE = 18


def utcnow() -> datetime:
    return datetime.now(UTC)


class Schema(BaseModel):
    """Base of request bodies: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")
