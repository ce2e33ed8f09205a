"""The raw Kafka ceiling on this machine: the broker's own perf tools, and a bare aiokafka consumer.

- ``ProducerPerformance``: N records of 1,024 random bytes, acks=all, as fast as it goes.
- ``ConsumerPerformance``: the same N records; we report ``fetch.nMsg.sec`` (after the group join).
- bare aiokafka: N real input events (JSON, ~0.8-1 KB) consumed in a consumer group with
  ``getmany`` and decoded with ``json.loads``; the clock runs from the first record to the last.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import uuid

from aiokafka import AIOKafkaConsumer

from bench.common import ROOT, create_topics, isolated, produce
from shared.events.feedback import INPUTS_TOPIC
from shared.settings import Settings
from tools.workload import COMMENTED, Cycle

JARS = str(ROOT / ".cache" / "stack" / "kafka-libs" / "*")


def _java(tool: str, *args: str, timeout: float = 180) -> str:
    done = subprocess.run(
        ["java", "-Xmx512m", "-cp", JARS, f"org.apache.kafka.tools.{tool}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return done.stdout


def producer_perf(settings: Settings, topic: str, records: int) -> float:
    """records/s of ProducerPerformance."""
    out = _java(
        "ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--record-size",
        "1024",
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={settings.kafka_bootstrap}",
        "acks=all",
    )
    final = [line for line in out.splitlines() if "records sent" in line][-1]
    match = re.search(r"([\d.]+) records/sec", final)
    assert match, final
    return float(match.group(1))


def consumer_perf(settings: Settings, topic: str, records: int) -> float:
    """fetch.nMsg.sec of ConsumerPerformance (excludes the group join)."""
    out = _java(
        "ConsumerPerformance",
        "--bootstrap-server",
        settings.kafka_bootstrap,
        "--topic",
        topic,
        "--messages",
        str(records),
        "--group",
        f"{settings.topic_prefix}perf-{uuid.uuid4().hex[:6]}",
        "--timeout",
        "60000",
    )
    lines = [line for line in out.splitlines() if line.strip()]
    header = [h.strip() for h in lines[-2].split(",")]
    values = [v.strip() for v in lines[-1].split(",")]
    return float(values[header.index("fetch.nMsg.sec")])


async def bare_consumer(settings: Settings, topic: str, records: int) -> float:
    """events/s of an aiokafka consumer in a group that decodes every JSON value."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"{settings.topic_prefix}bare-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        max_poll_records=500,
    )
    await consumer.start()
    try:
        seen, first = 0, 0.0
        deadline = time.monotonic() + 120
        while seen < records and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            for batch in batches.values():
                if not first:
                    first = time.perf_counter()
                for record in batch:
                    json.loads(record.value)
                seen += len(batch)
        elapsed = time.perf_counter() - first
    finally:
        await consumer.stop()
    return seen / elapsed


async def prepare_json(settings: Settings, records: int) -> tuple[str, float]:
    """Fill the inputs topic with ``records`` real input events; (topic, mean bytes)."""
    work = Cycle(records // 6 + 50, profile=COMMENTED, correlation="bench")
    events = work.inputs()[:records]
    await produce(settings, events)
    return settings.topic(INPUTS_TOPIC), sum(len(e.to_bytes()) for e in events) / len(events)


async def _main() -> None:
    settings = isolated("kafka")
    await create_topics(settings, ["raw", INPUTS_TOPIC])
    print("producer", producer_perf(settings, settings.topic("raw"), 200_000))
    print("consumer", consumer_perf(settings, settings.topic("raw"), 200_000))
    topic, size = await prepare_json(settings, 100_000)
    print("bare", await bare_consumer(settings, topic, 100_000), size)
    from bench.common import cleanup

    await cleanup()


if __name__ == "__main__":
    asyncio.run(_main())
