"""What every area of the scoring service shares: the parts it is given, event ids derived from
what an event says, and scoring one employee with the region's rubric."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, Protocol

from services.scoring.domain import DEFAULT_RULES, Assessment, RaterStats, ScoringRules, assess
from services.scoring.mapping import feedback_of, to_cycle_inputs
from shared.events.base import Event
from shared.outbox import Record
from shared.plugins.manager import RubricRegistry

PRODUCER = "scoring"
_NS = uuid.UUID("6c1c0f37-3f52-4b43-9c1c-4a1d54e0b7a1")
Key = tuple[str, str]
"""A score's key: (cycle id, NIP)."""


def derived_id(*parts: object) -> uuid.UUID:
    """Deterministic event id: the same facts give the same id, so consumers drop repeats."""
    return uuid.uuid5(_NS, "|".join(str(p) for p in parts))


class ScoringStorage(Protocol):
    """What the use cases ask of the store: :class:`~services.scoring.store.ScoringStore` on the
    database, an in-memory one in the service's unit tests (tests/scoring/memory.py). Documents
    are in their stored shapes (store.py); keys are (cycle id, NIP)."""

    async def upsert_employees(self, docs: Iterable[tuple[str, dict[str, Any]]]) -> None: ...
    async def employees(
        self, nips: Iterable[str], fields: Mapping[str, int] | None = None
    ) -> dict[str, dict[str, Any]]: ...
    def region_employees(self, region: str) -> AsyncIterator[dict[str, Any]]: ...
    async def employee(self, nip: str) -> dict[str, Any] | None: ...
    async def set_cycle(self, cycle_id: str, fields: Mapping[str, Any]) -> None: ...
    async def cycles_with_status(self, status: str) -> list[dict[str, Any]]: ...
    async def cycle(self, cycle_id: str) -> dict[str, Any] | None: ...
    async def add_inputs(self, updates: Mapping[Key, Mapping[str, Any]]) -> None: ...
    async def inputs(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]: ...
    def cycle_feedback(self, cycle_id: str, batch: int = 1000) -> AsyncIterator[list[dict[str, Any]]]: ...
    async def scores(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]: ...
    async def score_states(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]: ...
    async def score(self, cycle_id: str, nip: str) -> dict[str, Any] | None: ...
    async def cycle_scores(self, cycle_id: str, unit_id: str | None = None) -> list[dict[str, Any]]: ...
    async def cycle_scores_after(
        self, cycle_id: str, after: str | None, limit: int, region: str | None = None
    ) -> list[dict[str, Any]]: ...
    async def employee_scores(self, nip: str) -> list[dict[str, Any]]: ...
    async def save_scores(
        self,
        writes: Iterable[tuple[dict[str, Any], Event]],
        cleared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None: ...
    async def save_final_scores(
        self,
        fresh: list[dict[str, Any]],
        replacing: list[dict[str, Any]],
        cleared: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None: ...
    async def record_decision(
        self,
        collection: str,
        key: str,
        fields: Mapping[str, Any],
        event: Event,
        audit: Mapping[str, Any],
        *,
        calibration: bool = True,
    ) -> None: ...


class FinalPublisher(Protocol):
    """What finalisation asks of the outbox relay (:class:`~shared.outbox.OutboxRelay`): publish a
    cycle's final score events straight away, no document staging them."""

    async def publish_unstaged(self, records: Sequence[Record], homes: Sequence[tuple[str, Any]]) -> None: ...


class UseCases:
    """The base of each area's use cases (:class:`~services.scoring.service.ScoringService` joins
    them): the store (whose outbox publishes what a write stages), the relay (which publishes a
    cycle's final scores straight away), the rubric registry and the national rules."""

    def __init__(
        self,
        store: ScoringStorage,
        relay: FinalPublisher,
        registry: RubricRegistry,
        rules: ScoringRules = DEFAULT_RULES,
    ) -> None:
        self.store = store
        self.relay = relay
        self.registry = registry
        self.rules = rules
        # Rater statistics per cycle for provisional scores: seeded from the stored inputs at
        # first use, then kept current with every feedback this process handles. Final scores
        # always rebuild them from every stored input.
        self._stats: dict[str, RaterStats] = {}

    async def _cycle_stats(self, cycle_id: str) -> RaterStats:
        if cycle_id not in self._stats:
            stats = RaterStats()
            async for docs in self.store.cycle_feedback(cycle_id):
                for doc in docs:
                    stats.observe_all(feedback_of(doc))
                await asyncio.sleep(0)
            self._stats[cycle_id] = stats
        return self._stats[cycle_id]

    def _compute(
        self,
        doc: dict[str, Any],
        employee: dict[str, Any],
        stats: RaterStats,
        revision: int,
        *,
        final: bool = True,
    ) -> Assessment:
        """Score one employee's stored inputs with the rubric of the employee's region."""
        inputs = to_cycle_inputs(doc, employee)
        spec = self.registry.for_region(employee["region"])
        return assess(
            inputs, spec, self.registry.score, stats, self.rules, revision=revision, provisional=not final
        )
