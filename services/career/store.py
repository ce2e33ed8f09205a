"""Every database call of the career service.

Collections (all in ``<prefix>_career``):

- ``recommendations``: one document per recommendation id, with its status, a ``revision`` that
  grows with each change (optimistic concurrency, and the seed of deterministic event ids) and
  the events owed to the world in ``_outbox``;
- ``scores``: one document per cycle and employee (``<cycle>:<nip>``) with the latest
  provisional score, final score and calibration, as JSON strings (criterion names may hold
  characters MongoDB keys must not);
- ``cycles``: periods of cycles, from ``feedback.cycle_opened``; orders an employee's history;
- ``employees``: a small directory from ``feedback.employee_upserted`` (region, team, supervisor);
- ``potentials``: potential assessments recorded by HR, per cycle and employee.

Everything stays within FerretDB v1 (docs/ferretdb.md): single-document writes, upserts, simple
queries; aggregation happens in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from services.career.domain import Decided, PotentialAssessment, RecommendationQuery, StoredRecommendation
from shared.errors import TransientError
from shared.events.base import Event
from shared.events.career import Recommendation
from shared.events.feedback import Employee
from shared.mongo import Database
from shared.outbox import Outbox, Staged

RECOMMENDATIONS = "recommendations"
SCORES = "scores"
CYCLES = "cycles"
EMPLOYEES = "employees"
POTENTIALS = "potentials"


class StaleWrite(TransientError):
    """Someone changed the document since it was read; re-read and try again."""

    slug = "stale-write"
    title = "Changed meanwhile"


def score_doc_id(cycle_id: str, nip: str) -> str:
    return f"{cycle_id}:{nip}"


def now() -> datetime:
    return datetime.now(UTC)


class CareerStorage(Protocol):
    """What :class:`~services.career.service.CareerService` uses of its store.

    :class:`CareerStore` is the real one (checked at the end of this module);
    ``tests/career/memory.py`` keeps the same in memory for the service's unit tests.
    """

    async def score_doc(self, cycle_id: str, nip: str) -> dict[str, Any] | None: ...
    async def save_score_fields(
        self, *, cycle_id: str, nip: str, region: str, seen_at: datetime, fields: dict[str, Any]
    ) -> None: ...
    async def score_docs_of(self, nip: str) -> list[dict[str, Any]]: ...
    async def final_team_scores(self, region: str, cycle_id: str) -> list[dict[str, Any]]: ...

    async def save_cycle(self, cycle_id: str, *, region: str, period_end: str, kind: str) -> None: ...
    async def cycle_region(self, cycle_id: str) -> str | None: ...
    async def period_ends(self, cycle_ids: Iterable[str]) -> dict[str, str]: ...

    async def save_employee(self, employee: Employee, *, region: str, occurred_at: datetime) -> None: ...
    async def employee(self, nip: str) -> dict[str, Any] | None: ...
    async def direct_reports(self, supervisor_nip: str) -> list[dict[str, Any]]: ...

    async def save_potential(self, cycle_id: str, region: str, assessment: PotentialAssessment) -> None: ...
    async def potentials_of(self, nip: str) -> dict[str, PotentialAssessment]: ...

    async def recommendation(self, recommendation_id: str) -> StoredRecommendation | None: ...
    async def recommendations_of(self, cycle_id: str, nip: str) -> list[StoredRecommendation]: ...
    async def team_awards(self, region: str, cycle_id: str) -> list[StoredRecommendation]: ...
    async def list_recommendations(
        self, query: RecommendationQuery, *, after: str | None = None, limit: int = 0
    ) -> list[StoredRecommendation]: ...
    async def insert_recommendation(self, stored: StoredRecommendation, events: Sequence[Event]) -> None: ...
    async def replace_recommendation(
        self, stored: StoredRecommendation, *, expected_revision: int, events: Sequence[Event]
    ) -> None: ...


class CareerStore:
    """The career service's database, one method per query or write."""

    def __init__(self, db: Database, outbox: Outbox | None = None) -> None:
        self.db = db
        # The relay's (``kit.relay.outbox``): writes stage their events and nudge it in one call.
        self.outbox = outbox or Outbox()

    async def ensure_indexes(self) -> None:
        """Indexes for the queries below (idempotent; run at start-up)."""
        recs = self.db[RECOMMENDATIONS]
        # Each ends with _id, the key lists page by (CareerService.visible_recommendations): a list is an
        # index walked in id order from the key, up to the page (docs/ferretdb.md).
        for keys in (
            ("cycle_id", "nip"),
            ("region", "cycle_id"),
            ("region", "status"),
            ("region", "kind"),
            ("region",),
            ("region", "team_id"),
            ("nip",),
            ("team_id",),
        ):
            await recs.create_index([*((key, ASCENDING) for key in keys), ("_id", ASCENDING)])
        await self.db[SCORES].create_index([("nip", ASCENDING)])
        await self.db[SCORES].create_index([("region", ASCENDING), ("cycle_id", ASCENDING)])
        await self.db[EMPLOYEES].create_index([("supervisor_nip", ASCENDING)])
        await self.db[POTENTIALS].create_index([("nip", ASCENDING)])

    # ------------------------------------------------------------------ scores
    async def score_doc(self, cycle_id: str, nip: str) -> dict[str, Any] | None:
        return await self.db[SCORES].find_one({"_id": score_doc_id(cycle_id, nip)})

    async def save_score_fields(
        self, *, cycle_id: str, nip: str, region: str, seen_at: datetime, fields: dict[str, Any]
    ) -> None:
        """Set ``fields`` of the cycle's score document, creating it on the first event."""
        await self.db[SCORES].update_one(
            {"_id": score_doc_id(cycle_id, nip)},
            {
                "$set": {"cycle_id": cycle_id, "nip": nip, "region": region, **fields},
                "$setOnInsert": {"first_seen_at": seen_at},
            },
            upsert=True,
        )

    async def score_docs_of(self, nip: str) -> list[dict[str, Any]]:
        """Every cycle's score document of one employee."""
        return [doc async for doc in self.db[SCORES].find({"nip": nip})]

    async def final_team_scores(self, region: str, cycle_id: str) -> list[dict[str, Any]]:
        """Score documents of a region's cycle that hold a final score of a team member."""
        query = {"region": region, "cycle_id": cycle_id, "final_team_id": {"$exists": True, "$ne": None}}
        return [doc async for doc in self.db[SCORES].find(query)]

    # ------------------------------------------------------------------ cycles
    async def save_cycle(self, cycle_id: str, *, region: str, period_end: str, kind: str) -> None:
        await self.db[CYCLES].update_one(
            {"_id": cycle_id},
            {"$set": {"region": region, "period_end": period_end, "kind": kind}},
            upsert=True,
        )

    async def cycle_region(self, cycle_id: str) -> str | None:
        doc = await self.db[CYCLES].find_one({"_id": cycle_id}, {"region": 1})
        return str(doc["region"]) if doc else None

    async def period_ends(self, cycle_ids: Iterable[str]) -> dict[str, str]:
        """``period_end`` (ISO date) of the cycles career has seen opened."""
        cursor = self.db[CYCLES].find({"_id": {"$in": sorted(set(cycle_ids))}})
        return {doc["_id"]: doc["period_end"] async for doc in cursor}

    # ------------------------------------------------------------------ employees
    async def save_employee(self, employee: Employee, *, region: str, occurred_at: datetime) -> None:
        """Keep the newest version of an employee; an older event arriving late changes nothing."""
        try:
            await self.db[EMPLOYEES].update_one(
                {"_id": employee.nip, "occurred_at": {"$lte": occurred_at}},
                {
                    "$set": {
                        "region": region,
                        "unit_id": employee.unit_id,
                        "team_id": employee.team_id,
                        "supervisor_nip": employee.supervisor_nip,
                        "active": employee.active,
                        "occurred_at": occurred_at,
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:
            return  # a newer version is stored: the filter missed and the upsert hit the same _id

    async def employee(self, nip: str) -> dict[str, Any] | None:
        return await self.db[EMPLOYEES].find_one({"_id": nip})

    async def direct_reports(self, supervisor_nip: str) -> list[dict[str, Any]]:
        return [doc async for doc in self.db[EMPLOYEES].find({"supervisor_nip": supervisor_nip})]

    # ------------------------------------------------------------------ potentials
    async def save_potential(self, cycle_id: str, region: str, assessment: PotentialAssessment) -> None:
        await self.db[POTENTIALS].update_one(
            {"_id": score_doc_id(cycle_id, assessment.nip)},
            {
                "$set": {
                    "nip": assessment.nip,
                    "cycle_id": cycle_id,
                    "region": region,
                    "assessment": assessment.model_dump_json(),
                    "recorded_at": now(),
                }
            },
            upsert=True,
        )

    async def potentials_of(self, nip: str) -> dict[str, PotentialAssessment]:
        """The employee's potential assessments by cycle id."""
        cursor = self.db[POTENTIALS].find({"nip": nip})
        return {
            doc["cycle_id"]: PotentialAssessment.model_validate_json(doc["assessment"])
            async for doc in cursor
        }

    # ------------------------------------------------------------------ recommendations
    async def recommendation(self, recommendation_id: str) -> StoredRecommendation | None:
        doc = await self.db[RECOMMENDATIONS].find_one({"_id": recommendation_id})
        return None if doc is None else _stored(doc)

    async def recommendations_of(self, cycle_id: str, nip: str) -> list[StoredRecommendation]:
        """One employee's recommendations in one cycle, every status."""
        return await self._find_recommendations({"cycle_id": cycle_id, "nip": nip, "team_id": None})

    async def team_awards(self, region: str, cycle_id: str) -> list[StoredRecommendation]:
        """Team award recommendations of a region's cycle, every status."""
        return await self._find_recommendations(
            {"region": region, "cycle_id": cycle_id, "nip": None, "team_id": {"$ne": None}}
        )

    async def list_recommendations(
        self, query: RecommendationQuery, *, after: str | None = None, limit: int = 0
    ) -> list[StoredRecommendation]:
        """Matching ``query``, by id, from the id after ``after``, at most ``limit`` (0: all)."""
        return await self._find_recommendations(query.fields(), after=after, limit=limit)

    async def _find_recommendations(
        self, query: dict[str, Any], *, after: str | None = None, limit: int = 0
    ) -> list[StoredRecommendation]:
        if after is not None:
            query = {**query, "_id": {"$gt": after}}
        cursor = self.db[RECOMMENDATIONS].find(query).sort("_id", ASCENDING).limit(limit)
        return [_stored(doc) async for doc in cursor]

    async def insert_recommendation(self, stored: StoredRecommendation, events: Sequence[Event]) -> None:
        """Store a new recommendation with its events in the same write.

        :raises StaleWrite: a document with that id appeared meanwhile.
        """

        async def insert(staged: Staged) -> bool:
            doc = {"_id": stored.recommendation_id, **_fields(stored), **staged.insert_fields}
            try:
                await self.db[RECOMMENDATIONS].insert_one(doc)
            except DuplicateKeyError:
                return False
            return True

        if not await self.outbox.write(RECOMMENDATIONS, stored.recommendation_id, events, insert):
            raise StaleWrite(f"recommendation {stored.recommendation_id} was stored meanwhile")

    async def replace_recommendation(
        self, stored: StoredRecommendation, *, expected_revision: int, events: Sequence[Event]
    ) -> None:
        """Change a recommendation if it is still at ``expected_revision``; stage ``events`` with it.

        :raises StaleWrite: another writer changed it first.
        """

        async def replace(staged: Staged) -> bool:
            result = await self.db[RECOMMENDATIONS].update_one(
                {"_id": stored.recommendation_id, "revision": expected_revision},
                {"$set": {**_fields(stored), **staged.set_fields}},
            )
            return result.matched_count == 1

        if not await self.outbox.write(RECOMMENDATIONS, stored.recommendation_id, events, replace):
            raise StaleWrite(f"recommendation {stored.recommendation_id} changed meanwhile")


def _fields(stored: StoredRecommendation) -> dict[str, Any]:
    rec = stored.recommendation
    decision = stored.decision
    return {
        "region": stored.region,
        "cycle_id": rec.cycle_id,
        "nip": rec.nip,
        "team_id": rec.team_id,
        "unit_id": rec.unit_id,
        "kind": rec.kind.value,
        "status": rec.status.value,
        "final": rec.final,
        "revision": stored.revision,
        "data": rec.model_dump_json(),
        "decision": None
        if decision is None
        else {
            "status": decision.status,
            "decided_by": decision.decided_by,
            "reason": decision.reason,
            "decided_at": decision.decided_at,
        },
        "updated_at": now(),
    }


def _stored(doc: dict[str, Any]) -> StoredRecommendation:
    decision = doc.get("decision")
    return StoredRecommendation(
        recommendation=Recommendation.model_validate_json(doc["data"]),
        region=doc["region"],
        revision=doc["revision"],
        decision=None if not decision else Decided(**decision),
        updated_at=doc.get("updated_at"),
    )
