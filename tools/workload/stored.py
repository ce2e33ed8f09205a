"""Scoring's stored documents of one large generated cycle, for the finalisation benchmarks and
tests: its ``employees``, ``inputs`` and provisional ``scores`` documents, and the close.

Built by the scoring service's own mapping functions from real events of one region's first 200
employees (:class:`tools.workload.Cycle`), then copied with each employee's NIP, ids and ratings,
so that 100,000 employees take seconds rather than the minute that building 700,000 validated
events would take. Apart from :mod:`tools.workload` because it imports the scoring service.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from services.scoring.domain import DEFAULT_RULES, RaterStats, compute_score
from services.scoring.mapping import (
    achievement_entry,
    feedback_entry,
    plan_entry,
    stored_row,
    to_cycle_inputs,
)
from shared.events.feedback import AchievementReported, CycleClosed, FeedbackSubmitted, PlanApproved
from shared.plugins.manager import build_registry
from tools.workload.cycle import UNIT_SIZE, Cycle, cycle_id, nip, unit_of

TEMPLATES = UNIT_SIZE * 4
"""Employees whose real inputs the copies take their shapes and ratings from."""


def stored_inputs(employees: int, region: str = "marelan", seed: int = 11) -> Iterator[list[dict[str, Any]]]:
    """Scoring's ``employees`` and ``inputs`` documents of one cycle, in chunks of 1000 pairs."""
    work = Cycle(TEMPLATES, regions=(region,), seed=seed)
    rng = random.Random(seed)
    ratings_by_source: dict[tuple[str, bool], list[str]] = {}
    plan: dict[str, Any] = {}
    achievements: list[str] = []
    for _, _, i in work.people():
        for event in work.inputs_of(0, region, i):
            if isinstance(event, PlanApproved):
                plan = json.loads(plan_entry(event))
            elif isinstance(event, AchievementReported):
                achievements.append(json.loads(achievement_entry(event))["values"])
            elif isinstance(event, FeedbackSubmitted):
                ratings = json.loads(feedback_entry(event))["ratings"]
                ratings_by_source.setdefault((event.source.value, i % 2 == 1), []).append(ratings)
    cid = cycle_id(region)
    chunk: list[dict[str, Any]] = []
    for i in range(employees):
        who = nip(0, i)
        employee = work.employee(0, i).model_dump(mode="json") | {"_id": who, "region": region}
        doc: dict[str, Any] = {
            "_id": f"{cid}|{who}",
            "cycle_id": cid,
            "nip": who,
            "region": region,
            "plans": {
                (pid := str(uuid.UUID(int=rng.getrandbits(128), version=4))): stored_row(
                    {
                        "event_id": pid,
                        "plan_id": f"plan-{who}",
                        "at": work.at.isoformat(),
                        "indicators": plan["indicators"],
                    }
                )
            },
        }
        aid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        doc["achievements"] = {
            aid: stored_row({"event_id": aid, "version": 1, "values": rng.choice(achievements)})
        }
        feedback: dict[str, Any] = {}
        for source, rater in work.raters(0, i % TEMPLATES):
            options = ratings_by_source.get((source.value, i % 2 == 1))
            if not options:
                continue
            rater_nip = nip(0, (i // UNIT_SIZE) * UNIT_SIZE + int(rater[-7:]) % UNIT_SIZE)
            fid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            feedback[fid] = stored_row(
                {
                    "event_id": fid,
                    "submission_id": f"{source.value}:{rater_nip}:{who}",
                    "version": 1,
                    "source": source.value,
                    "rater_nip": rater_nip,
                    "ratee_nip": who,
                    "rubric_id": region,
                    "ratings": rng.choice(options),
                }
            )
        doc["feedback"] = feedback
        chunk.append({"employee": employee, "inputs": doc})
        if len(chunk) == 1000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def provisional_scores(employees: int, region: str = "marelan") -> Iterator[list[dict[str, Any]]]:
    """Scoring's ``scores`` documents as the input events leave them before a close: one
    provisional score per employee of :func:`stored_inputs`, in chunks of 1000. Each carries one
    real score's JSON, so that the documents finalisation overwrites have a real one's size."""
    first = next(stored_inputs(1, region))[0]
    registry = build_registry()
    score = compute_score(
        to_cycle_inputs(first["inputs"], first["employee"]),
        registry.for_region(region),
        registry.score,
        RaterStats(),
        DEFAULT_RULES,
        revision=1,
    )
    text = score.model_dump_json()
    cid = cycle_id(region)
    chunk: list[dict[str, Any]] = []
    for i in range(employees):
        who = nip(0, i)
        chunk.append(
            {
                "_id": f"{cid}|{who}",
                "cycle_id": cid,
                "nip": who,
                "region": region,
                "unit_id": unit_of(i),
                "team_id": None,
                "status": "provisional",
                "revision": 1,
                "digest": "provisional",
                "predicate": score.predicate.value,
                "score": text,
            }
        )
        if len(chunk) == 1000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def closing(employees: int, region: str = "marelan") -> CycleClosed:
    """The close of :func:`stored_inputs`'s cycle, its units Istimewa and Baik in turn. A new
    event id each call: a benchmark closes the same cycle once per run."""
    units = sorted({unit_of(i) for i in range(employees)})
    event: CycleClosed = CycleClosed.build(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        region=region,
        correlation_id="bench-finalize",
        producer="feedback",
        key=cycle_id(region),
        cycle_id=cycle_id(region),
        unit_predicates={u: ("Baik" if k % 2 else "Istimewa") for k, u in enumerate(units)},
    )
    return event
