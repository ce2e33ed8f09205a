"""``kinerja replay``: the group reads the topic from offset 0 again and the inbox forgets its events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from motor.motor_asyncio import AsyncIOMotorClient
from typer.testing import Result

from shared.events.feedback import CYCLES_TOPIC
from shared.settings import Settings

Invoke = Callable[..., Awaitable[Result]]
RECORDS = 5


@asynccontextmanager
async def member(settings: Settings, group: str, topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer that joins ``group`` as a service process would, reading committed offsets only."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="latest",  # without a committed offset it would read nothing old
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def read(consumer: AIOKafkaConsumer, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    records: list[ConsumerRecord[bytes, bytes]] = []
    for _ in range(100):
        if len(records) >= count:
            break
        for batch in (await consumer.getmany(timeout_ms=300)).values():
            records.extend(batch)
    return records


async def published(settings: Settings, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(RECORDS):
            await producer.send_and_wait(topic, f"event {n}".encode(), key=b"c", partition=0)
    finally:
        await producer.stop()


async def test_replay_rewinds_the_group_and_clears_the_inbox_of_the_topic(
    invoke: Invoke, isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]
) -> None:
    topic = isolated_settings.topic(CYCLES_TOPIC)
    group = f"{isolated_settings.topic_prefix}kinerja-scoring"
    await published(isolated_settings, topic)
    async with member(isolated_settings, group, topic) as service:
        await service.seek_to_beginning()
        assert len(await read(service, RECORDS)) == RECORDS
        await service.commit()  # the service has handled everything
    inbox = mongo[isolated_settings.database("scoring")]["inbox"]
    await inbox.insert_many(
        [
            {"_id": "e-opened", "type": "feedback.cycle_opened"},
            {"_id": "e-closed", "type": "feedback.cycle_closed"},
            {"_id": "e-employee", "type": "feedback.employee_upserted"},
        ]
    )

    result = await invoke("replay", "scoring", CYCLES_TOPIC, "--yes")

    assert result.exit_code == 0, result.output
    assert "removed 2 inbox entries" in result.stdout
    assert f"partition 0: offset {RECORDS} -> 0" in result.stdout
    assert sorted([d["_id"] async for d in inbox.find({})]) == ["e-employee"]
    async with member(isolated_settings, group, topic) as service:
        again = await read(service, RECORDS)
        assert [(r.partition, r.offset) for r in again] == [(0, n) for n in range(RECORDS)]
        assert await service.committed(TopicPartition(topic, 0)) == 0


async def test_replay_refuses_while_the_service_runs(invoke: Invoke, isolated_settings: Settings) -> None:
    topic = isolated_settings.topic(CYCLES_TOPIC)
    group = f"{isolated_settings.topic_prefix}kinerja-career"
    await published(isolated_settings, topic)
    async with member(isolated_settings, group, topic) as service:
        for _ in range(100):  # until joined and assigned: the group is then Stable with one member
            if service.assignment():
                break
            await service.getmany(timeout_ms=300)
        assert service.assignment()
        result = await invoke("replay", "career", CYCLES_TOPIC, "--yes")
        assert await service.committed(TopicPartition(topic, 0)) is None

    assert result.exit_code == 3
    assert f"consumer group {group} is Stable with 1 member(s): stop every career process first" in (
        result.stderr
    )


async def test_replay_asks_before_it_changes_anything(invoke: Invoke, isolated_settings: Settings) -> None:
    result = await invoke("replay", "notify", CYCLES_TOPIC, input="n\n")

    assert result.exit_code == 1  # Click's abort
    assert "must have no members: stop every notify process first" in result.stdout
    assert "removed" not in result.stdout


async def test_replay_names_the_topics_and_services_it_knows(invoke: Invoke) -> None:
    topic = await invoke("replay", "scoring", "kinerja.tidak.ada.v1", "--yes")
    service = await invoke("replay", "payroll", CYCLES_TOPIC, "--yes")

    assert topic.exit_code == service.exit_code == 2
    assert CYCLES_TOPIC in topic.stderr and "scoring" in service.stderr


async def test_replay_of_a_topic_not_on_the_cluster_stops_without_creating_it(
    invoke: Invoke, isolated_settings: Settings
) -> None:
    result = await invoke("replay", "scoring", CYCLES_TOPIC, "--yes")

    assert result.exit_code == 2
    topic = isolated_settings.topic(CYCLES_TOPIC)
    assert f"topic {topic} does not exist" in result.stderr
    admin = AIOKafkaAdminClient(bootstrap_servers=isolated_settings.kafka_bootstrap)
    await admin.start()
    try:
        assert topic not in await admin.list_topics()
    finally:
        await admin.close()
