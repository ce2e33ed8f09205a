"""One employee's inputs for one cycle, as light frozen dataclasses.

The service builds them from the stored events (``from_event``) or straight from its documents;
the domain never re-validates them, so finalizing a large cycle stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.events.feedback import (
    AchievementReported,
    Employee,
    FeedbackSubmitted,
    PlanApproved,
    Source,
)
from shared.plugins.model import IndicatorOutcome


@dataclass(frozen=True, slots=True)
class FeedbackInput:
    """One FeedbackSubmitted (one version of one rater's submission about one ratee)."""

    event_id: str
    submission_id: str
    version: int
    source: Source
    rater_nip: str | None
    ratee_nip: str | None
    rubric_id: str
    ratings: Mapping[str, float]

    @classmethod
    def from_event(cls, event: FeedbackSubmitted) -> FeedbackInput:
        return cls(
            event_id=str(event.event_id),
            submission_id=event.submission_id,
            version=event.version,
            source=event.source,
            rater_nip=event.rater_nip,
            ratee_nip=event.ratee_nip,
            rubric_id=event.rubric_id,
            ratings=dict(event.ratings),
        )

    @property
    def rater_key(self) -> str:
        """Who rated, for counting distinct raters; anonymous citizens count once per submission."""
        return self.rater_nip or f"anonymous:{self.submission_id}"

    def canonical(self) -> list[object]:
        return [
            self.source,  # a StrEnum: serialises and compares as its value
            self.submission_id,
            self.version,
            self.event_id,
            self.rater_nip,
            self.rubric_id,
            sorted(self.ratings.items()),
        ]


@dataclass(frozen=True, slots=True)
class PlanInput:
    """The approved plan (PlanApproved): the indicators results are measured against."""

    event_id: str
    plan_id: str
    indicators: tuple[IndicatorOutcome, ...]

    @classmethod
    def from_event(cls, event: PlanApproved) -> PlanInput:
        indicators = tuple(
            IndicatorOutcome(
                result_id=result.result_id,
                result_kind=result.kind,
                indicator_id=ind.indicator_id,
                name=ind.name,
                aspect=ind.aspect,
                direction=ind.direction,
                target=ind.target,
                standard=ind.standard,
                realised=None,
            )
            for result in event.results
            for ind in result.indicators
        )
        return cls(event_id=str(event.event_id), plan_id=event.plan_id, indicators=indicators)


@dataclass(frozen=True, slots=True)
class AchievementInput:
    """One version of the achievement report: realised value per indicator id."""

    event_id: str
    version: int
    values: Mapping[str, float]

    @classmethod
    def from_event(cls, event: AchievementReported) -> AchievementInput:
        values = {r.indicator_id: r.value for r in event.realisations}
        return cls(event_id=str(event.event_id), version=event.version, values=values)


@dataclass(frozen=True, slots=True)
class CycleInputs:
    """Everything scoring knows about one employee in one cycle, in any order."""

    cycle_id: str
    nip: str
    unit_id: str
    team_id: str | None = None
    service_role: bool = False
    plan: PlanInput | None = None
    achievements: tuple[AchievementInput, ...] = ()
    feedback: tuple[FeedbackInput, ...] = field(default=())

    @classmethod
    def build(
        cls,
        cycle_id: str,
        employee: Employee,
        plan: PlanApproved | None = None,
        achievements: tuple[AchievementReported, ...] = (),
        feedback: tuple[FeedbackSubmitted, ...] = (),
    ) -> CycleInputs:
        """From the contract events, for callers that hold them decoded."""
        return cls(
            cycle_id=cycle_id,
            nip=employee.nip,
            unit_id=employee.unit_id,
            team_id=employee.team_id,
            service_role=employee.service_role,
            plan=PlanInput.from_event(plan) if plan else None,
            achievements=tuple(AchievementInput.from_event(a) for a in achievements),
            feedback=tuple(FeedbackInput.from_event(f) for f in feedback),
        )
