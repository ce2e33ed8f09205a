"""A recommendation as career keeps it: the read model the service hands to the API and the access
rules. The store maps it to and from its documents (``services.career.store``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events.career import Recommendation


@dataclass(frozen=True)
class Decided:
    """Who decided a recommendation, when, and why."""

    status: str
    decided_by: str
    reason: str | None
    decided_at: datetime


@dataclass(frozen=True)
class StoredRecommendation:
    """A recommendation as stored: the contract model plus region, revision and the decision."""

    recommendation: Recommendation
    region: str
    revision: int
    decision: Decided | None = None
    updated_at: datetime | None = None

    @property
    def recommendation_id(self) -> str:
        return self.recommendation.recommendation_id


@dataclass(frozen=True)
class RecommendationQuery:
    """One read of a recommendations list: those matching every field given (None: any field),
    in id order. The access rules name the reads (``access.list_reads``); the store walks the
    index that answers each."""

    cycle_id: str | None = None
    status: str | None = None
    kind: str | None = None
    nip: str | None = None
    team_id: str | None = None
    region: str | None = None

    def fields(self) -> dict[str, str]:
        """The fields given, in this order (cycle, status, kind, person, team, region)."""
        named = (
            ("cycle_id", self.cycle_id),
            ("status", self.status),
            ("kind", self.kind),
            ("nip", self.nip),
            ("team_id", self.team_id),
            ("region", self.region),
        )
        return {key: value for key, value in named if value is not None}
