"""At-least-once consumption on the real broker and database: dedupe, dead letters, carry on."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.events.feedback import INPUTS_TOPIC, ProgressReported, Realisation
from shared.settings import Settings
from tests.kernel.ledger import ledger_kit

NIP = "198503122010011002"


def progress(value: float, nip: str = NIP) -> ProgressReported:
    event: ProgressReported = ProgressReported.build(
        region="marelan",
        correlation_id="test",
        producer="test",
        key=nip,
        cycle_id="c1",
        nip=nip,
        realisations=[Realisation(indicator_id="i1", value=value)],
    )
    return event


async def test_redelivered_event_acts_once_and_bad_messages_go_to_the_dead_letter_topic(
    isolated_settings: Settings,
    read_topic: Callable[..., Awaitable[list[Any]]],
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    settings = isolated_settings
    topic = settings.topic(INPUTS_TOPIC)
    first, last = progress(10), progress(5)
    wrong_shape = first.model_dump(mode="json") | {"event_id": str(uuid.uuid4()), "nip": "12"}
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, first.to_bytes(), key=NIP.encode(), headers=[("h", b"1")])
        await producer.send_and_wait(topic, first.to_bytes(), key=NIP.encode())  # the same event again
        await producer.send_and_wait(topic, b"\x00not json{", key=NIP.encode(), headers=[("origin", b"fuzz")])
        future_version = first.to_bytes().replace(b'"schema_version":1', b'"schema_version":9')
        await producer.send_and_wait(topic, future_version, key=NIP.encode())
        await producer.send_and_wait(topic, json.dumps(wrong_shape).encode(), key=NIP.encode())
        await producer.send_and_wait(topic, last.to_bytes(), key=NIP.encode())
    finally:
        await producer.stop()

    kit = ledger_kit(settings)
    await kit.start()
    try:
        accounts = kit.db["accounts"]

        async def settled() -> dict[str, Any] | None:
            doc = await accounts.find_one({"_id": NIP})
            return doc if doc and len(doc["applied"]) == 2 else None

        doc = await eventually(settled)
        assert doc is not None, "consumption stopped at the bad messages"
        assert doc["balance"] == 15  # 10 once (not 20) + 5 from the event after the bad ones
        calls = await kit.db["calls"].find_one({"_id": "calls"})
        assert calls is not None and calls["n"] == 2, "the duplicate reached the handler"
    finally:
        await kit.stop()

    dead = await read_topic(topic + ".dlq", 3)
    assert len(dead) == 3
    reasons = [dict(r.headers) for r in dead]
    assert reasons[0]["dlq.problem"] == b"undecodable"
    assert reasons[0]["origin"] == b"fuzz", "original headers are kept"
    assert dead[0].value == b"\x00not json{", "original bytes are kept"
    assert reasons[1]["dlq.problem"] == b"unsupported-version"
    assert reasons[2]["dlq.problem"] == b"invalid-event"
    assert b"nip" in reasons[2]["dlq.reason"]
    assert all(h["dlq.source_topic"] == topic.encode() for h in reasons)
