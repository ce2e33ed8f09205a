"""What every area of the service shares: the parts it is given, the reads of employees and
cycles every use case checks against, events and audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from services.feedback import access
from services.feedback.domain import Cycle, EmployeeRecord, utcnow
from services.feedback.domain.cycle import ClosePolicy
from services.feedback.store import FeedbackStorage
from shared.auth import Principal
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events.base import Event
from shared.logging import correlation_id
from shared.plugins.manager import RubricRegistry

E = TypeVar("E", bound=Event)
WRITE_ATTEMPTS = 5
"""Optimistic writes re-read and retry this often before reporting a conflict."""


class UseCases:
    """The base of each area's use cases (:class:`~services.feedback.service.FeedbackService`
    joins them): the store (whose outbox publishes what a write stages), the rubric registry, the
    key of submission ids (``KINERJA_SUBMISSION_SECRET``) and what a region requires of a close."""

    def __init__(
        self,
        store: FeedbackStorage,
        registry: RubricRegistry,
        *,
        submission_key: bytes,
        close_policy: ClosePolicy,
    ) -> None:
        self.store = store
        self.registry = registry
        self.submission_key = submission_key
        self.close_policy = close_policy

    async def _audit(
        self, caller: Principal | None, region: str, action: str, target: str, **detail: Any
    ) -> None:
        """Record who did what, when. Written after the change it describes succeeded."""
        await self.store.audit(
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

    async def _employee(self, region: str, nip: str, *, fresh: bool = False) -> EmployeeRecord:
        """The employee, for a check (from the store's short-lived cache), or ``fresh`` from the
        database for a change that writes back what it read."""
        doc = await self.store.employee(nip, cached=not fresh)
        if doc is None or doc["region"] != region:
            raise NotFound(f"no employee {nip} in region {region}", slug="employee-not-found")
        return employee_record(doc)

    async def _visible_employee(self, caller: Principal, region: str, nip: str) -> EmployeeRecord:
        """The employee, if the caller may see them (:func:`~services.feedback.access.sees`)."""
        caller.require_region(region)
        employee = await self._employee(region, nip)
        access.check_sees(caller, employee)
        return employee

    async def _cycle(self, region: str, cycle_id: str) -> tuple[Cycle, int]:
        """The cycle and its revision, fresh from the database (for changes that write it back)."""
        doc = _cycle_doc(await self.store.cycle(cycle_id), region, cycle_id)
        return Cycle.model_validate(doc), int(doc["rev"])

    async def _accepting_cycle(self, region: str, cycle_id: str, now: datetime) -> Cycle:
        """The cycle, if it accepts submissions now: open, and inside its window."""
        doc = _cycle_doc(await self.store.cycle(cycle_id, cached=True), region, cycle_id)
        cycle = Cycle.model_validate(doc)
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

    async def _region_cycles(self, region: str) -> list[Cycle]:
        return [Cycle.model_validate(d) for d in await self.store.region_cycles(region)]


def _cycle_doc(doc: dict[str, Any] | None, region: str, cycle_id: str) -> dict[str, Any]:
    if doc is None or doc["region"] != region:
        raise NotFound(f"no cycle {cycle_id} in region {region}", slug="cycle-not-found")
    return doc


def employee_record(doc: dict[str, Any]) -> EmployeeRecord:
    """An employee as the API shows it, from its stored document."""
    return EmployeeRecord.model_validate(
        {k: v for k, v in doc.items() if k not in {"_id", "rev", "updated_at"}}
    )


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


def lost_race(what: str) -> Conflict:
    return Conflict(
        f"{what} was changed by someone else at the same time; try again", slug="concurrent-change"
    )


def invalid(problems: list[str], slug: str) -> ValidationFailed:
    return ValidationFailed("; ".join(problems), slug=slug, problems=problems)
