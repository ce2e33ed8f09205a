"""Nothing is lost and nothing takes effect twice when processes, or the database, die."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from shared.events.feedback import INPUTS_TOPIC, ProgressReported, Realisation
from shared.settings import Settings
from tests.kernel.ledger import ledger_kit

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "local" / "stack.sh"
STATE = Path(os.environ.get("KINERJA_STACK_STATE", ROOT / ".cache" / "stack-state"))
NIPS = [f"1985031220100110{i:02d}" for i in range(40)]


def progress(nip: str, value: float = 1.0) -> ProgressReported:
    event: ProgressReported = ProgressReported.build(
        region="plaju",
        correlation_id="faults",
        producer="test",
        key=nip,
        cycle_id="c1",
        nip=nip,
        realisations=[Realisation(indicator_id="i1", value=value)],
    )
    return event


async def publish(settings: Settings, events: list[ProgressReported], pause_every: int = 0) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=5)
    await producer.start()
    try:
        for i, event in enumerate(events):
            await producer.send(settings.topic(INPUTS_TOPIC), event.to_bytes(), key=event.key.encode())
            if pause_every and i % pause_every == 0:
                await producer.flush()
                await asyncio.sleep(0.05)
        await producer.flush()
    finally:
        await producer.stop()


async def applied_total(db: Any) -> int:
    total = 0
    async for doc in db["accounts"].find({}, {"applied": 1}):
        total += len(doc["applied"])
    return total


async def balances(db: Any) -> dict[str, float]:
    return {doc["_id"]: doc["balance"] async for doc in db["accounts"].find({}, {"balance": 1})}


async def test_consumer_killed_mid_stream_loses_nothing_and_repeats_nothing(
    isolated_settings: Settings,
    settings_env: dict[str, str],
    mongo: Any,
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    per_nip = 50
    events = [progress(nip) for _ in range(per_nip) for nip in NIPS]
    await publish(isolated_settings, events)
    db = mongo[isolated_settings.database("ledger")]
    cmd = [sys.executable, "-m", "tests.kernel.ledger"]

    first = subprocess.Popen(cmd, cwd=ROOT, env=settings_env)
    try:
        got_some = await eventually(lambda: _calls_at_least(db, 300), timeout=60, interval=0.05)
        assert got_some, "the consumer never got going"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        before_restart = await applied_total(db)
        assert before_restart < len(events), "killed too late to prove anything"
    finally:
        if first.poll() is None:
            first.kill()

    second = subprocess.Popen(cmd, cwd=ROOT, env=settings_env)
    try:
        done = await eventually(lambda: _all_applied(db, len(events)), timeout=120)
        assert done, f"only {await applied_total(db)} of {len(events)} events took effect"
    finally:
        second.terminate()
        second.wait(20)
    assert await balances(db) == {nip: float(per_nip) for nip in NIPS}


async def _calls_at_least(db: Any, n: int) -> bool:
    doc = await db["calls"].find_one({"_id": "calls"})
    return bool(doc and doc["n"] >= n)


async def _all_applied(db: Any, n: int) -> bool:
    return await applied_total(db) >= n


def _ferretdb_pid() -> int:
    return int((STATE / "run" / "ferretdb.pid").read_text())


async def test_database_restart_while_events_flow_retries_and_loses_nothing(
    isolated_settings: Settings, eventually: Callable[..., Awaitable[Any]]
) -> None:
    per_nip = 30
    events = [progress(nip, 2.0) for _ in range(per_nip) for nip in NIPS]
    kit = ledger_kit(isolated_settings)
    await kit.start()
    stream = asyncio.create_task(publish(isolated_settings, events, pause_every=20))
    try:
        assert await eventually(lambda: _calls_at_least(kit.db, 100), timeout=60, interval=0.05)
        os.kill(_ferretdb_pid(), signal.SIGKILL)
        await asyncio.sleep(3)  # events keep arriving while the database is down
        subprocess.run([str(STACK), "up"], check=True, capture_output=True)
        await stream
        done = await eventually(lambda: _all_applied(kit.db, len(events)), timeout=120)
        assert done, f"only {await applied_total(kit.db)} of {len(events)} events took effect"
        assert await balances(kit.db) == {nip: 2.0 * per_nip for nip in NIPS}
    finally:
        stream.cancel()
        subprocess.run([str(STACK), "up"], check=False, capture_output=True)
        await kit.stop()


@pytest.mark.parametrize("mode", ["before-publish", "after-publish"])
async def test_publisher_killed_around_the_publish_relays_exactly_once_in_effect(
    mode: str,
    isolated_settings: Settings,
    settings_env: dict[str, str],
    read_topic: Callable[..., Awaitable[list[Any]]],
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    nip = NIPS[0]
    writer = subprocess.run(
        [sys.executable, "-m", "tests.kernel.outbox_writer", mode, "report-1", nip],
        cwd=ROOT,
        env=settings_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert writer.returncode == -signal.SIGKILL, writer.stderr
    event_id = writer.stdout.strip()
    topic = isolated_settings.topic(INPUTS_TOPIC)
    before = await read_topic(topic, 1, timeout=3)
    assert len(before) == (1 if mode == "after-publish" else 0)

    # The restarted service: its relay sweeps the collection, its consumer applies the event.
    kit = ledger_kit(isolated_settings, service="writer")
    kit.relay.watch("reports")
    await kit.start()
    try:

        async def relayed() -> bool:
            doc = await kit.db["reports"].find_one({"_id": "report-1"})
            return bool(doc and doc.get("_outbox") == {})

        assert await eventually(relayed), "the relay did not publish the staged event"
        assert await eventually(lambda: _all_applied(kit.db, 1))
        await asyncio.sleep(1)  # give a second copy the chance to be (wrongly) applied
        assert await balances(kit.db) == {nip: 7.0}
    finally:
        await kit.stop()
    on_topic = [r for r in await read_topic(topic, 2, timeout=3) if event_id.encode() in r.value]
    assert len(on_topic) == (2 if mode == "after-publish" else 1)
