"""Appraisal cycles and their submission window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.feedback.domain.base import ID_PATTERN, Id, Reason, Schema, entries
from shared.events.feedback import (
    CycleKind,
)

# ------------------------------------------------------------------ cycles


class CycleStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CycleCreate(Schema):
    cycle_id: Id = Field(description="Id, unique across regions, e.g. `marelan-2026`.")
    kind: CycleKind
    period_start: date
    period_end: date
    window_opens: datetime = Field(description="Submissions accepted from (timezone required).")
    window_closes: datetime = Field(description="Submissions accepted until (timezone required).")

    def window_problems(self) -> list[str]:
        """Why the period or the window cannot be a cycle's (``422 invalid-window``), if so.

        Checked by the use case rather than as a schema rule, so that a well-formed body with an
        impossible window is a 422 naming the rule, not a 400 about the body's shape."""
        problems = []
        if self.period_start > self.period_end:
            problems.append("period_start is after period_end")
        if self.window_opens.tzinfo is None or self.window_closes.tzinfo is None:
            problems.append("window times need a timezone")
        elif self.window_opens >= self.window_closes:
            problems.append("window_opens is not before window_closes")
        return problems


class CycleClose(Schema):
    unit_predicates: Annotated[
        dict[Id, Literal["Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang"]],
        *entries(0, 1000, {"pattern": ID_PATTERN}),
    ] = Field(default_factory=dict, description="Organisation predicate per unit.")


NO_UNIT_PREDICATES = (
    "closed without unit predicates: no unit's distribution curve is checked, so no predicate is "
    "flagged or adjusted against it (PermenPANRB 6/2022); reopen and close again with them to check"
)


@dataclass(frozen=True)
class ClosePolicy:
    """What a region requires of a close (``KINERJA_REQUIRE_UNIT_PREDICATES``)."""

    require_unit_predicates: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, regions: str) -> ClosePolicy:
        return cls(frozenset(r.strip() for r in regions.split(",") if r.strip()))

    def requires_unit_predicates(self, region: str) -> bool:
        return "*" in self.require_unit_predicates or region in self.require_unit_predicates


class CycleReopen(Schema):
    reason: Reason = Field(description="Why the cycle is reopened (kept in the audit log).")
    window_closes: datetime = Field(description="New end of the submission window (in the future).")


class Cycle(BaseModel):
    region: str
    cycle_id: str
    kind: CycleKind
    period_start: date
    period_end: date
    window_opens: datetime
    window_closes: datetime
    status: CycleStatus
    reopened: int = Field(0, description="How often the cycle was reopened for corrections.")
    keyed_ids: bool = Field(
        False,
        description="Feedback submission ids of this cycle are keyed with the service's submission "
        "secret. Cycles opened by earlier versions keep their unkeyed ids until they end.",
    )

    def accepting(self, now: datetime) -> str | None:
        """Why submissions are refused now (a problem slug), or None when they are accepted."""
        if self.status is not CycleStatus.OPEN:
            return "cycle-closed"
        if not self.window_opens <= now <= self.window_closes:
            return "outside-window"
        return None


class ClosedCycle(Cycle):
    """The answer to a close: the cycle, and what the close leaves unchecked."""

    warnings: list[str] = Field(
        default_factory=list,
        description="What the close leaves unchecked, e.g. no unit predicates, so no curve check.",
    )


class OpenCycle(BaseModel):
    """What anyone may know of an open cycle: the public citizen form sends its feedback there."""

    cycle_id: str
    kind: CycleKind
    window_opens: datetime
    window_closes: datetime

    @classmethod
    def of(cls, cycle: Cycle) -> OpenCycle:
        return cls(
            cycle_id=cycle.cycle_id,
            kind=cycle.kind,
            window_opens=cycle.window_opens,
            window_closes=cycle.window_closes,
        )
