"""Read API of scores and the appraising official's calibration, under the feedback API's rules."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter, SkipValidation
from pydantic import BaseModel, ConfigDict, Field

from services.scoring.domain.views import (
    CalibrationDone,
    CycleScorePage,
    Distribution,
    HeldFinalised,
    ScoreDetail,
    ScoreView,
)
from services.scoring.service import ScoringService
from shared.auth import Principal, Role, requires
from shared.events.scoring import Predicate

Service = NamedDependency[SkipValidation[ScoringService]]
"""The service, as the composition root provides it (``service``)."""
CycleId = Annotated[str, Parameter(title="Cycle id", max_length=64)]
Nip = Annotated[str, Parameter(title="NIP", pattern=r"^\d{18}$")]
UnitId = Annotated[str, Parameter(title="Unit id", max_length=64)]


class CalibrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirmed", "overridden"] = Field(description="Confirm or override the predicate.")
    predicate: Predicate | None = Field(None, description="The new predicate, for an override.")
    reason: str = Field(
        "",
        max_length=4000,
        description="Why; required (an empty or missing reason is `422 reason-required`).",
    )


class HeldFinalisation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        "",
        max_length=4000,
        description="Why the score is final without the missing inputs; required "
        "(an empty or missing reason is `422 reason-required`).",
    )


class ScoreController(Controller):
    path = "/cycles/{cycle_id:str}"
    tags = ["scores"]

    @get("/scores/{nip:str}", summary="An employee's score with its explanation")
    async def get_score(
        self, request: Request[Principal, Any, Any], service: Service, cycle_id: CycleId, nip: Nip
    ) -> ScoreDetail:
        return await service.score_of(request.user, cycle_id, nip)

    @get(
        "/scores",
        summary="The cycle's scores, a page at a time in NIP order (exports)",
        guards=[requires(Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM)],
    )
    async def list_cycle_scores(
        self,
        request: Request[Principal, Any, Any],
        service: Service,
        cycle_id: CycleId,
        after: Annotated[
            str | None,
            Parameter(title="After NIP", description="The `next` of the previous page.", pattern=r"^\d{18}$"),
        ] = None,
        limit: Annotated[int, Parameter(title="Page size", ge=1, le=1000)] = 500,
    ) -> CycleScorePage:
        return await service.cycle_scores(request.user, cycle_id, after, limit)

    @get(
        "/units/{unit_id:str}/distribution",
        summary="A unit's predicate distribution and curve check",
        guards=[requires(Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM)],
    )
    async def distribution(
        self,
        request: Request[Principal, Any, Any],
        service: Service,
        cycle_id: CycleId,
        unit_id: UnitId,
    ) -> Distribution:
        return await service.distribution(request.user, cycle_id, unit_id)

    @post(
        "/scores/{nip:str}/calibration",
        summary="The appraising official confirms or overrides the final predicate",
        guards=[requires(Role.SUPERVISOR, Role.HR_ADMIN)],
    )
    async def calibrate(
        self,
        request: Request[Principal, Any, Any],
        service: Service,
        cycle_id: CycleId,
        nip: Nip,
        data: JSONBody[CalibrationCreate],
    ) -> CalibrationDone:
        event = await service.calibrate(
            request.user, cycle_id, nip, decision=data.decision, predicate=data.predicate, reason=data.reason
        )
        return CalibrationDone(
            event_id=str(event.event_id), predicate=event.predicate.value, decision=event.decision
        )

    @post(
        "/scores/{nip:str}/finalisation",
        summary="HR finalises a held score (inputs missing) as it stands, with a reason",
        guards=[requires(Role.HR_ADMIN)],
    )
    async def finalise_held(
        self,
        request: Request[Principal, Any, Any],
        service: Service,
        cycle_id: CycleId,
        nip: Nip,
        data: JSONBody[HeldFinalisation],
    ) -> HeldFinalised:
        event, missing = await service.finalise_held(request.user, cycle_id, nip, reason=data.reason)
        return HeldFinalised(
            event_id=str(event.event_id),
            predicate=event.score.predicate.value,
            missing=missing,
            violations=event.violations,
            proposed_predicate=event.proposed_predicate.value if event.proposed_predicate else None,
        )


class EmployeeScoreController(Controller):
    path = "/employees/{nip:str}/scores"
    tags = ["scores"]

    @get("/", summary="An employee's scores across cycles")
    async def list_scores(
        self, request: Request[Principal, Any, Any], service: Service, nip: Nip
    ) -> list[ScoreView]:
        return await service.scores_of(request.user, nip)
