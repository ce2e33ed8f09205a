"""Read API of scores and the appraising official's calibration, under the feedback API's rules."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from pydantic import BaseModel, ConfigDict, Field

from services.scoring.access import authorise_person, decided_on, readable_region
from services.scoring.domain.calibration import calibrations_for
from services.scoring.service import ScoringService
from shared.auth import Principal, Role, requires
from shared.errors import Forbidden, NotFound
from shared.events.scoring import Predicate
from shared.logging import correlation_id

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


class CycleScore(BaseModel):
    """One employee's current score in a cycle, as an export lists it."""

    cycle_id: str = Field(description="The cycle.")
    nip: str = Field(description="The employee's NIP.", examples=["198503122010011002"])
    region: str = Field(description="The employee's region.")
    unit_id: str = Field(description="The employee's unit.")
    status: str = Field(description="`provisional`, `held` or `final`.")
    predicate: str = Field(description="The predicate in force, after any calibration.")
    revision: int = Field(description="Revision of the score; a calibration raises it.")
    calibrated: bool = Field(description="Whether the appraising official calibrated it.")
    score: dict[str, Any] = Field(description="The computed score with its explanation.")


class CycleScorePage(BaseModel):
    """A page of a cycle's scores in NIP order."""

    items: list[CycleScore] = Field(description="The scores of this page.")
    next: str | None = Field(
        description="NIP to pass as `after` for the next page; null on the last page.",
        examples=["198503122010011002"],
    )


def _row(doc: dict[str, Any]) -> CycleScore:
    return CycleScore(
        cycle_id=doc["cycle_id"],
        nip=doc["nip"],
        region=doc["region"],
        unit_id=doc["unit_id"],
        status=doc["status"],
        predicate=doc["predicate"],
        revision=doc["revision"],
        calibrated=bool(doc.get("calibrated")),
        score=json.loads(doc["score"]),
    )


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "cycle_id": doc["cycle_id"],
        "nip": doc["nip"],
        "status": doc["status"],
        "predicate": doc["predicate"],
        "calibrated": bool(doc.get("calibrated")),
        "revision": doc["revision"],
        "unit_predicate": doc.get("unit_predicate"),
        "violations": doc.get("violations", []),
        "proposed_predicate": doc.get("proposed_predicate"),
        "missing": doc.get("missing", []),
        "accepted_incomplete": bool(doc.get("accepted_incomplete")),
        "score": json.loads(doc["score"]),
    }


class ScoreController(Controller):
    path = "/cycles/{cycle_id:str}"
    tags = ["scores"]

    @get("/scores/{nip:str}", summary="An employee's score with its explanation")
    async def get_score(
        self, request: Request[Principal, Any, Any], service: ScoringService, cycle_id: CycleId, nip: Nip
    ) -> dict[str, Any]:
        doc = await service.store.score(cycle_id, nip)
        if doc is None:
            employee = await service.store.employee(nip)
            if employee is not None:
                await authorise_person(service, request.user, nip, employee["region"])
            raise NotFound(f"no score for {nip} in cycle {cycle_id}", slug="score-not-found")
        await authorise_person(service, request.user, nip, doc["region"])
        full = request.user.role in (Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM)
        return {**_view(doc), "calibrations": calibrations_for(doc, full=full)}

    @get(
        "/scores",
        summary="The cycle's scores, a page at a time in NIP order (exports)",
        guards=[requires(Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM)],
    )
    async def list_cycle_scores(
        self,
        request: Request[Principal, Any, Any],
        service: ScoringService,
        cycle_id: CycleId,
        after: Annotated[
            str | None,
            Parameter(title="After NIP", description="The `next` of the previous page.", pattern=r"^\d{18}$"),
        ] = None,
        limit: Annotated[int, Parameter(title="Page size", ge=1, le=1000)] = 500,
    ) -> CycleScorePage:
        region = readable_region(request.user)
        docs = await service.store.cycle_scores_after(cycle_id, after, limit, region)
        return CycleScorePage(
            items=[_row(d) for d in docs], next=docs[-1]["nip"] if len(docs) == limit else None
        )

    @get(
        "/units/{unit_id:str}/distribution",
        summary="A unit's predicate distribution and curve check",
        guards=[requires(Role.HR_ADMIN, Role.REGION_ADMIN, Role.SYSTEM)],
    )
    async def distribution(
        self,
        request: Request[Principal, Any, Any],
        service: ScoringService,
        cycle_id: CycleId,
        unit_id: UnitId,
    ) -> dict[str, Any]:
        region, now = await service.unit_distribution(cycle_id, unit_id)
        request.user.require_region(region)
        return {"cycle_id": cycle_id, "unit_id": unit_id, **now}

    @post(
        "/scores/{nip:str}/calibration",
        summary="The appraising official confirms or overrides the final predicate",
        guards=[requires(Role.SUPERVISOR, Role.HR_ADMIN)],
    )
    async def calibrate(
        self,
        request: Request[Principal, Any, Any],
        service: ScoringService,
        cycle_id: CycleId,
        nip: Nip,
        data: CalibrationCreate,
    ) -> dict[str, Any]:
        who = request.user
        await decided_on(service, who, cycle_id, nip)
        if who.role is Role.SUPERVISOR:
            employee = await service.store.employee(nip)
            if not employee or employee.get("supervisor_nip") != who.nip:
                raise Forbidden("only the employee's appraising official may calibrate", slug="not-appraiser")
        event = await service.calibrate(
            cycle_id,
            nip,
            decision=data.decision,
            predicate=data.predicate,
            reason=data.reason,
            decided_by=who.subject,
            role=str(who.role),
            correlation_id=correlation_id.get() or "calibration",
        )
        return {
            "event_id": str(event.event_id),
            "predicate": event.predicate.value,
            "decision": event.decision,
        }

    @post(
        "/scores/{nip:str}/finalisation",
        summary="HR finalises a held score (inputs missing) as it stands, with a reason",
        guards=[requires(Role.HR_ADMIN)],
    )
    async def finalise_held(
        self,
        request: Request[Principal, Any, Any],
        service: ScoringService,
        cycle_id: CycleId,
        nip: Nip,
        data: HeldFinalisation,
    ) -> dict[str, Any]:
        who = request.user
        doc = await decided_on(service, who, cycle_id, nip)
        event = await service.finalise_held(
            cycle_id,
            nip,
            reason=data.reason,
            decided_by=who.subject,
            role=str(who.role),
            correlation_id=correlation_id.get() or "finalisation",
        )
        return {
            "event_id": str(event.event_id),
            "predicate": event.score.predicate.value,
            "missing": doc.get("missing", []),
            "violations": [v.model_dump() for v in event.violations],
            "proposed_predicate": event.proposed_predicate.value if event.proposed_predicate else None,
        }


class EmployeeScoreController(Controller):
    path = "/employees/{nip:str}/scores"
    tags = ["scores"]

    @get("/", summary="An employee's scores across cycles")
    async def list_scores(
        self, request: Request[Principal, Any, Any], service: ScoringService, nip: Nip
    ) -> list[dict[str, Any]]:
        docs = await service.store.employee_scores(nip)
        employee = await service.store.employee(nip)
        region = employee["region"] if employee else (docs[0]["region"] if docs else None)
        if region is None:
            raise NotFound(f"no employee {nip}", slug="employee-not-found")
        await authorise_person(service, request.user, nip, region)
        return [_view(d) for d in docs]
