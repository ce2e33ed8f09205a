"""What every area of the scoring service shares: the parts it is given, event ids derived from
what an event says, and scoring one employee with the region's rubric."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from services.scoring.domain import DEFAULT_RULES, Assessment, RaterStats, ScoringRules, assess
from services.scoring.mapping import feedback_of, to_cycle_inputs
from services.scoring.store import FinalPublisher, ScoringStorage
from shared.plugins.manager import RubricRegistry

PRODUCER = "scoring"
_NS = uuid.UUID("6c1c0f37-3f52-4b43-9c1c-4a1d54e0b7a1")


def derived_id(*parts: object) -> uuid.UUID:
    """Deterministic event id: the same facts give the same id, so consumers drop repeats."""
    return uuid.uuid5(_NS, "|".join(str(p) for p in parts))


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
