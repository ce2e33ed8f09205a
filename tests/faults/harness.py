"""Real servers and real service processes for the fault tests, and the ways to hurt them.

- :class:`PrivateStack`: a Kafka broker and a FerretDB of these tests alone, started with
  ``deploy/local/stack.sh`` under their own state directory and ports, so that killing them does
  not disturb anyone else's tests on the shared stack.
- :class:`ServiceProcess`: ``python -m services.<name>`` with the settings of one scenario.
- :func:`produce`: a producer that makes sure every record is acknowledged by the broker,
  resending what failed (duplicates are allowed: the consumers are at-least-once).
- Offsets and topic readers, to wait by counting: a stage is done when its consumer group has
  committed the end of its topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.events.registry import TOPICS
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "local" / "stack.sh"
PARTITIONS = 4

log = logging.getLogger("faults")
Records = list[ConsumerRecord[bytes, bytes]]


def say(message: str) -> None:
    """Progress on the terminal with ``pytest -s``; in the captured output otherwise."""
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------- the private stack
@dataclass
class PrivateStack:
    """Kafka and FerretDB of the fault tests (no Dex), on their own ports, with state under ``state``."""

    state: Path
    kafka_port: int
    controller_port: int
    mongo_port: int
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}"

    def _env(self) -> dict[str, str]:
        return dict(
            os.environ,
            KINERJA_STACK_STATE=str(self.state),
            KINERJA_KAFKA_PORT=str(self.kafka_port),
            KINERJA_KAFKA_CONTROLLER_PORT=str(self.controller_port),
            KINERJA_MONGO_PORT=str(self.mongo_port),
            KINERJA_KAFKA_PARTITIONS=str(PARTITIONS),
            KINERJA_STACK_TIMEOUT="150",
            # No Dex: these tests need none, and the shared stack's Dex holds KINERJA_OIDC_PORT.
            KINERJA_STACK_OIDC="off",
        )

    def _run(self, action: str, timeout: float) -> None:
        done = subprocess.run(
            [str(STACK), action], env=self._env(), capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"stack.sh {action} failed ({done.returncode}):\n{done.stderr[-3000:]}")

    def up(self) -> None:
        """Start whatever of the two servers is not running, and wait until both answer."""
        with self._lock:  # a restart in the background and a clean-up must not both start one
            self._run("up", timeout=240)

    async def up_async(self) -> None:
        await asyncio.to_thread(self.up)

    def down(self) -> None:
        self._run("down", timeout=120)

    def pid(self, server: str) -> int:
        return int((self.state / "run" / f"{server}.pid").read_text())

    def kill(self, server: str) -> None:
        """SIGKILL ``server`` ("kafka" or "ferretdb") and wait until it is gone and its port closed."""
        pid = self.pid(server)
        port = self.kafka_port if server == "kafka" else self.mongo_port
        say(f"SIGKILL {server} (pid {pid})")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (_alive(pid) or _port_open(port)) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid) or _port_open(port):
            raise RuntimeError(f"{server} (pid {pid}) survived SIGKILL for 30 s")


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (killed, not yet reaped) counts as gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ---------------------------------------------------------------------------- service processes
@dataclass
class ServiceProcess:
    """One ``python -m services.<name>`` process; its output goes to ``logs/<name>-<n>.log``."""

    name: str
    settings: Settings
    logs: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def env(self) -> dict[str, str]:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        for key, value in self.settings.model_dump().items():
            env[f"KINERJA_{key.upper()}"] = str(value)
        env["KINERJA_HTTP_PORT"] = str(free_port())
        env.update(self.extra_env)
        return env

    @property
    def log_path(self) -> Path:
        return self.logs / f"{self.name}-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}"],
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")

    def kill(self) -> None:
        assert self.proc is not None
        say(f"SIGKILL {self.name} (pid {self.proc.pid})")
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


# ---------------------------------------------------------------------------- topics and offsets
async def create_topics(settings: Settings, names: Iterable[str] = TOPICS) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        for name in names:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(settings.topic(name), num_partitions=PARTITIONS, replication_factor=1)]
                )
    finally:
        await admin.close()


async def partitions(settings: Settings, topic: str) -> list[int]:
    """The partition numbers of ``topic`` (full name); [] when it does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        described = await asyncio.wait_for(admin.describe_topics([topic]), 15)
    finally:
        await admin.close()
    return sorted(p["partition"] for t in described if t["topic"] == topic for p in t["partitions"])


class Offsets:
    """End offsets of topics and committed offsets of groups, read again on every call.

    Every call opens its own clients, so that a broker restart between two calls costs nothing
    but a failed call (reported as "not yet").
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def ends(self, topic: str) -> dict[int, int]:
        name = self.settings.topic(topic)
        parts = await partitions(self.settings, name)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            enable_auto_commit=False,
            request_timeout_ms=10000,
        )
        await consumer.start()
        try:
            ends = await consumer.end_offsets([TopicPartition(name, p) for p in parts])
        finally:
            await consumer.stop()
        return {tp.partition: offset for tp, offset in ends.items()}

    async def committed(self, service: str, topic: str) -> dict[int, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap, request_timeout_ms=10000)
        await admin.start()
        try:
            name = self.settings.topic(topic)
            offsets = await admin.list_consumer_group_offsets(self.settings.group(service))
        finally:
            await admin.close()
        return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == name}

    async def consumed(self, service: str, topic: str) -> int:
        """Records of ``topic`` the service's group has committed, over all partitions."""
        return sum(max(0, o) for o in (await self.committed(service, topic)).values())


async def read_all(settings: Settings, topic: str, timeout: float = 60.0) -> Records:
    """Every record of ``topic`` (full name) up to its end offsets when called; [] if it does not exist."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: Records = []
    try:
        parts = await partitions(settings, topic)
        if not parts:
            return []
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end in {timeout} s")
            for batch in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                records.extend(r for r in batch if r.offset < ends[TopicPartition(r.topic, r.partition)])
    finally:
        await consumer.stop()
    return records


# ---------------------------------------------------------------------------- producing
@dataclass
class Produced:
    """What :func:`produce` did: records acknowledged, and how many sends failed and were resent."""

    acknowledged: int = 0
    resent: int = 0
    producers: int = 0


async def produce(
    settings: Settings,
    topic: str,
    records: Sequence[tuple[bytes | None, bytes]],
    *,
    chunk: int = 500,
    pause: Callable[[int], Awaitable[None]] | None = None,
    timeout: float = 300.0,
) -> Produced:
    """Send every record to ``topic`` (full name) until the broker acknowledged each one.

    acks=all and an idempotent producer; a record whose send fails (the broker died, the request
    timed out) is sent again with a new producer once the broker answers. Records go in chunks;
    ``pause(n)`` is awaited before the chunk starting at record ``n`` (to pace the stream or to
    hold it at a point while something else happens).
    """
    result = Produced()
    deadline = time.monotonic() + timeout
    producer: AIOKafkaProducer | None = None
    try:
        for start in range(0, len(records), chunk):
            if pause is not None:
                await pause(start)
            todo = list(range(start, min(start + chunk, len(records))))
            while todo:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(todo)} records still unacknowledged after {timeout} s")
                if producer is None:
                    producer = await _producer(settings, deadline)
                    result.producers += 1
                failed = await _send_chunk(producer, topic, records, todo)
                result.acknowledged += len(todo) - len(failed)
                if failed:
                    result.resent += len(failed)
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    producer = None
                    await asyncio.sleep(0.5)
                todo = failed
    finally:
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()
    return result


async def _producer(settings: Settings, deadline: float) -> AIOKafkaProducer:
    while True:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            request_timeout_ms=8000,
            retry_backoff_ms=200,
        )
        try:
            await producer.start()
            return producer
        except (KafkaError, OSError):
            with contextlib.suppress(Exception):
                await producer.stop()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _send_chunk(
    producer: AIOKafkaProducer, topic: str, records: Sequence[tuple[bytes | None, bytes]], todo: list[int]
) -> list[int]:
    """Send ``todo``; return those not acknowledged."""
    futures: list[tuple[int, asyncio.Future[Any]]] = []
    unsent: list[int] = []
    for n, i in enumerate(todo):
        key, value = records[i]
        try:
            futures.append((i, await producer.send(topic, value, key=key)))
        except (KafkaError, OSError):
            unsent = todo[n:]
            break
    results = await asyncio.gather(*(f for _, f in futures), return_exceptions=True)
    failed = [i for (i, _), r in zip(futures, results, strict=True) if isinstance(r, BaseException)]
    return failed + unsent


# ---------------------------------------------------------------------------- waiting
async def wait_for(
    check: Callable[[], Awaitable[bool]],
    *,
    timeout: float,
    what: str,
    interval: float = 1.0,
    alive: Callable[[], None] = lambda: None,
) -> None:
    """Poll ``check`` until it is true; a failing check (a server is down) counts as not yet."""
    deadline = time.monotonic() + timeout
    while True:
        alive()
        try:
            if await check():
                return
        except (KafkaError, OSError, TimeoutError) as exc:
            log.debug("check of %s failed: %r", what, exc)
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)
