"""``kinerja replay SERVICE TOPIC``: have a stopped service read a topic again from the beginning.

What it does, in this order (docs/cli.md says the same for operators):

1. refuses unless the service's consumer group ``<topic_prefix>kinerja-<service>`` has no
   members, i.e. every process of the service is stopped;
2. deletes the entries of the service's ``inbox`` collection whose event type belongs to the
   topic, so that the consumer does not drop the replayed events as already handled;
3. commits, for every partition of the topic, the partition's earliest offset (0 unless
   retention has deleted older records) as the group's offset.

The inbox goes first: if the commit then fails, running the command again is harmless, whereas
offsets reset over a full inbox would replay every event only to drop it. Read models are not
dropped; the handlers are idempotent upserts, so the replay rewrites them in place.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pymongo.errors import PyMongoError

from shared.consumer import INBOX
from shared.events.registry import ALL_EVENTS, TOPICS
from shared.mongo import connect
from shared.runtime import DEFAULT_PORTS
from shared.settings import Settings
from tools.cli.base import EXIT_USAGE, fail, state

IDLE_STATES = frozenset({"Empty", "Dead"})


class ServiceRunning(RuntimeError):
    """The consumer group still has members: replaying now would race the running service."""


@dataclass
class ReplayPlan:
    """What :func:`replay_topic` touches, computed from the settings before anything changes."""

    service: str
    topic: str
    settings: Settings
    group: str = field(init=False)
    cluster_topic: str = field(init=False)
    event_types: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.group = self.settings.group(self.service)
        self.cluster_topic = self.settings.topic(self.topic)
        self.event_types = tuple(
            sorted(cls.model_fields["type"].default for cls in ALL_EVENTS if self.topic == cls.TOPIC)
        )


@dataclass
class ReplayResult:
    inbox_removed: int
    offsets: dict[int, tuple[int | None, int]]
    """Partition -> (committed offset before, offset committed now)."""


@dataclass(frozen=True)
class ClusterView:
    """What the cluster says about the group and the topic before anything changes."""

    group_state: str
    members: int
    partitions: tuple[int, ...] | None
    """None when the topic does not exist."""


async def inspect_cluster(settings: Settings, group: str, topic: str) -> ClusterView:
    """The group's state and member count, and the topic's partitions (without creating it)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, client_id="kinerja-cli", **settings.kafka_client_options()
    )
    await admin.start()
    try:
        described = [
            g
            for response in await admin.describe_consumer_groups([group])
            for g in response.to_object()["groups"]
            if g["group"] == group
        ]
        # Listing first: a metadata request naming a missing topic would have the broker create it.
        partitions = None
        if topic in await admin.list_topics():
            (info,) = await admin.describe_topics([topic])
            partitions = tuple(sorted(p["partition"] for p in info["partitions"]))
    finally:
        await admin.close()
    if not described:
        return ClusterView("Dead", 0, partitions)
    return ClusterView(str(described[0]["state"]), len(described[0]["members"]), partitions)


async def clear_inbox(settings: Settings, plan: ReplayPlan) -> int:
    client, db = connect(settings, plan.service)
    try:
        deleted = await db[INBOX].delete_many({"type": {"$in": list(plan.event_types)}})
    finally:
        client.close()
    return int(deleted.deleted_count)


async def replay_topic(plan: ReplayPlan) -> ReplayResult:
    """Check the service is stopped, clear its inbox for the topic, rewind the group's offsets."""
    settings = plan.settings
    view = await inspect_cluster(settings, plan.group, plan.cluster_topic)
    if view.members or view.group_state not in IDLE_STATES:
        raise ServiceRunning(
            f"consumer group {plan.group} is {view.group_state} with {view.members} member(s): stop every "
            f"{plan.service} process first (a killed one leaves the group after its session times out)"
        )
    if not view.partitions:
        raise LookupError(f"topic {plan.cluster_topic} does not exist on {settings.kafka_bootstrap}")
    partitions = [TopicPartition(plan.cluster_topic, p) for p in view.partitions]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=plan.group,
        enable_auto_commit=False,
        client_id="kinerja-cli",
        **settings.kafka_client_options(),
    )
    await consumer.start()
    try:
        removed = await clear_inbox(settings, plan)
        # Manual assignment: the tool commits as a group outsider (no join), which the broker accepts
        # only while the group is empty, so a service started meanwhile makes this fail, not race.
        consumer.assign(partitions)
        before = {tp: await consumer.committed(tp) for tp in partitions}
        earliest: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
        await consumer.commit(dict(earliest))
    finally:
        await consumer.stop()
    return ReplayResult(removed, {tp.partition: (before[tp], earliest[tp]) for tp in partitions})


def _describe_plan(plan: ReplayPlan) -> list[str]:
    return [
        f"replay {plan.cluster_topic} into the {plan.service} service:",
        f"  - consumer group {plan.group} must have no members: stop every {plan.service} process first",
        f"  - delete from {plan.settings.database(plan.service)}.{INBOX} the entries of "
        f"{', '.join(plan.event_types)}",
        f"  - commit the earliest offset of every partition of {plan.cluster_topic} for the group",
    ]


def replay(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="feedback, scoring, career or notify.")],
    topic: Annotated[str, typer.Argument(help="Topic without prefix: kinerja.feedback.cycles.v1.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replay TOPIC to rebuild SERVICE's read model; the service must be stopped."""
    if service not in DEFAULT_PORTS:
        fail(f"unknown service {service!r}; one of {', '.join(DEFAULT_PORTS)}", EXIT_USAGE)
    if topic not in TOPICS:
        fail(f"unknown topic {topic!r}; one of {', '.join(TOPICS)}", EXIT_USAGE)
    plan = ReplayPlan(service, topic, state(ctx).settings)
    for line in _describe_plan(plan):
        typer.echo(line)
    if not yes:
        typer.confirm("Go ahead?", abort=True)
    try:
        result = asyncio.run(replay_topic(plan))
    except ServiceRunning as exc:
        fail(str(exc))
    except LookupError as exc:
        fail(str(exc), EXIT_USAGE)
    except (KafkaError, PyMongoError, OSError) as exc:
        fail(f"replay did not complete ({exc!r}); it is safe to run again")
    typer.echo(f"removed {result.inbox_removed} inbox entries")
    for partition, (before, now) in sorted(result.offsets.items()):
        typer.echo(f"partition {partition}: offset {'none' if before is None else before} -> {now}")
    typer.echo(f"start {service} again: it reads {plan.cluster_topic} from the beginning")
