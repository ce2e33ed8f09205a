"""An in-memory :class:`~services.career.store.CareerStorage` for the service's unit tests.

It keeps the score, employee and cycle documents the real store would write (the same fields),
recommendations as :class:`~services.career.domain.StoredRecommendation`, and the events each
write staged in its outbox, so that a test can say what a use case wrote and announced without
Kafka or MongoDB. The real store is tested on the real servers (the other tests of tests/career,
tests/indexes).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from services.career.domain import PotentialAssessment, RecommendationQuery, StoredRecommendation
from services.career.store import StaleWrite, score_doc_id
from shared.events.base import Event
from shared.events.feedback import Employee


class MemoryCareerStore:
    """The career store's contract over dicts; ``staged`` lists every event written, in order."""

    def __init__(self) -> None:
        self.scores: dict[str, dict[str, Any]] = {}
        self.cycles: dict[str, dict[str, Any]] = {}
        self.employees: dict[str, dict[str, Any]] = {}
        self.potentials: dict[str, tuple[str, PotentialAssessment]] = {}
        self.recommendations: dict[str, StoredRecommendation] = {}
        self.staged: list[Event] = []

    # ------------------------------------------------------------------ scores
    async def score_doc(self, cycle_id: str, nip: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.scores.get(score_doc_id(cycle_id, nip)))

    async def save_score_fields(
        self, *, cycle_id: str, nip: str, region: str, seen_at: datetime, fields: dict[str, Any]
    ) -> None:
        key = score_doc_id(cycle_id, nip)
        doc = self.scores.setdefault(key, {"_id": key, "first_seen_at": seen_at})
        doc.update(cycle_id=cycle_id, nip=nip, region=region, **fields)

    async def score_docs_of(self, nip: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(d) for d in self.scores.values() if d["nip"] == nip]

    async def final_team_scores(self, region: str, cycle_id: str) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(d)
            for d in self.scores.values()
            if d["region"] == region and d["cycle_id"] == cycle_id and d.get("final_team_id") is not None
        ]

    # ------------------------------------------------------------------ cycles
    async def save_cycle(self, cycle_id: str, *, region: str, period_end: str, kind: str) -> None:
        self.cycles[cycle_id] = {"_id": cycle_id, "region": region, "period_end": period_end, "kind": kind}

    async def cycle_region(self, cycle_id: str) -> str | None:
        doc = self.cycles.get(cycle_id)
        return None if doc is None else str(doc["region"])

    async def period_ends(self, cycle_ids: Iterable[str]) -> dict[str, str]:
        return {c: self.cycles[c]["period_end"] for c in set(cycle_ids) if c in self.cycles}

    # ------------------------------------------------------------------ employees
    async def save_employee(self, employee: Employee, *, region: str, occurred_at: datetime) -> None:
        kept = self.employees.get(employee.nip)
        if kept is not None and kept["occurred_at"] > occurred_at:
            return  # a newer version is stored
        self.employees[employee.nip] = {
            "_id": employee.nip,
            "region": region,
            "unit_id": employee.unit_id,
            "team_id": employee.team_id,
            "supervisor_nip": employee.supervisor_nip,
            "active": employee.active,
            "occurred_at": occurred_at,
        }

    async def employee(self, nip: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.employees.get(nip))

    async def direct_reports(self, supervisor_nip: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(d) for d in self.employees.values() if d["supervisor_nip"] == supervisor_nip]

    # ------------------------------------------------------------------ potentials
    async def save_potential(self, cycle_id: str, region: str, assessment: PotentialAssessment) -> None:
        self.potentials[score_doc_id(cycle_id, assessment.nip)] = (cycle_id, assessment)

    async def potentials_of(self, nip: str) -> dict[str, PotentialAssessment]:
        return {cycle: a for cycle, a in self.potentials.values() if a.nip == nip}

    # ------------------------------------------------------------------ recommendations
    async def recommendation(self, recommendation_id: str) -> StoredRecommendation | None:
        return self.recommendations.get(recommendation_id)

    async def recommendations_of(self, cycle_id: str, nip: str) -> list[StoredRecommendation]:
        return await self._find({"cycle_id": cycle_id, "nip": nip, "team_id": None})

    async def team_awards(self, region: str, cycle_id: str) -> list[StoredRecommendation]:
        return await self._find(
            {"region": region, "cycle_id": cycle_id, "nip": None, "team_id": {"$ne": None}}
        )

    async def list_recommendations(
        self, query: RecommendationQuery, *, after: str | None = None, limit: int = 0
    ) -> list[StoredRecommendation]:
        return await self._find(query.fields(), after=after, limit=limit)

    async def _find(
        self, query: Mapping[str, Any], *, after: str | None = None, limit: int = 0
    ) -> list[StoredRecommendation]:
        found = [
            s
            for key, s in sorted(self.recommendations.items())
            if (after is None or key > after) and all(_matches(_field(s, k), v) for k, v in query.items())
        ]
        return found[:limit] if limit else found

    async def insert_recommendation(self, stored: StoredRecommendation, events: Sequence[Event]) -> None:
        if stored.recommendation_id in self.recommendations:
            raise StaleWrite(f"recommendation {stored.recommendation_id} was stored meanwhile")
        self.recommendations[stored.recommendation_id] = stored
        self.staged += events

    async def replace_recommendation(
        self, stored: StoredRecommendation, *, expected_revision: int, events: Sequence[Event]
    ) -> None:
        kept = self.recommendations.get(stored.recommendation_id)
        if kept is None or kept.revision != expected_revision:
            raise StaleWrite(f"recommendation {stored.recommendation_id} changed meanwhile")
        self.recommendations[stored.recommendation_id] = stored
        self.staged += events


def _field(stored: StoredRecommendation, name: str) -> Any:
    """A field of the recommendation document the real store keeps (store._fields)."""
    rec = stored.recommendation
    fields = {
        "region": stored.region,
        "cycle_id": rec.cycle_id,
        "nip": rec.nip,
        "team_id": rec.team_id,
        "unit_id": rec.unit_id,
        "kind": rec.kind.value,
        "status": rec.status.value,
        "final": rec.final,
        "revision": stored.revision,
    }
    if name not in fields:
        raise NotImplementedError(f"the memory store does not query recommendations by {name!r}")
    return fields[name]


def _matches(value: Any, wanted: Any) -> bool:
    """The part of MongoDB's query language the service's queries use: equality and ``$ne``."""
    if isinstance(wanted, dict):
        if set(wanted) != {"$ne"}:
            raise NotImplementedError(f"the memory store does not understand {wanted!r}")
        return bool(value != wanted["$ne"])
    return bool(value == wanted)
