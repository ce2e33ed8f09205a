"""Two instances of a consumer service in one group give exactly the results of one instance."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.events.base import Event
from shared.events.registry import TOPICS
from shared.events.scoring import SCORES_TOPIC
from shared.settings import Settings
from tests.scale.cycle import GeneratedCycle

ROOT = Path(__file__).resolve().parents[2]
PARTITIONS = 6


async def create_topics(settings: Settings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(settings.topic(t), num_partitions=PARTITIONS, replication_factor=1) for t in TOPICS]
        )
    finally:
        await admin.close()


async def publish(settings: Settings, events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=10)
    await producer.start()
    try:
        for event in events:
            await producer.send(settings.topic(event.TOPIC), event.to_bytes(), key=event.key.encode())
        await producer.flush()
    finally:
        await producer.stop()


async def final_scores(
    settings: Settings, employees: int, timeout: float
) -> dict[str, tuple[str, str, float, float]]:
    """The latest final score per employee, read with one consumer until all are in."""
    consumer = AIOKafkaConsumer(
        settings.topic(SCORES_TOPIC),
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    latest: dict[str, tuple[int, tuple[str, str, float, float]]] = {}
    deadline = time.monotonic() + timeout
    await consumer.start()
    try:
        while len(latest) < employees and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = json.loads(record.value)
                    if event["type"] != "scoring.score_finalized":
                        continue
                    s = event["score"]
                    value = (s["predicate"], s["inputs_digest"], s["results_score"], s["behaviour_score"])
                    if s["revision"] >= latest.get(s["nip"], (0, value))[0]:
                        latest[s["nip"]] = (s["revision"], value)
    finally:
        await consumer.stop()
    return {nip: value for nip, (_, value) in latest.items()}


def env_for(settings: Settings, port: int) -> dict[str, str]:
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for name, value in settings.model_dump().items():
        env[f"KINERJA_{name.upper()}"] = str(value)
    env["KINERJA_HTTP_PORT"] = str(port)
    return env


async def run_pipeline(
    settings: Settings,
    instances: int,
    cycle: GeneratedCycle,
    mongo: Any,
    eventually: Callable[..., Awaitable[Any]],
) -> dict[str, tuple[str, str, float, float]]:
    await create_topics(settings)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "services.scoring"],
            cwd=ROOT,
            env=env_for(settings, 18280 + i),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(instances)
    ]
    try:
        directory, inputs = cycle.directory(), cycle.inputs()
        await publish(settings, directory)
        await publish(settings, inputs)
        stored = mongo[settings.database("scoring")]["inputs"]

        async def all_stored() -> bool:
            total = 0
            async for doc in stored.find({}):
                total += sum(len(doc.get(k) or {}) for k in ("plans", "achievements", "feedback"))
            return total == len(inputs)

        assert await eventually(all_stored, timeout=180, interval=1.0), "inputs were not all stored"
        await publish(settings, cycle.closes())
        result = await final_scores(settings, len(cycle.employees), timeout=240)
        assert len(result) == len(cycle.employees), f"{len(result)} of {len(cycle.employees)} finalised"
        return result
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


@pytest.mark.timeout(600)
async def test_two_scoring_processes_give_exactly_what_one_gives(
    settings: Settings,
    mongo: Any,
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    one = settings.model_copy(
        update={"db_prefix": f"{settings.db_prefix}one", "topic_prefix": f"{settings.topic_prefix}one."}
    )
    two = settings.model_copy(
        update={"db_prefix": f"{settings.db_prefix}two", "topic_prefix": f"{settings.topic_prefix}two."}
    )
    single = await run_pipeline(one, 1, GeneratedCycle(), mongo, eventually)
    double = await run_pipeline(two, 2, GeneratedCycle(), mongo, eventually)
    assert double == single
    predicates = {p for p, *_ in single.values()}
    assert len(predicates) >= 3, f"the generated cycle should spread over predicates, got {predicates}"
