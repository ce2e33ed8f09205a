"""Two instances of each consumer service give exactly the results of one instance.

The pipeline scoring -> career -> notify runs twice on the same generated cycle, each time under
its own topic and database prefix over topics of 6 partitions: once with one process of each
service, once with two processes of each (``python -m services.<name>``). Final scores, the
recommendations in force and the notifications planned must be the same, and in the second run
every process must have held partitions of its service's work from before the first event to
the end, so that both instances really took part.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.events.base import Event
from shared.events.career import RECOMMENDATIONS_TOPIC
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, INPUTS_TOPIC, EmployeeUpserted
from shared.events.scoring import SCORES_TOPIC
from shared.settings import Settings
from tests.scale.pipeline import (
    CONSUMES,
    WORK,
    Cluster,
    FinalScore,
    Held,
    Members,
    Processes,
    Told,
    career_projection,
    final_scores,
    notify_projection,
    pending_outbox,
    publish,
    read_all,
)
from tools.services import CONSUMERS
from tools.workload import REGIONS, Cycle

Eventually = Callable[..., Awaitable[Any]]
#: Employees per unit of the generated cycle, two units in each of the four regions: 64 in all.
#: That keeps the test to a few minutes (on FerretDB and a busy two-core machine career and notify
#: get through only some events per second) and still gives every unit two teams of three, the
#: minimum for Siulak's team award.
PER_UNIT = 8


def generated() -> Cycle:
    """The cycle both runs get: deterministic for its seed, ids included; the first unit of each
    region Baik, the second Istimewa."""
    return Cycle(len(REGIONS) * 2 * PER_UNIT, unit_size=PER_UNIT, unit_predicates=("Baik", "Istimewa"))


@dataclass(frozen=True)
class Outcome:
    scores: dict[str, FinalScore]
    career: dict[str, list[Held]]
    notify: dict[str, list[Told]]


async def run_pipeline(
    settings: Settings, instances: int, cycle: Cycle, mongo: Any, eventually: Eventually, logs: Path
) -> Outcome:
    async with Cluster(settings) as cluster:
        await cluster.create_topics()
        procs = Processes(settings, instances, logs)
        try:
            return await drive(settings, instances, cycle, mongo, eventually, cluster, procs)
        finally:
            procs.stop()
            with contextlib.suppress(Exception):
                await cluster.delete_topics()


async def drive(
    settings: Settings,
    instances: int,
    cycle: Cycle,
    mongo: Any,
    eventually: Eventually,
    cluster: Cluster,
    procs: Processes,
) -> Outcome:
    def why(what: str) -> str:
        return f"{what} ({instances} instance(s) each)\n{procs.tails()}"

    async def groups() -> dict[str, Members] | None:
        assert not procs.dead(), why("a service process exited")
        seen = {service: await cluster.members(service) for service in CONSUMERS}
        ok = all(len(m) == instances and all(m.values()) for m in seen.values())
        return seen if ok else None

    # Every process holds partitions before the first event, so none can sit the run out.
    start = await eventually(groups, timeout=120, interval=0.5)
    assert start, why("the consumer groups did not become stable with every process holding partitions")

    async def caught_up(topic: str) -> bool:
        assert not procs.dead(), why("a service process exited")
        return all([await cluster.caught_up(s, [topic]) for s in CONSUMERS if topic in CONSUMES[s]])

    # The directory first, then the cycles, then the inputs, each handled by everyone before the
    # next: notify's region-wide messages go to the people it knows when a cycle opens.
    directory = cycle.directory()
    steps: list[tuple[str, list[Event]]] = [
        (EMPLOYEES_TOPIC, [e for e in directory if isinstance(e, EmployeeUpserted)]),
        (CYCLES_TOPIC, [e for e in directory if not isinstance(e, EmployeeUpserted)]),
        (INPUTS_TOPIC, cycle.inputs()),
    ]
    for topic, events in steps:
        await publish(settings, events)
        assert await eventually(lambda topic=topic: caught_up(topic), timeout=180, interval=0.5), why(
            f"{topic} was not handled by every service"
        )

    await publish(settings, cycle.closes())

    async def finals() -> dict[str, FinalScore] | None:
        assert not procs.dead(), why("a service process exited")
        total = sum((await cluster.ends([SCORES_TOPIC])).values())
        scores = final_scores(await read_all(settings, SCORES_TOPIC, total, timeout=30))
        return scores if len(scores) == cycle.employees else None

    scores = await eventually(finals, timeout=240, interval=2.0)
    assert scores, why("not every employee got a final score")

    # Career is done when its group handled every score and its outbox published every
    # recommendation; only then has the recommendations topic its last record for notify.
    career_db = mongo[settings.database("career")]

    async def career_done() -> bool:
        assert not procs.dead(), why("a service process exited")
        return await cluster.caught_up("career") and not await pending_outbox(career_db, "recommendations")

    if not await eventually(career_done, timeout=300, interval=0.5):
        pending = await pending_outbox(career_db, "recommendations")
        lag = await cluster.lag("career")
        raise AssertionError(why(f"career did not finish: lag {lag}, {pending} documents unpublished"))

    async def notify_done() -> bool:
        assert not procs.dead(), why("a service process exited")
        return await cluster.caught_up("notify")

    assert await eventually(notify_done, timeout=300, interval=0.5), why(
        f"notify did not finish: lag {await cluster.lag('notify')}"
    )

    end = {service: await cluster.members(service) for service in CONSUMERS}
    assert end == start, why(f"the groups rebalanced during the run: {start} -> {end}")
    for service in CONSUMERS:
        done = await cluster.committed(service)
        for member, partitions in start[service].items():
            handled = sum(done.get(tp, 0) for tp in partitions if tp.topic == settings.topic(WORK[service]))
            assert handled, why(f"{service} member {member} handled nothing of {WORK[service]}")

    career, in_force = await career_projection(career_db)
    notify = await notify_projection(mongo[settings.database("notify")])

    # Counting: each final score led to a final allowance, and each final score and final
    # recommendation in force to a message in its employee's inbox, exactly once.
    for nip in scores:
        held = career.get(nip, [])
        assert [h for h in held if h.kind == "allowance" and h.final], f"{nip} has no final allowance"
        told = [t for t in notify.get(nip, []) if t.role == "employee"]
        assert sum(t.event_type == "scoring.score_finalized" for t in told) == 1, f"{nip}: {told}"
        issued = sum(t.event_type == "career.recommendation_issued" for t in told)
        assert issued == sum(h.final for h in held), f"{nip}: {held} but told {told}"
    # What is in force was also published (the outbox relay's part), as notify saw it.
    total = sum((await cluster.ends([RECOMMENDATIONS_TOPIC])).values())
    published = {
        e["recommendation"]["recommendation_id"]
        for e in await read_all(settings, RECOMMENDATIONS_TOPIC, total, timeout=30)
        if e["type"] == "career.recommendation_issued"
    }
    assert in_force <= published, f"{len(in_force - published)} recommendations in force were not published"
    return Outcome(scores, career, notify)


def differences(a: dict[str, Any], b: dict[str, Any], limit: int = 5) -> list[str]:
    """The first keys on which two projections differ, with both values."""
    keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    return [f"{k}:\n  one: {a.get(k)}\n  two: {b.get(k)}" for k in keys[:limit]]


@pytest.mark.timeout(600)
async def test_two_instances_of_each_service_give_exactly_what_one_gives(
    settings: Settings, mongo: Any, eventually: Eventually, tmp_path: Path
) -> None:
    # The "one" and "two" variants of the session's database prefix are dropped by conftest.py.
    one = settings.model_copy(
        update={"db_prefix": f"{settings.db_prefix}one", "topic_prefix": f"{settings.topic_prefix}one."}
    )
    two = settings.model_copy(
        update={"db_prefix": f"{settings.db_prefix}two", "topic_prefix": f"{settings.topic_prefix}two."}
    )
    for variant in ("one", "two"):
        (tmp_path / variant).mkdir()
    # Both runs get the same events, ids included. The runs share nothing but the servers, so
    # they run side by side, which saves a minute: the services mostly wait on the database.
    async with asyncio.TaskGroup() as runs:
        first = runs.create_task(run_pipeline(one, 1, generated(), mongo, eventually, tmp_path / "one"))
        second = runs.create_task(run_pipeline(two, 2, generated(), mongo, eventually, tmp_path / "two"))
    single, double = first.result(), second.result()

    # Not vacuous: the cycle spreads over predicates, recommendation kinds and notification kinds.
    predicates = {p for p, *_ in single.scores.values()}
    assert len(predicates) >= 3, f"the generated cycle should spread over predicates, got {predicates}"
    kinds = {h.kind for held in single.career.values() for h in held}
    assert {"allowance", "training", "team_award"} <= kinds and len(kinds) >= 4, f"kinds: {kinds}"
    told = {(t.event_type, t.role) for notes in single.notify.values() for t in notes}
    assert {t for t, _ in told} >= {
        "feedback.cycle_opened",
        "feedback.cycle_closed",
        "scoring.score_finalized",
        "career.recommendation_issued",
    }, f"notifications (event type, role): {sorted(told)}"
    assert {r for _, r in told} >= {"employee", "supervisor", "hr"}, f"roles: {sorted(told)}"

    assert not differences(single.scores, double.scores), differences(single.scores, double.scores)
    assert not differences(single.career, double.career), differences(single.career, double.career)
    assert not differences(single.notify, double.notify), differences(single.notify, double.notify)
