"""HTTP API of the career service: thin controllers over :class:`CareerService`.

| method | path | roles |
|---|---|---|
| GET | /recommendations | every role; each sees what :mod:`services.career.access` allows |
| GET | /recommendations/{id} | every role, same rules |
| POST | /recommendations/{id}/decision | hr_admin of the recommendation's region |
| PUT | /employees/{nip}/potentials/{cycle_id} | hr_admin of the employee's region |
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import Body, PathParameter, QueryParameter, SkipValidation
from pydantic import Field

from services.career.access import RecommendationFilter
from services.career.domain import Decision, PotentialAssessment, PotentialLevel, StoredRecommendation
from services.career.service import CareerService
from shared.auth import Principal, Role, requires
from shared.events.base import NIP_PATTERN, Model
from shared.events.career import Recommendation, RecommendationKind, RecommendationStatus

CallerRequest = Request[Principal, str, Any]
Service = NamedDependency[SkipValidation[CareerService]]
RecommendationId = Annotated[str, PathParameter(title="Recommendation id", max_length=64)]


class RecommendationView(Recommendation):
    """A recommendation as the API serves it: the event contract plus region and HR's decision."""

    # Numbers as one JSON type: `int | float` became a oneOf that a whole number such as 80.0
    # matches twice, so a schema validator refused every numeric detail.
    details: dict[str, str | float | bool | None] = Field(  # type: ignore[assignment]
        default_factory=dict, description="Rule-specific figures (percent, box, threshold, ...)."
    )
    region: str = Field(description="Region the recommendation belongs to.", examples=["siulak"])
    revision: int = Field(description="Grows with every change of status.", examples=[1])
    decided_by: str | None = Field(None, description="HR officer who accepted or rejected it.")
    decision_reason: str | None = Field(None, description="Reason HR gave (required for a rejection).")
    decided_at: datetime | None = Field(None, description="When HR decided, UTC.")

    @classmethod
    def of(cls, stored: StoredRecommendation) -> RecommendationView:
        decision = stored.decision
        return cls(
            **stored.recommendation.model_dump(),
            region=stored.region,
            revision=stored.revision,
            decided_by=decision.decided_by if decision else None,
            decision_reason=decision.reason if decision else None,
            decided_at=decision.decided_at if decision else None,
        )


class DecisionCreate(Model):
    """HR's decision on a proposed recommendation."""

    status: Literal["accepted", "rejected"] = Field(description="Accept or reject.", examples=["rejected"])
    reason: str | None = Field(
        None,
        description="Why; required for a rejection.",
        max_length=4000,
        examples=["Sudah mengikuti pelatihan yang sama tahun lalu."],
    )


class PotentialCreate(Model):
    """A potential assessment of one employee for one cycle (input to the talent 9-box)."""

    level: PotentialLevel = Field(description="Assessed potential.", examples=["tinggi"])
    method: str | None = Field(
        None, description="How it was assessed.", max_length=200, examples=["assessment_center"]
    )
    assessment_id: str | None = Field(
        None,
        description="Id of the assessment, cited in the 9-box reason; defaults to `potential:<cycle>:<nip>`.",
        max_length=128,
    )


class PotentialView(Model):
    """The recorded assessment and the employee's recommendations of that cycle after it."""

    cycle_id: str = Field(description="Cycle the assessment is for.")
    region: str = Field(description="Region of the employee.")
    assessment: PotentialAssessment = Field(description="The assessment as recorded.")
    recommendations: list[RecommendationView] = Field(
        description="The employee's recommendations of the cycle, the 9-box among them once scored."
    )


class RecommendationController(Controller):
    """Recommendations: read by everyone within their reach, decided by HR."""

    path = "/recommendations"
    tags = ["recommendations"]

    @get("/", summary="List recommendations the caller may see")
    async def list_recommendations(
        self,
        request: CallerRequest,
        service: Service,
        nip: Annotated[str | None, QueryParameter(title="Employee NIP", pattern=NIP_PATTERN)] = None,
        team_id: Annotated[str | None, QueryParameter(title="Team id (team awards)", max_length=64)] = None,
        cycle_id: Annotated[str | None, QueryParameter(title="Cycle id", max_length=128)] = None,
        status: Annotated[RecommendationStatus | None, QueryParameter(title="Status")] = None,
        kind: Annotated[RecommendationKind | None, QueryParameter(title="Kind")] = None,
        region: Annotated[str | None, QueryParameter(title="Region (system callers)", max_length=64)] = None,
        after: Annotated[
            str | None,
            QueryParameter(
                title="Id of the last recommendation of the page before",
                description="The next page starts after it; omit it for the first page.",
                pattern=r"^rec-[0-9a-f]{8,64}$",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(title="Most results", ge=1, le=1000)] = 200,
    ) -> list[RecommendationView]:
        audience = await service.audience(request.user)
        wanted = RecommendationFilter(
            region=region,
            nip=nip,
            team_id=team_id,
            cycle_id=cycle_id,
            status=status.value if status else None,
            kind=kind.value if kind else None,
        )
        found = await service.visible_recommendations(audience, wanted, after, limit)
        return [RecommendationView.of(s) for s in found]

    @get("/{recommendation_id:str}", summary="One recommendation")
    async def get_recommendation(
        self, request: CallerRequest, service: Service, recommendation_id: RecommendationId
    ) -> RecommendationView:
        return RecommendationView.of(await service.visible_recommendation(request.user, recommendation_id))

    @post(
        "/{recommendation_id:str}/decision",
        summary="Accept or reject a proposed recommendation (HR)",
        guards=[requires(Role.HR_ADMIN)],
        status_code=200,
    )
    async def decide_recommendation(
        self,
        request: CallerRequest,
        service: Service,
        recommendation_id: RecommendationId,
        data: Annotated[DecisionCreate, Body()],
    ) -> RecommendationView:
        principal = request.user
        decision = Decision(status=data.status, decided_by=principal.subject, reason=data.reason)
        stored = await service.decide_recommendation(
            recommendation_id, decision, region=str(principal.region)
        )
        return RecommendationView.of(stored)


class PotentialController(Controller):
    """Potential assessments, recorded by HR; each recomputes the employee's 9-box."""

    path = "/employees"
    tags = ["potential"]

    @put(
        "/{nip:str}/potentials/{cycle_id:str}",
        summary="Record an employee's potential for a cycle (HR)",
        guards=[requires(Role.HR_ADMIN)],
    )
    async def record_potential(
        self,
        request: CallerRequest,
        service: Service,
        nip: Annotated[str, PathParameter(title="Employee NIP", pattern=NIP_PATTERN)],
        cycle_id: Annotated[str, PathParameter(title="Cycle id", max_length=128)],
        data: Annotated[PotentialCreate, Body()],
    ) -> PotentialView:
        region = await service.region_of(nip)
        request.user.require_region(region)
        await service.check_cycle_region(cycle_id, nip, region)
        assessment = PotentialAssessment(
            assessment_id=data.assessment_id or f"potential:{cycle_id}:{nip}",
            nip=nip,
            level=data.level,
            method=data.method,
        )
        recommendations = await service.record_potential(cycle_id, region, assessment)
        return PotentialView(
            cycle_id=cycle_id,
            region=region,
            assessment=assessment,
            recommendations=[RecommendationView.of(s) for s in recommendations],
        )


ROUTES = [RecommendationController, PotentialController]
