"""Faults on the real servers: every valid event takes effect once, every poison is dead-lettered.

Each scenario streams generated input events (the feedback service's, keyed by NIP onto a
4-partition inputs topic) with 1% poison records mixed in, through scoring, career and notify
running as processes on a private Kafka and FerretDB (see conftest.py), hurts one part while the
events flow, then closes the cycles so that final scores and recommendations follow:

A. the broker is SIGKILLed partway through a stream of 20,000 events and restarted, while the
   producer keeps going and resends what the broker did not acknowledge;
B. the consumers are SIGKILLed in the middle of their batches and restarted: scoring and notify
   while the stream flows, career while it handles the final scores;
C. FerretDB is SIGKILLed while the events flow and restarted.

And one race on the real FerretDB: career changing recommendations while its outbox relay marks
their earlier changes published (FerretDB v1 can lose one of two concurrent updates).

Then :meth:`Pipeline.verify` counts and compares: each valid input stored once by scoring; per
employee, score events of revisions 1..r published once each, the last one final; every distinct
score event handled once by career and by notify; each final score the one scoring's rules give
for all its stored inputs; career's kept scores the last ones, its recommendations a fixed point of
its rules, each revision of them published once; each final score's and final recommendation's inbox
message written once; each poison record in ``<inputs>.dlq`` with its reason, nothing else there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from services.career.app import create_app as create_career
from services.career.domain import StoredRecommendation
from services.career.service import event_id_for
from services.career.store import StaleWrite
from shared.events.career import (
    RECOMMENDATIONS_TOPIC,
    Recommendation,
    RecommendationIssued,
    RecommendationKind,
)
from shared.events.feedback import INPUTS_TOPIC
from shared.events.scoring import SCORES_TOPIC
from shared.runtime import ServiceKit
from shared.settings import Settings
from tests.faults.harness import PrivateStack, create_topics, read_all, say, wait_for
from tests.faults.pipeline import Hurt, Pipeline, Report, Stream

#: Valid input events per scenario: A is the issue's 20,000; B and C are smaller to fit `make test`.
#: Each employee gets PER_EMPLOYEE of them (40 employees): career's work grows with employees.
VALID_A, VALID_B, VALID_C = 20_000, 4_000, 4_000
PER_EMPLOYEE_A, PER_EMPLOYEE_BC = 500, 100
SETTLE_S = 240


async def run_scenario(stack: PrivateStack, logs: Path, stream: Stream, hurt: Hurt) -> Report:
    pipe = Pipeline(stack, stream, logs)
    try:
        await pipe.start()
        report = await pipe.run(hurt, settle_s=SETTLE_S)
    finally:
        await pipe.close()
        await stack.up_async()  # whatever a scenario left down, the next one finds running
    say(report.summary())
    return report


class Faults:
    """The faults of one scenario, each a task running beside the stream: a producer held back
    until a fault is over would leave the consumers idle, with nothing to fail on, when it strikes."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []
        self.done: list[str] = []

    def start(self, fault: Awaitable[None]) -> None:
        async def run() -> None:
            await fault

        self.tasks.append(asyncio.create_task(run()))

    async def finish(self) -> None:
        """Wait for every fault to have struck and been repaired (its failure fails the test)."""
        for task in self.tasks:
            await task

    async def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def _at_least(pipe: Pipeline, service: str, topic: str, n: float) -> bool:
    return await pipe.consumed(service, topic) >= n


async def _lagging(pipe: Pipeline, service: str, topic: str, at_least: float) -> bool:
    """The service's group has committed ``at_least`` records of ``topic`` and has more to go."""
    consumed = await pipe.consumed(service, topic)
    return consumed >= at_least and sum((await pipe.offsets.ends(topic)).values()) > consumed


async def _finalising(pipe: Pipeline) -> bool:
    """Scoring has finalised at least one cycle."""
    return await pipe.db("scoring")["cycles"].find_one({"status": "closed"}) is not None


async def _retried(pipe: Pipeline, service: str, times: int) -> bool:
    """The service's consumer has retried ``times`` times after a transient failure."""
    return pipe.services[service].log_path.read_text(errors="replace").count("transient failure") >= times


@pytest.mark.timeout(480)
async def test_broker_sigkilled_mid_stream_of_20000_events(
    private_stack: PrivateStack, fault_logs: Path
) -> None:
    faults = Faults()

    async def broker_outage(pipe: Pipeline, total: int) -> None:
        await wait_for(
            lambda: _at_least(pipe, "scoring", INPUTS_TOPIC, 0.2 * total),
            timeout=120,
            what="scoring to consume a fifth of the stream",
            alive=pipe.alive,
        )
        private_stack.kill("kafka")
        faults.done.append("kafka killed")
        await private_stack.up_async()  # takes a while: the producer meets a dead broker meanwhile
        faults.done.append("kafka restarted")

    async def killed() -> bool:
        return bool(faults.done)

    async def hurt(pipe: Pipeline, n: int, total: int) -> None:
        if not faults.tasks and n >= 0.4 * total:
            faults.start(broker_outage(pipe, total))
            # Hold the stream until the broker is gone, so that the rest of it meets the outage.
            await wait_for(killed, timeout=150, interval=0.1, what="the broker to be killed")
        elif n == total:
            await faults.finish()

    try:
        report = await run_scenario(private_stack, fault_logs, Stream.of(VALID_A, PER_EMPLOYEE_A), hurt)
    finally:
        await faults.cancel()
    assert faults.done == ["kafka killed", "kafka restarted"]
    assert report.produced is not None and report.produced.resent > 0, "the producer never saw it down"
    assert (report.valid_sent, report.poison_sent) == (VALID_A, VALID_A // 100)
    assert not report.problems, "\n".join(report.problems)


@pytest.mark.timeout(360)
async def test_consumers_sigkilled_mid_batch(private_stack: PrivateStack, fault_logs: Path) -> None:
    faults = Faults()

    async def kill_when_busy(pipe: Pipeline, service: str, topic: str, at_least: float) -> None:
        await wait_for(
            lambda: _lagging(pipe, service, topic, at_least),
            timeout=120,
            interval=0.1,
            what=f"{service} to be in the middle of {topic}",
            alive=pipe.alive,
        )
        pipe.services[service].kill()
        pipe.services[service].start()
        faults.done.append(service)

    async def career_in_final_scores(pipe: Pipeline) -> None:
        # The cycles are closing: career is busy with final scores, team awards and final
        # recommendations, each staged in an outbox.
        await wait_for(
            lambda: _finalising(pipe), timeout=120, interval=0.1, what="a final score", alive=pipe.alive
        )
        await kill_when_busy(pipe, "career", SCORES_TOPIC, 1)

    async def hurt(pipe: Pipeline, n: int, total: int) -> None:
        if not faults.tasks and n >= 0.3 * total:
            faults.start(kill_when_busy(pipe, "scoring", INPUTS_TOPIC, 0.15 * total))
        elif len(faults.tasks) == 1 and n >= 0.6 * total:
            faults.start(kill_when_busy(pipe, "notify", SCORES_TOPIC, 1))
        elif n == total:
            faults.start(career_in_final_scores(pipe))
            await faults.finish()

    try:
        report = await run_scenario(private_stack, fault_logs, Stream.of(VALID_B, PER_EMPLOYEE_BC), hurt)
    finally:
        await faults.cancel()
    assert sorted(faults.done) == ["career", "notify", "scoring"]
    assert report.restarts == {"scoring": 1, "career": 1, "notify": 1}
    assert not report.problems, "\n".join(report.problems)


@pytest.mark.timeout(360)
async def test_database_sigkilled_while_events_flow(private_stack: PrivateStack, fault_logs: Path) -> None:
    faults = Faults()

    async def database_outage(pipe: Pipeline, total: int) -> None:
        await wait_for(
            lambda: _at_least(pipe, "scoring", INPUTS_TOPIC, 0.15 * total),
            timeout=120,
            what="scoring to consume part of the stream",
            alive=pipe.alive,
        )
        private_stack.kill("ferretdb")
        faults.done.append("ferretdb killed")
        # Down until scoring has retried past its retry budget and handed a batch back to Kafka:
        # the back-off before retry k is at least min(0.1 * 2**(k-1), 1) s (stamina, plus jitter),
        # so four retries take at least 1.5 s, past the 1 s budget: the seventh retry is the
        # batch's second delivery at the latest.
        await wait_for(
            lambda: _retried(pipe, "scoring", 7),
            timeout=120,
            what="scoring to retry against the missing database",
            alive=pipe.alive,
        )
        await private_stack.up_async()
        faults.done.append("ferretdb restarted")

    async def hurt(pipe: Pipeline, n: int, total: int) -> None:
        if not faults.tasks and n >= 0.3 * total:
            faults.start(database_outage(pipe, total))
        elif n == total:
            await faults.finish()

    try:
        report = await run_scenario(private_stack, fault_logs, Stream.of(VALID_C, PER_EMPLOYEE_BC), hurt)
    finally:
        await faults.cancel()
    assert faults.done == ["ferretdb killed", "ferretdb restarted"]
    assert not report.problems, "\n".join(report.problems)


# ---------------------------------------------------------------------------- a race on FerretDB
RACING_DOCUMENTS, REVISIONS = 20, 25


@pytest.mark.timeout(180)
async def test_career_changes_recommendations_while_its_relay_marks_earlier_changes_published(
    private_stack: PrivateStack,
) -> None:
    """FerretDB v1 applies an update by reading, changing and writing back the document without a
    lock (docs/ferretdb.md). Career stages each change of a recommendation in the document's
    outbox, and its relay ``$unset``s the entry once published; recommendations that change
    again and again (as provisional scores come in) must keep every change. Career's own wiring
    (its app's store and relay) on the real broker and database."""
    tag = uuid.uuid4().hex[:6]
    settings = Settings(
        kafka_bootstrap=private_stack.bootstrap,
        mongo_url=private_stack.mongo_url,
        db_prefix=f"faults{tag}",
        topic_prefix=f"faults{tag}.",
        outbox_sweep_s=0.5,
        log_level="WARNING",
    )
    app = create_career(settings)
    kit: ServiceKit = app.state.kit
    store = app.dependencies["service"].dependency().store
    await create_topics(settings, [RECOMMENDATIONS_TOPIC])
    await kit.broker.start()  # the relay's producer; no consumer: the test is the writer
    kit.relay.start()
    lost: list[str] = []

    async def keep_changing(rid: str) -> None:
        rec = _recommendation(rid, 1)
        await store.insert_recommendation(StoredRecommendation(rec, "plaju", 1), [_issued(rec, 1)])
        for revision in range(2, REVISIONS + 1):
            rec = _recommendation(rid, revision)
            try:
                await store.replace_recommendation(
                    StoredRecommendation(rec, "plaju", revision),
                    expected_revision=revision - 1,
                    events=[_issued(rec, revision)],
                )
            except StaleWrite:
                # Nobody else writes it: the previous change, acknowledged, has vanished.
                lost.append(f"{rid} revision {revision - 1}")
                return

    try:
        await asyncio.gather(*(keep_changing(f"race-{i}") for i in range(RACING_DOCUMENTS)))
        recommendations = kit.db["recommendations"]

        async def published() -> bool:
            pending = {"_outbox": {"$exists": True, "$ne": {}}}
            return await recommendations.find_one(pending, {"_id": 1}) is None

        await wait_for(published, timeout=60, what="the relay to publish every change")
        async for doc in recommendations.find({}, {"revision": 1, "data": 1}):
            if (doc["revision"], json.loads(doc["data"])["title"]) != (REVISIONS, f"change {REVISIONS}"):
                lost.append(f"{doc['_id']} revision {REVISIONS}")
        assert not lost, f"{len(lost)} changes of {RACING_DOCUMENTS} recommendations were lost: {lost[:5]}"
        records = await read_all(settings, settings.topic(RECOMMENDATIONS_TOPIC))
        ids = {json.loads(r.value)["event_id"] for r in records}
        everything = range(1, REVISIONS + 1)
        assert ids == {str(event_id_for(f"race-{i}", k)) for i in range(RACING_DOCUMENTS) for k in everything}
    finally:
        await kit.stop()
        client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(settings.mongo_url)
        await client.drop_database(settings.database("career"))
        client.close()


def _recommendation(recommendation_id: str, revision: int) -> Recommendation:
    return Recommendation(
        recommendation_id=recommendation_id,
        cycle_id="plaju-2026",
        nip="198602201120000001",
        unit_id="unit0000",
        kind=RecommendationKind.TRAINING,
        title=f"change {revision}",
        reason="race",
        score_event_ids=["score-1"],
        final=False,
    )


def _issued(rec: Recommendation, revision: int) -> RecommendationIssued:
    event: RecommendationIssued = RecommendationIssued.build(
        event_id=event_id_for(rec.recommendation_id, revision),
        recommendation=rec,
        region="plaju",
        correlation_id="race",
        producer="career",
        key=rec.nip or "",
    )
    return event
