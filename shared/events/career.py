"""Events produced by the career service: recommendations and HR decisions on them."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from shared.events.base import NIP_PATTERN, Event, Model

RECOMMENDATIONS_TOPIC = "kinerja.career.recommendations.v1"


class RecommendationKind(StrEnum):
    TRAINING = "training"
    SEMINAR = "seminar"
    SCHOLARSHIP = "scholarship"
    PROMOTION_READINESS = "promotion_readiness"
    REWARD = "reward"
    ALLOWANCE = "allowance"
    SANCTION = "sanction"
    TEAM_AWARD = "team_award"
    TALENT_BOX = "talent_box"


class RecommendationStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class Recommendation(Model):
    recommendation_id: str = Field(description="Stable id: same score and rule give the same id.")
    cycle_id: str = Field(description="Cycle the recommendation comes from.")
    nip: str | None = Field(None, description="Employee, or None for a team award.", pattern=NIP_PATTERN)
    team_id: str | None = Field(None, description="Team, for team awards.")
    unit_id: str = Field(description="Unit.")
    kind: RecommendationKind = Field(description="What is recommended.")
    title: str = Field(description="Short title.", examples=["Pelatihan komunikasi pelayanan publik"])
    details: dict[str, str | float | int | bool | None] = Field(
        default_factory=dict, description="Kind-specific details (percentage, box, level, ...)."
    )
    reason: str = Field(description="Why, pointing to the scores it came from.")
    score_event_ids: list[str] = Field(description="Score events this recommendation came from.")
    final: bool = Field(description="False while it rests on a provisional score.")
    status: RecommendationStatus = Field(RecommendationStatus.PROPOSED, description="Status.")


class RecommendationIssued(Event):
    TOPIC = RECOMMENDATIONS_TOPIC
    type: Literal["career.recommendation_issued"] = Field(
        "career.recommendation_issued", description="Event type name."
    )
    recommendation: Recommendation = Field(description="The recommendation.")


class RecommendationDecided(Event):
    TOPIC = RECOMMENDATIONS_TOPIC
    type: Literal["career.recommendation_decided"] = Field(
        "career.recommendation_decided", description="Event type name."
    )
    recommendation_id: str = Field(description="Recommendation decided on.")
    nip: str | None = Field(None, description="Employee.", pattern=NIP_PATTERN)
    status: Literal["accepted", "rejected"] = Field(description="HR's decision.")
    decided_by: str = Field(description="Subject of the HR officer.")
    reason: str | None = Field(None, description="Reason; required for a rejection.")


EVENTS: tuple[type[Event], ...] = (RecommendationIssued, RecommendationDecided)
