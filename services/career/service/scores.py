"""The score documents career keeps per cycle and employee, as the use cases read them: which
score is in force, how cycles are ordered, what a score event changes, and which employees' and
teams' recommendations a batch of score events touches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from services.career.domain import ScoreInput
from shared.events.base import Event
from shared.events.scoring import CalibrationApplied, ScoreComputed, ScoreFinalized

ScoreEvent = ScoreComputed | ScoreFinalized | CalibrationApplied


def current_input(doc: dict[str, Any]) -> ScoreInput | None:
    """The score in force for a score document: final (calibrated if so) over provisional."""
    if doc.get("final"):
        final = ScoreInput.model_validate_json(doc["final"])
        if doc.get("calibration"):
            final = final.with_calibration(CalibrationApplied.model_validate_json(doc["calibration"]))
        return final
    if doc.get("provisional"):
        return ScoreInput.model_validate_json(doc["provisional"])
    return None


def assign_periods(docs: Sequence[dict[str, Any]], period_ends: dict[str, str]) -> dict[str, str]:
    """Sortable period per cycle: ``period_end`` from ``feedback.cycle_opened``; for a cycle career
    has not seen opened, the time its first score arrived. Equal periods get the cycle id appended,
    so that the history never holds two cycles at one period."""
    periods = {
        doc["cycle_id"]: period_ends.get(doc["cycle_id"]) or _iso(doc["first_seen_at"]) for doc in docs
    }
    counts: dict[str, int] = {}
    for period in periods.values():
        counts[period] = counts.get(period, 0) + 1
    return {cycle: p if counts[p] == 1 else f"{p}/{cycle}" for cycle, p in periods.items()}


def _iso(value: datetime) -> str:
    return value.isoformat()


def final_slots(docs: Iterable[dict[str, Any]]) -> set[tuple[Any, Any]]:
    """What a ranking was made of: each score document's final score as stored."""
    return {(doc["_id"], doc.get("final")) for doc in docs}


def score_fields(doc: dict[str, Any], event: ScoreEvent) -> dict[str, Any] | None:
    """The score document fields ``event`` changes, or None when it changes nothing."""
    if isinstance(event, CalibrationApplied):
        stored_cal = doc.get("calibration")
        if stored_cal:
            old = CalibrationApplied.model_validate_json(stored_cal)
            if old.occurred_at > event.occurred_at or _same_calibration(old, event):
                return None
        return {"calibration": event.model_dump_json()}
    slot = "final" if isinstance(event, ScoreFinalized) else "provisional"
    if doc.get(slot):
        old_score = ScoreInput.model_validate_json(doc[slot]).score
        if old_score == event.score or old_score.revision > event.score.revision:
            return None
    fields: dict[str, Any] = {slot: ScoreInput.from_event(event).model_dump_json()}
    if slot == "final":
        fields["final_team_id"] = event.score.team_id
        if doc.get("calibration") and doc.get("final"):
            # A calibration is a decision on the final score it was made on: scoring clears it when
            # a cycle reopened for corrections is finalised again (docs/scoring.md), so a newer
            # final score here means the computed predicate stands until the official decides again.
            fields["calibration"] = None
    return fields


def _same_calibration(a: CalibrationApplied, b: CalibrationApplied) -> bool:
    keys = ("predicate", "decision", "decided_by", "reason", "previous_predicate")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def touched_by(events: Sequence[Event]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(nip, cycle) pairs whose recommendations, and (region, cycle) pairs whose team awards, the
    score events may change; in first-seen order, without repeats."""
    employees: dict[tuple[str, str], None] = {}
    teams: dict[tuple[str, str], None] = {}
    for event in events:
        if isinstance(event, CalibrationApplied):
            employees[(event.nip, event.cycle_id)] = None
            teams[(event.region, event.cycle_id)] = None
        elif isinstance(event, ScoreComputed | ScoreFinalized):
            employees[(event.score.nip, event.score.cycle_id)] = None
            if isinstance(event, ScoreFinalized):
                teams[(event.region, event.score.cycle_id)] = None
    return list(employees), list(teams)
