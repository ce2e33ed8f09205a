"""What every use case shares: access to employees, cycles in their window, events and audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from services.feedback import access
from services.feedback.domain import Cycle, EmployeeRecord, utcnow
from services.feedback.store import AUDIT, CYCLES, EMPLOYEES, FeedbackStore
from shared.auth import Principal
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events.base import Event
from shared.logging import correlation_id

E = TypeVar("E", bound=Event)
WRITE_ATTEMPTS = 5
"""Optimistic writes re-read and retry this often before reporting a conflict."""


def build(cls: type[E], *, region: str, key: str, **fields: Any) -> E:
    """An event of this service, carrying the request's correlation id."""
    event: E = cls.build(
        region=region,
        correlation_id=correlation_id.get() or "feedback",
        producer="feedback",
        key=key,
        **fields,
    )
    return event


async def audit(
    store: FeedbackStore, caller: Principal | None, region: str, action: str, target: str, **detail: Any
) -> None:
    """Record who did what, when. Written after the change it describes succeeded."""
    await store.audit(
        {
            "region": region,
            "at": utcnow(),
            "actor": caller.subject if caller else "citizen",
            "role": str(caller.role) if caller else "citizen",
            "nip": caller.nip if caller else None,
            "action": action,
            "target": target,
            "detail": detail,
            "correlation_id": correlation_id.get(),
        }
    )


def lost_race(what: str) -> Conflict:
    return Conflict(
        f"{what} was changed by someone else at the same time; try again", slug="concurrent-change"
    )


async def employee_in(store: FeedbackStore, region: str, nip: str, *, fresh: bool = False) -> EmployeeRecord:
    """The employee, for a check (from :meth:`FeedbackStore.reference`), or ``fresh`` from the
    database for a change that writes back what it read."""
    doc = await (store.get if fresh else store.reference)(EMPLOYEES, nip)
    if doc is None or doc["region"] != region:
        raise NotFound(f"no employee {nip} in region {region}", slug="employee-not-found")
    return EmployeeRecord.model_validate(
        {k: v for k, v in doc.items() if k not in {"_id", "rev", "updated_at"}}
    )


async def visible_employee(store: FeedbackStore, caller: Principal, region: str, nip: str) -> EmployeeRecord:
    """The employee, if the caller may see them (:func:`~services.feedback.access.sees`)."""
    caller.require_region(region)
    employee = await employee_in(store, region, nip)
    access.check_sees(caller, employee)
    return employee


async def cycle_in(store: FeedbackStore, region: str, cycle_id: str) -> tuple[Cycle, int]:
    """The cycle and its revision, fresh from the database (for changes that write it back)."""
    doc = _cycle_doc(await store.get(CYCLES, cycle_id), region, cycle_id)
    return Cycle.model_validate(doc), int(doc["rev"])


def _cycle_doc(doc: dict[str, Any] | None, region: str, cycle_id: str) -> dict[str, Any]:
    if doc is None or doc["region"] != region:
        raise NotFound(f"no cycle {cycle_id} in region {region}", slug="cycle-not-found")
    return doc


async def accepting_cycle(store: FeedbackStore, region: str, cycle_id: str, now: datetime) -> Cycle:
    """The cycle, if it accepts submissions now: open, and inside its window."""
    cycle = Cycle.model_validate(_cycle_doc(await store.reference(CYCLES, cycle_id), region, cycle_id))
    slug = cycle.accepting(now)
    if slug == "cycle-closed":
        raise Conflict(f"cycle {cycle_id} is closed", slug=slug)
    if slug is not None:
        raise Conflict(
            f"cycle {cycle_id} accepts submissions from {cycle.window_opens.isoformat()} "
            f"until {cycle.window_closes.isoformat()}",
            slug=slug,
        )
    return cycle


def invalid(problems: list[str], slug: str) -> ValidationFailed:
    return ValidationFailed("; ".join(problems), slug=slug, problems=problems)


__all__ = ["AUDIT", "WRITE_ATTEMPTS"]
