"""The directory, cycles and inputs as they arrive, and the provisional scores they change.

Every score event has an id derived from what it says, so that replaying an input republishes
nothing new; a provisional score stages its event in the score document's outbox in the same
write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.scoring.domain import FeedbackInput, RaterStats, final_status
from services.scoring.domain.calibration import calibration_cleared
from services.scoring.mapping import achievement_entry, feedback_entry, plan_entry
from services.scoring.service.common import PRODUCER, UseCases, derived_id
from services.scoring.store import Key, score_document
from shared.events.base import Event
from shared.events.feedback import (
    AchievementReported,
    CycleOpened,
    EmployeeUpserted,
    FeedbackSubmitted,
    PlanApproved,
)
from shared.events.scoring import ScoreComputed, ScoreFinalized, ScoreHeld


@dataclass
class _Context:
    """Of the input that changed a score: what its score event carries."""

    region: str
    correlation_id: str


class InputUseCases(UseCases):
    # ------------------------------------------------------------------ directory and cycles
    async def record_employees(self, events: Sequence[EmployeeUpserted]) -> None:
        latest = {e.employee.nip: e for e in sorted(events, key=lambda e: e.occurred_at)}
        await self.store.upsert_employees(
            (nip, {**e.employee.model_dump(mode="json"), "region": e.region}) for nip, e in latest.items()
        )

    async def record_cycle_opened(self, event: CycleOpened) -> None:
        await self.store.set_cycle(
            event.cycle_id, {"region": event.region, "status": "open", "period_end": str(event.period_end)}
        )

    # ------------------------------------------------------------------ inputs
    async def record_inputs(self, events: Sequence[Event]) -> None:
        updates: dict[Key, dict[str, Any]] = defaultdict(dict)
        contexts: dict[Key, _Context] = {}
        for event in events:
            key = self._store_input(event, updates)
            if key is not None:
                contexts[key] = _Context(event.region, event.correlation_id)
        if not updates:
            return
        await self.store.add_inputs(updates)
        for event in events:
            if isinstance(event, FeedbackSubmitted) and event.cycle_id in self._stats:
                self._stats[event.cycle_id].observe(FeedbackInput.from_event(event))
        await self.rescore(contexts)

    def _store_input(self, event: Event, updates: dict[Key, dict[str, Any]]) -> Key | None:
        if isinstance(event, PlanApproved):
            key = (event.cycle_id, event.nip)
            updates[key][f"plans.{event.event_id}"] = plan_entry(event)
        elif isinstance(event, AchievementReported):
            key = (event.cycle_id, event.nip)
            updates[key][f"achievements.{event.event_id}"] = achievement_entry(event)
        elif isinstance(event, FeedbackSubmitted) and event.ratee_nip is not None:
            key = (event.cycle_id, event.ratee_nip)
            updates[key][f"feedback.{event.event_id}"] = feedback_entry(event)
        else:
            # Citizen feedback on a unit has no employee to score; progress reports do not score.
            return None
        updates[key]["region"] = event.region
        return key

    async def rescore(self, contexts: dict[Key, _Context]) -> None:
        """Recompute the scores of ``contexts``' employees and publish what changed."""
        keys = list(contexts)
        inputs = await self.store.inputs(keys)
        employees = await self.store.employees(nip for _, nip in keys)
        current = await self.store.scores(keys)
        cycles = {c: await self.store.cycle(c) for c in {c for c, _ in keys}}
        writes: list[tuple[dict[str, Any], Event]] = []
        cleared: dict[str, dict[str, Any]] = {}
        for key, ctx in sorted(contexts.items()):
            employee = employees.get(key[1])
            if key not in inputs or employee is None:
                continue  # scored once the employee record arrives
            cycle = cycles.get(key[0]) or {}
            stats = await self._cycle_stats(key[0])
            final = cycle.get("status") == "closed"
            old = current.get(key)
            write = self._score_write(inputs[key], employee, stats, old, ctx, final=final)
            if write is None:
                continue
            writes.append(write)
            if final and old and old.get("calibrated"):
                # A late input changed a calibrated final score: as at a second close, the decision
                # was made on other evidence (docs/scoring.md).
                cleared[write[0]["_id"]] = calibration_cleared(old["predicate"], write[0]["predicate"])
        await self.store.save_scores(writes, cleared)

    def _score_write(
        self,
        doc: dict[str, Any],
        employee: dict[str, Any],
        stats: RaterStats,
        current: dict[str, Any] | None,
        ctx: _Context,
        *,
        final: bool,
    ) -> tuple[dict[str, Any], Event] | None:
        revision = (current or {}).get("revision", 0) + 1
        assessed = self._compute(doc, employee, stats, revision, final=final)
        score = assessed.score
        accepted = bool((current or {}).get("accepted_incomplete"))
        status = final_status(assessed, accepted_incomplete=accepted) if final else "provisional"
        if current and current.get("digest") == score.inputs_digest and current.get("status") == status:
            return None  # nothing new: a replayed or irrelevant input
        env = {
            "region": ctx.region,
            "correlation_id": ctx.correlation_id,
            "producer": PRODUCER,
            "key": score.nip,
        }
        unit_predicate = (current or {}).get("unit_predicate")
        ids = (score.cycle_id, score.nip, score.inputs_digest)
        event: Event
        if status == "held":
            missing = list(assessed.missing)
            held_id = derived_id("held", *ids, revision)
            event = ScoreHeld.build(
                event_id=held_id, **env, score=score, missing=missing, unit_predicate=unit_predicate
            )
        elif final:
            final_id = derived_id("finalized", *ids, revision)
            event = ScoreFinalized.build(event_id=final_id, **env, score=score, unit_predicate=unit_predicate)
        else:
            event = ScoreComputed.build(event_id=derived_id("computed", *ids), **env, score=score)
        fields = score_document(
            cycle_id=score.cycle_id,
            nip=score.nip,
            region=ctx.region,
            unit_id=score.unit_id,
            team_id=score.team_id,
            status=status,
            revision=score.revision,
            digest=score.inputs_digest,
            predicate=score.predicate.value,
            missing=[m.value for m in assessed.missing],
            score_json=score.model_dump_json(),
        )
        return fields, event
