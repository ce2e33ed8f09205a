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
