"""Running scoring, career and notify as OS processes over one topic prefix, for the scale tests.

Helpers only (no fixtures, no tests): the processes, the cluster's view of their consumer groups,
and deterministic projections of what each service concluded, free of generated ids and times.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from bench.common import PARTITIONS, Offsets
from shared.events.base import Event
from shared.events.career import RECOMMENDATIONS_TOPIC
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, INPUTS_TOPIC
from shared.events.registry import TOPICS
from shared.events.scoring import SCORES_TOPIC
from shared.settings import Settings
from tools.services import CONSUMERS

ROOT = Path(__file__).resolve().parents[2]

#: What each service's one consumer subscribes to (services/<name>/app.py and handlers.py).
CONSUMES: dict[str, tuple[str, ...]] = {
    "scoring": (EMPLOYEES_TOPIC, CYCLES_TOPIC, INPUTS_TOPIC),
    "career": (EMPLOYEES_TOPIC, CYCLES_TOPIC, SCORES_TOPIC),
    "notify": (EMPLOYEES_TOPIC, CYCLES_TOPIC, SCORES_TOPIC, RECOMMENDATIONS_TOPIC),
}
#: The topic that carries each service's real work, keyed by NIP so that every partition has some.
WORK: dict[str, str] = {"scoring": INPUTS_TOPIC, "career": SCORES_TOPIC, "notify": SCORES_TOPIC}

Members = dict[str, frozenset[TopicPartition]]
"""Member id -> the partitions the group assigned to it."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(settings: Settings, port: int) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for name, value in settings.model_dump().items():
        env[f"KINERJA_{name.upper()}"] = str(value)
    env["KINERJA_HTTP_PORT"] = str(port)
    # Notify: generated employees have no e-mail address and nobody subscribes a webhook, so every
    # notification is an inbox message; no HR mailbox either, so no SMTP server is needed.
    env["KINERJA_HR_EMAILS"] = "{}"
    return env


class Processes:
    """``instances`` processes of each service, each with its own HTTP port and log file."""

    def __init__(self, settings: Settings, instances: int, logs: Path) -> None:
        self.procs: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
        for service in CONSUMERS:
            for i in range(instances):
                log = logs / f"{service}-{i}.log"
                with log.open("wb") as out:
                    proc = subprocess.Popen(
                        [sys.executable, "-m", f"services.{service}"],
                        cwd=ROOT,
                        env=env_for(settings, free_port()),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                self.procs.append((f"{service}-{i}", log, proc))

    def dead(self) -> list[str]:
        return [name for name, _, proc in self.procs if proc.poll() is not None]

    def tails(self, lines: int = 15) -> str:
        """The end of every process's log, for assertion messages."""
        out = []
        for name, log, proc in self.procs:
            text = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {name} (exit {proc.poll()})\n" + "\n".join(text))
        return "\n".join(out)

    def stop(self) -> None:
        for _, _, proc in self.procs:
            proc.terminate()
        for _, _, proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


class Cluster(Offsets):
    """The topics of one prefix and the consumer groups of the services, as the broker sees them
    (the benchmark's offsets reader, with topic creation and group membership added)."""

    def group(self, service: str) -> str:
        return self.settings.group(service)

    async def create_topics(self) -> None:
        await self.admin.create_topics(
            [NewTopic(self.settings.topic(t), PARTITIONS, replication_factor=1) for t in TOPICS]
        )

    async def delete_topics(self) -> None:
        """Every topic of the prefix (dead-letter topics included), so they do not pile up."""
        mine = [t for t in await self.admin.list_topics() if t.startswith(self.settings.topic_prefix)]
        if mine:
            await self.admin.delete_topics(mine)

    async def committed(self, service: str) -> dict[TopicPartition, int]:
        offsets = await self.admin.list_consumer_group_offsets(self.group(service))
        return {tp: meta.offset for tp, meta in offsets.items()}

    async def caught_up(self, service: str, topics: Iterable[str] | None = None) -> bool:
        """True when the service's group committed everything written to ``topics`` (by default,
        every topic it consumes) so far."""
        return await super().caught_up(service, topics or CONSUMES[service])

    async def lag(self, service: str) -> dict[str, int]:
        """Records not yet committed by the service's group, per topic it consumes (for messages)."""
        ends = await self.ends(CONSUMES[service])
        done = await self.committed(service)
        out: dict[str, int] = {}
        for tp, end in ends.items():
            out[tp.topic] = out.get(tp.topic, 0) + end - min(done.get(tp, 0), end)
        return out

    async def members(self, service: str) -> Members:
        """The members of the service's group and their partitions; empty unless it is Stable."""
        group = self.group(service)
        described = [
            g
            for response in await self.admin.describe_consumer_groups([group])
            for g in response.to_object()["groups"]
            if g["group"] == group
        ]
        if not described or described[0]["state"] != "Stable":
            return {}
        return {
            m["member_id"]: frozenset(
                ConsumerProtocolMemberAssignment.decode(m["member_assignment"]).partitions()
            )
            for m in described[0]["members"]
        }


async def publish(settings: Settings, events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=10)
    await producer.start()
    try:
        for event in events:
            await producer.send(settings.topic(event.TOPIC), event.to_bytes(), key=event.key.encode())
        await producer.flush()
    finally:
        await producer.stop()


async def read_all(settings: Settings, topic: str, count: int, timeout: float) -> list[dict[str, Any]]:
    """The first ``count`` records of ``topic`` (short name) as JSON, or what came within ``timeout``."""
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    await consumer.start()
    try:
        while len(out) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                out.extend(json.loads(r.value) for r in records if r.value)
    finally:
        await consumer.stop()
    return out


FinalScore = tuple[str, str, float, float]


def final_scores(events: Iterable[dict[str, Any]]) -> dict[str, FinalScore]:
    """The latest final score per employee: (predicate, inputs digest, results, behaviour)."""
    latest: dict[str, tuple[int, FinalScore]] = {}
    for event in events:
        if event["type"] != "scoring.score_finalized":
            continue
        s = event["score"]
        value = (s["predicate"], s["inputs_digest"], s["results_score"], s["behaviour_score"])
        if s["revision"] >= latest.get(s["nip"], (0, value))[0]:
            latest[s["nip"]] = (s["revision"], value)
    return {nip: value for nip, (_, value) in latest.items()}


class Held(NamedTuple):
    """A recommendation in force, without its derived id and reason (which name event ids)."""

    cycle_id: str
    kind: str
    title: str
    details: tuple[tuple[str, Any], ...]
    final: bool
    status: str


class Told(NamedTuple):
    """A notification planned, without its derived id, source event id and times."""

    channel: str
    event_type: str
    role: str
    template: str | None
    status: str
    context: tuple[tuple[str, Any], ...]


def _scalars(values: dict[str, Any], leave_out: frozenset[str] = frozenset()) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v) for k, v in values.items() if k not in leave_out))


async def career_projection(db: Any) -> tuple[dict[str, list[Held]], set[str]]:
    """Per subject (NIP, or ``team:<id>`` for a team award) the recommendations in force, and the
    ids of those recommendations.

    Superseded ones are left out: which provisional proposals and interim team rankings came and
    went depends on how events were batched, and only what stands at the end must agree.
    """
    out: dict[str, list[Held]] = {}
    ids: set[str] = set()
    async for doc in db["recommendations"].find({}, {"data": 1}):
        rec = json.loads(doc["data"])
        if rec["status"] == "superseded":
            continue
        subject = rec["nip"] or f"team:{rec['team_id']}"
        held = Held(
            rec["cycle_id"], rec["kind"], rec["title"], _scalars(rec["details"]), rec["final"], rec["status"]
        )
        out.setdefault(subject, []).append(held)
        ids.add(rec["recommendation_id"])
    return {k: sorted(v, key=repr) for k, v in out.items()}, ids


async def pending_outbox(db: Any, collection: str) -> int:
    """How many documents still hold events the relay has not published."""
    return sum([bool(doc.get("_outbox")) async for doc in db[collection].find({}, {"_outbox": 1})])


#: Context fields that name other documents by id; everything else in a context is content.
ID_FIELDS = frozenset({"recommendation_id"})


async def notify_projection(db: Any) -> dict[str, list[Told]]:
    """Per recipient (NIP, or ``hr:<region>``) the notifications planned for them, one row per
    delivery document so that a duplicate would show."""
    out: dict[str, list[Told]] = {}
    async for doc in db["deliveries"].find({}, {"notification": 1, "status": 1}):
        n = json.loads(doc["notification"])
        told = Told(
            n["channel"],
            n["event_type"],
            n["role"],
            n.get("template"),
            doc["status"],
            _scalars(n.get("context") or {}, ID_FIELDS),
        )
        out.setdefault(n["recipient"], []).append(told)
    return {k: sorted(v, key=repr) for k, v in out.items()}
