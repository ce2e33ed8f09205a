"""What every measurement shares: isolated prefixes, service processes, Kafka offsets, clean-up.

Every run gets its own topic prefix and database prefix (``bench<label><hex>``); everything
created under them is deleted at the end (:func:`cleanup`), and every process started is stopped
(:func:`stop_all`), also when a measurement fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from motor.motor_asyncio import AsyncIOMotorClient

from shared.events.base import Event
from shared.events.registry import TOPICS
from shared.settings import Settings
from tools.services import SERVICES

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".cache" / "bench-logs"
#: As many as the services create (docs/scale-out.md).
PARTITIONS = 12

_prefixes: list[str] = []
_procs: list[Service] = []


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Figure:
    """Several runs of one measurement: median, min and max."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.values else float("nan")

    @property
    def runs(self) -> int:
        return len(self.values)


def isolated(label: str) -> Settings:
    """Settings with a fresh topic and database prefix, remembered for clean-up."""
    tag = f"bench{label}{uuid.uuid4().hex[:6]}"
    _prefixes.append(tag)
    base = Settings()
    return base.model_copy(
        update={"topic_prefix": f"{tag}.", "db_prefix": tag, "log_level": "WARNING", "http_port": 0}
    )


def remember_prefix(prefix: str) -> None:
    _prefixes.append(prefix)


# ---------------------------------------------------------------------------- topics and databases
async def create_topics(
    settings: Settings, names: Iterable[str] = TOPICS, partitions: int = PARTITIONS
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(settings.topic(t), num_partitions=partitions, replication_factor=1) for t in names]
        )
    finally:
        await admin.close()


async def cleanup(prefixes: Sequence[str] | None = None) -> None:
    """Delete the topics and drop the databases of every prefix used (or of ``prefixes``)."""
    chosen = list(prefixes if prefixes is not None else _prefixes)
    if not chosen:
        return
    base = Settings()
    admin = AIOKafkaAdminClient(bootstrap_servers=base.kafka_bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if any(t.startswith(f"{p}.") for p in chosen)]
        if topics:
            await admin.delete_topics(topics)
        # Consumer groups of the services and of the bare consumers.
        groups = [g for g, *_ in await admin.list_consumer_groups() if any(g.startswith(p) for p in chosen)]
        if groups:
            with contextlib.suppress(Exception):
                await admin.delete_consumer_groups(groups)
    finally:
        await admin.close()
    # Drop by name: listDatabases can take minutes on a FerretDB holding hundreds of databases.
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(
        base.mongo_url, serverSelectionTimeoutMS=10_000, socketTimeoutMS=120_000
    )
    try:
        for prefix in chosen:
            for service in SERVICES:
                await client.drop_database(f"{prefix}_{service}")
    finally:
        client.close()
    if prefixes is None:
        _prefixes.clear()


# ---------------------------------------------------------------------------- processes
class Service:
    """One ``python -m services.<name>`` process on isolated prefixes and a spare port."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        port: int,
        env: dict[str, str] | None = None,
        *,
        module: str | None = None,
        args: Sequence[str] = (),
    ) -> None:
        """``python -m services.<name>``, or ``python -m <module> <args>`` when given."""
        self.name, self.settings, self.port = name, settings, port
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"{settings.db_prefix}-{name}-{port}.log"
        full = dict(os.environ, PYTHONPATH=str(ROOT))
        for key, value in settings.model_dump().items():
            full[f"KINERJA_{key.upper()}"] = str(value)
        full["KINERJA_HTTP_PORT"] = str(port)
        full.update(env or {})
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", module or f"services.{name}", *args],
                cwd=ROOT,
                env=full,
                stdout=log,
                stderr=log,
            )
        self.peak_mb = 0.0
        _procs.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/health/ready"
        async with httpx.AsyncClient(timeout=3) as client:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: see {self.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s: see {self.log_path}")
                await asyncio.sleep(0.3)

    def sample_peak(self) -> float:
        """Peak resident set size (VmHWM) so far, in MB; kept after the process ends."""
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)
        return self.peak_mb

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.sample_peak()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self in _procs:
            _procs.remove(self)


STACK_RUN = ROOT / ".cache" / "stack-state" / "run"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (all processes, all cores)."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def stack_pids() -> dict[str, int]:
    pids = {}
    for name in ("kafka", "ferretdb"):
        with contextlib.suppress(OSError, ValueError):
            pids[name] = int((STACK_RUN / f"{name}.pid").read_text().strip())
    return pids


class CpuMeter:
    """CPU seconds spent by given processes, the stack and the whole machine between start and stop."""

    def __init__(self, procs: Sequence[Service]) -> None:
        self.pids = {f"{p.name}:{p.pid}": p.pid for p in procs} | stack_pids()
        self.start = {k: cpu_seconds(pid) for k, pid in self.pids.items()}
        self.machine0 = machine_cpu_seconds()
        self.t0 = time.monotonic()
        self.used: dict[str, float] = {}

    def stop(self) -> dict[str, float]:
        self.used = {k.split(":")[0]: 0.0 for k in self.pids}
        for k, pid in self.pids.items():
            self.used[k.split(":")[0]] += max(0.0, cpu_seconds(pid) - self.start[k])
        self.used["whole machine"] = machine_cpu_seconds() - self.machine0
        self.used["wall"] = time.monotonic() - self.t0
        return self.used


def on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that ``finally`` blocks stop processes and clean up."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def stop_all() -> None:
    for proc in list(_procs):
        with contextlib.suppress(Exception):
            proc.stop()


async def start(
    services: Sequence[tuple[str, int]],
    settings: Settings,
    *,
    module: str | None = None,
    args: Sequence[str] = (),
) -> list[Service]:
    started = [Service(name, settings, port, module=module, args=args) for name, port in services]
    await asyncio.gather(*(s.ready() for s in started))
    return started


# ---------------------------------------------------------------------------- HTTP load
class KeepAlive:
    """One keep-alive HTTP/1.1 connection that sends prepared requests and reads their answers:
    the load generator of the API benchmarks. It shares the machine with what it measures, so it
    must cost little: httpx spent 2.3 ms of CPU per request, more than the service it drove, where
    this spends about 0.08 ms (bench.feedback_api reports it as the client's share). Answers
    must carry Content-Length (Litestar's do); anything else is refused rather than misread.
    """

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Self:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
        """The bytes of one request, prepared once and sent with :meth:`send`."""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send a prepared request; returns the answer's status and body."""
        assert self._reader is not None and self._writer is not None, "use as an async context manager"
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status, length = int(head[9:12]), None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"an answer without Content-Length: {head[:200]!r}")
        return status, await self._reader.readexactly(length)


# ---------------------------------------------------------------------------- kafka
async def produce(settings: Settings, events: Sequence[Event], *, linger_ms: int = 5) -> None:
    """Send ``events`` to their topics as fast as the producer goes, acks=all, then flush."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        linger_ms=linger_ms,
        max_batch_size=262_144,
    )
    await producer.start()
    try:
        pending: list[asyncio.Future[Any]] = []
        for event in events:
            pending.append(
                await producer.send(settings.topic(event.TOPIC), event.to_bytes(), key=event.key.encode())
            )
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


class Offsets:
    """End offsets of topics and committed offsets of consumer groups."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        self.consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)

    async def __aenter__(self) -> Self:
        await self.admin.start()
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()
        await self.admin.close()

    def partitions(self, topic: str) -> list[TopicPartition]:
        # Every topic of a run is created up front with PARTITIONS partitions.
        return [TopicPartition(self.settings.topic(topic), p) for p in range(PARTITIONS)]

    async def ends(self, topics: Iterable[str]) -> dict[TopicPartition, int]:
        tps = [tp for t in topics for tp in self.partitions(t)]
        return dict(await self.consumer.end_offsets(tps)) if tps else {}

    async def total(self, topic: str) -> int:
        return sum((await self.ends([topic])).values())

    async def consumed(self, service: str, topics: Iterable[str]) -> tuple[int, int]:
        """(records the service's group committed, records in) over ``topics``."""
        ends = await self.ends(topics)
        committed = await self.admin.list_consumer_group_offsets(self.settings.group(service))
        done = sum(min(committed[tp].offset, end) for tp, end in ends.items() if tp in committed)
        return done, sum(ends.values())

    async def caught_up(self, service: str, topics: Iterable[str]) -> bool:
        """True when the service's group committed up to the end of each of ``topics``."""
        ends = await self.ends(topics)
        committed = await self.admin.list_consumer_group_offsets(self.settings.group(service))
        return all(end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items())

    async def wait_caught_up(
        self, want: dict[str, Sequence[str]], timeout: float, interval: float = 0.2
    ) -> float | None:
        """Wait until every service in ``want`` caught up; the time.time() it was seen, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok = True
            for service, topics in want.items():
                if not await self.caught_up(service, topics):
                    ok = False
                    break
            if ok:
                return time.time()
            await asyncio.sleep(interval)
        return None


class Tracker:
    """Reads output topics from the beginning in the background: counts and last record times."""

    def __init__(self, settings: Settings, topics: Sequence[str], *, fetch_wait_ms: int = 50) -> None:
        self.settings = settings
        self.topics = [settings.topic(t) for t in topics]
        self.consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=settings.kafka_bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=fetch_wait_ms,
            max_poll_records=5000,
            metadata_max_age_ms=2000,
        )
        self.count: dict[str, int] = {}
        self.last_ts: dict[str, float] = {}
        self.last_seen = time.time()
        self._task: asyncio.Task[None] | None = None
        self.on_record: Any = None

    async def __aenter__(self) -> Tracker:
        await self.consumer.start()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.consumer.stop()

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200)
            now = time.time()
            for tp, records in batches.items():
                short = tp.topic[len(self.settings.topic_prefix) :]
                self.count[short] = self.count.get(short, 0) + len(records)
                self.last_ts[short] = max(self.last_ts.get(short, 0.0), records[-1].timestamp / 1000)
                self.last_seen = now
                if self.on_record is not None:
                    for record in records:
                        self.on_record(short, record, now)

    async def quiet(self, seconds: float, timeout: float) -> bool:
        """Wait until no record arrived for ``seconds``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if time.time() - self.last_seen >= seconds:
                return True
            await asyncio.sleep(0.2)
        return False
