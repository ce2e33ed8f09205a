"""Unit tests of the feedback service's use cases over the in-memory store (tests/feedback/memory.py):
no Kafka, no database. What the use cases decide (the events a change stages, the slugs of
refusals, the pages of a list) is checked here; that the fake keeps the real store's contract is
checked in test_storage_contract.py, and the use cases over the real store in the API tests."""

from __future__ import annotations

from typing import Any

import pytest

from services.feedback.domain import (
    CycleClose,
    CycleCreate,
    EmployeeCreate,
    FeedbackCreate,
    PlanCreate,
    PlanStatus,
    TeamCreate,
    UnitCreate,
    plan_id_of,
)
from services.feedback.domain.cycle import ClosePolicy
from services.feedback.service import FeedbackService
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, KinerjaError, ValidationFailed
from shared.events.feedback import CycleClosed, CycleOpened, FeedbackSubmitted, PlanApproved, PlanSubmitted
from shared.plugins.manager import build_registry
from tests.feedback.memory import MemoryStore
from tests.feedback.org import HEAD, SUP, A, B, C, D, E, F, cycle_body, people, plan_body

REGION = "marelan"
CYCLE = "marelan-2026"
FORM = {"pencapaian_target": 4, "kontribusi_tim": 3, "perilaku_profesional": 5}
HR = Principal(subject="hr", role=Role.HR_ADMIN, region=REGION)


def employee(nip: str) -> Principal:
    return Principal(subject=nip, role=Role.EMPLOYEE, region=REGION, nip=nip)


SUPERVISOR = Principal(subject=SUP, role=Role.SUPERVISOR, region=REGION, nip=SUP)


def service_over(store: MemoryStore) -> FeedbackService:
    return FeedbackService(
        store, build_registry(), submission_key=b"unit-test", close_policy=ClosePolicy.parse("")
    )


async def seeded(store: MemoryStore | None = None) -> tuple[FeedbackService, MemoryStore]:
    """The organisation of tests/feedback/conftest.py in ``marelan`` and its open cycle, with the
    events that seeding staged forgotten."""
    store = store or MemoryStore()
    service = service_over(store)
    await service.put_unit(HR, REGION, "dinkes", UnitCreate(name="Dinas Kesehatan"))
    await service.put_team(HR, REGION, "pkm", TeamCreate(name="Puskesmas 1", unit_id="dinkes"))
    for nip, body in people():
        await service.put_employee(HR, REGION, nip, EmployeeCreate.model_validate(body))
    await service.open_cycle(HR, REGION, CycleCreate.model_validate(cycle_body(CYCLE)))
    store.events.clear()
    return service, store


async def refused(call: Any) -> KinerjaError:
    with pytest.raises(KinerjaError) as caught:
        await call
    return caught.value


async def test_opening_a_cycle_stages_cycle_opened_and_a_second_open_of_its_id_is_refused() -> None:
    service, store = await seeded()
    body = CycleCreate.model_validate(cycle_body("marelan-2027"))
    cycle = await service.open_cycle(HR, REGION, body)

    [opened] = store.of(CycleOpened)
    assert (opened.cycle_id, opened.region, opened.key) == ("marelan-2027", REGION, "marelan-2027")
    assert cycle.status.value == "open" and [c.cycle_id for c in await service.list_cycles(REGION)] == [
        CYCLE,
        "marelan-2027",
    ]
    error = await refused(service.open_cycle(HR, REGION, body))
    assert isinstance(error, Conflict) and error.problem_slug == "cycle-exists"
    assert store.of(CycleOpened) == [opened]  # the refused open staged nothing
    assert list(store.actions()).count("cycle.opened") == 2  # seeding's open and this one


async def test_a_plan_submitted_then_approved_stages_both_events_and_is_locked() -> None:
    service, store = await seeded()
    body = PlanCreate.model_validate(plan_body())
    await service.submit_plan(employee(A), REGION, CYCLE, A, body)
    approved = await service.decide_plan(SUPERVISOR, REGION, CYCLE, A, None)

    assert [type(e) for e in store.events] == [PlanSubmitted, PlanApproved]
    submitted, decided = store.events
    assert isinstance(submitted, PlanSubmitted) and isinstance(decided, PlanApproved)
    assert (submitted.nip, submitted.key, submitted.plan_id) == (A, A, plan_id_of(CYCLE, A))
    assert (decided.approved_by, decided.results) == (SUP, submitted.results)
    assert approved.status is PlanStatus.APPROVED
    assert (await service.get_plan(employee(A), REGION, CYCLE, A)).status is PlanStatus.APPROVED
    error = await refused(service.submit_plan(employee(A), REGION, CYCLE, A, body))
    assert error.problem_slug == "plan-approved" and len(store.events) == 2


class RacingStore(MemoryStore):
    """Another replica changes each plan between the service's read and its write."""

    async def write_plan(self, plan_id: str, rev: int, fields: dict[str, Any], events: Any) -> bool:
        if rev:
            self.collection("plans")[plan_id]["rev"] += 1
        return await super().write_plan(plan_id, rev, fields, events)


async def test_a_decision_that_loses_a_race_is_refused_and_stages_nothing() -> None:
    service, store = await seeded(RacingStore())
    await service.submit_plan(employee(A), REGION, CYCLE, A, PlanCreate.model_validate(plan_body()))
    error = await refused(service.decide_plan(SUPERVISOR, REGION, CYCLE, A, None))
    assert isinstance(error, Conflict) and error.problem_slug == "concurrent-change"
    assert [type(e) for e in store.events] == [PlanSubmitted]
    assert "plan.approved" not in store.actions()


async def test_a_rating_given_again_replaces_the_first_and_a_peer_rating_of_oneself_is_refused() -> None:
    service, store = await seeded()
    first = await service.submit_feedback(
        employee(B), REGION, CYCLE, A, FeedbackCreate(source="peer", ratings=FORM)
    )
    again = await service.submit_feedback(
        employee(B), REGION, CYCLE, A, FeedbackCreate(source="peer", ratings={**FORM, "kontribusi_tim": 5})
    )

    assert (first.submission_id, first.version, again.version) == (again.submission_id, 1, 2)
    assert [(e.version, e.rater_nip, e.key) for e in store.of(FeedbackSubmitted)] == [(1, B, A), (2, B, A)]
    summary = await service.feedback_summary(HR, REGION, CYCLE, A)
    assert summary.model_dump()["cycle_id"] == CYCLE

    error = await refused(
        service.submit_feedback(employee(A), REGION, CYCLE, A, FeedbackCreate(source="peer", ratings=FORM))
    )
    assert error.problem_slug == "self-rating" and len(store.of(FeedbackSubmitted)) == 2


async def test_the_employee_list_walks_pages_after_a_key() -> None:
    service, _ = await seeded()
    every = sorted([HEAD, SUP, A, B, C, D, E, F])
    pages: list[list[str]] = []
    after = None
    while True:
        page = [e.nip for e in await service.list_employees(HR, REGION, after, 3)]
        if not page:
            break
        pages.append(page)
        after = page[-1]
    assert pages == [every[0:3], every[3:6], every[6:8]]

    # A supervisor: themselves first, then their direct reports by NIP, paged as one list.
    assert [e.nip for e in await service.list_employees(SUPERVISOR, REGION, None, 2)] == [SUP, A]
    assert [e.nip for e in await service.list_employees(SUPERVISOR, REGION, A, 3)] == [B, C, D]
    assert [e.nip for e in await service.list_employees(employee(B), REGION, None, 10)] == [B]


async def test_a_team_page_names_the_next_key_only_when_it_is_full() -> None:
    service, _ = await seeded()
    first = await service.team_view(HR, REGION, CYCLE, unit="dinkes", supervisor=None, after=None, limit=3)
    rest = await service.team_view(
        HR, REGION, CYCLE, unit="dinkes", supervisor=None, after=first.next, limit=10
    )
    nips = [m.nip for m in first.members + rest.members]
    assert first.next == first.members[-1].nip and rest.next is None
    assert nips == sorted([HEAD, SUP, A, B, C, D, E, F])
    error = await refused(
        service.team_view(SUPERVISOR, REGION, CYCLE, unit="dinkes", supervisor=None, after=None, limit=3)
    )
    assert isinstance(error, Forbidden) and error.problem_slug == "not-yours"


async def test_closing_checks_the_units_then_stops_submissions() -> None:
    service, store = await seeded()
    error = await refused(
        service.close_cycle(HR, REGION, CYCLE, CycleClose(unit_predicates={"nowhere": "Baik"}))
    )
    assert isinstance(error, ValidationFailed) and error.problem_slug == "unknown-unit"
    assert store.events == []

    closed = await service.close_cycle(HR, REGION, CYCLE, CycleClose(unit_predicates={"dinkes": "Baik"}))
    [event] = store.of(CycleClosed)
    assert (event.cycle_id, event.unit_predicates, closed.warnings) == (CYCLE, {"dinkes": "Baik"}, [])
    error = await refused(
        service.submit_feedback(employee(B), REGION, CYCLE, A, FeedbackCreate(source="peer", ratings=FORM))
    )
    assert isinstance(error, Conflict) and error.problem_slug == "cycle-closed"
    assert store.of(FeedbackSubmitted) == []
