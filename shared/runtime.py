"""The plumbing every service process shares, so that each ``app.py`` is only wiring.

A :class:`ServiceKit` owns one Kafka broker, one database handle, the outbox relay and the
subscriptions of a service, and builds its Litestar app whose lifespan starts and stops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.opentelemetry import OpenTelemetryPlugin
from litestar.plugins.pydantic import PydanticPlugin
from litestar.types import ControllerRouterHandler
from opentelemetry.sdk.trace import TracerProvider

from shared import metrics, telemetry
from shared.auth import PUBLIC_PATHS, auth_middleware
from shared.consumer import BatchProcessor, Subscription
from shared.events.base import Event
from shared.events.registry import DLQ_SUFFIX, one_of
from shared.http import EXCEPTION_HANDLERS, guard_json_body, health_controller, problem_details
from shared.logging import configure_logging, correlation_id
from shared.mongo import connect, ping
from shared.openapi import document_problems
from shared.outbox import OutboxRelay
from shared.settings import Settings
from shared.subscriber import consume

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"feedback": 8081, "scoring": 8082, "career": 8083, "notify": 8084}


async def _until_led(admin: AIOKafkaAdminClient, topics: list[str], timeout_s: float = 5.0) -> None:
    """Wait until every partition of the new ``topics`` has a leader, for a few seconds at most:
    a consumer that starts before then logs NotLeaderForPartition errors while it retries."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        described = await admin.describe_topics(topics)
        if all(p["leader"] >= 0 for t in described for p in t["partitions"]) and len(described) == len(
            topics
        ):
            return
        await asyncio.sleep(0.1)


def broker_security(settings: Settings) -> BaseSecurity | None:
    """FastStream's form of the SASL settings (None for PLAINTEXT)."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    use_ssl = settings.kafka_security_protocol == "SASL_SSL"
    user, password = settings.kafka_username, settings.kafka_password
    if settings.kafka_sasl_mechanism == "PLAIN":
        return SASLPlaintext(username=user, password=password, use_ssl=use_ssl)
    scram = SASLScram512 if settings.kafka_sasl_mechanism == "SCRAM-SHA-512" else SASLScram256
    return scram(username=user, password=password, use_ssl=use_ssl)


def _package_version() -> str:
    """The installed project's version (pyproject.toml), for the OpenAPI and AsyncAPI documents."""
    try:
        return importlib.metadata.version("kinerja")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


VERSION = _package_version()


@dataclass(frozen=True)
class Publication:
    """A topic a service publishes to, and the event types it puts there (for AsyncAPI: the
    kit's broker gets a FastStream publisher of them, which documents and never sends)."""

    topic: str
    events: tuple[type[Event], ...]
    description: str = ""


@dataclass
class ServiceKit:
    service: str
    settings: Settings = field(default_factory=Settings)
    broker: KafkaBroker = field(init=False)
    subscriptions: list[Subscription] = field(default_factory=list, init=False)
    publications: list[Publication] = field(default_factory=list)

    def __post_init__(self) -> None:
        configure_logging(self.service, self.settings.log_level)
        self.tracing = telemetry.tracer_provider(self.service, self.settings)
        self.broker = KafkaBroker(
            self.settings.kafka_bootstrap,
            security=broker_security(self.settings),
            client_id=f"kinerja-{self.service}",
            acks="all",
            enable_idempotence=True,
            logger=None,
            middlewares=[telemetry.kafka_middleware(self.tracing)] if self.tracing else (),
        )
        self.client, self.db = connect(self.settings, self.service)
        self.relay = OutboxRelay(self.db, self.publish_batch, self.settings, service=self.service)
        self._consumer: BatchSubscriber | None = None
        self._consuming = False
        self._lag = metrics.LagGauge(self.service, {})

    @property
    def group_id(self) -> str:
        return self.settings.group(self.service)

    # ------------------------------------------------------------------ publishing
    async def publish_batch(self, records: list[tuple[str, bytes, bytes, dict[str, str]]]) -> None:
        """Send records in order, then wait until the broker confirmed every one."""
        futures = []
        for topic, value, key, headers in records:
            # The relay publishes from its own task: the trace goes on from the staging span.
            with telemetry.continued(headers) if self.tracing else contextlib.nullcontext():
                futures.append(
                    await self.broker.publish(
                        value,
                        self.settings.topic(topic),
                        key=key,
                        headers=headers,
                        correlation_id=headers.get("correlation_id"),
                        no_confirm=True,
                    )
                )
        await asyncio.gather(*futures)
        metrics.count_published(self.service, (topic for topic, *_ in records))

    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]
    ) -> None:
        """Publish to a topic name as it exists on the cluster (already prefixed)."""
        await self.broker.publish(value, topic, key=key, headers=headers)

    async def publish_event(self, event: Event) -> None:
        """Publish one event directly, bypassing the outbox (for tools and tests only)."""
        await self.publish_batch([(event.TOPIC, event.to_bytes(), event.key.encode(), event.headers())])

    # ------------------------------------------------------------------ consuming
    def consume(self, subscriptions: Sequence[Subscription]) -> None:
        """Consume the topics of ``subscriptions``, in that order, with one Kafka consumer.

        One consumer per process over every topic of the service: several consumers in one group
        would rebalance each other, and one busy member stalls the others' assignment. A batch
        that spans topics is processed topic by topic, in subscription order. It is registered
        on the broker here, so that the AsyncAPI document of the app is that of this subscriber.
        """
        if self._consuming:
            raise RuntimeError(f"{self.service} consumes already: give every subscription at once")
        topics = [s.topic for s in subscriptions]
        if len(set(topics)) < len(topics):
            raise ValueError(f"one subscription per topic: {topics}")
        self._consuming = True
        if not subscriptions:
            return
        processors = {
            self.settings.topic(sub.topic): BatchProcessor(
                self.service, sub, self.db, self.publish_raw, self.settings
            )
            for sub in subscriptions
        }
        self._consumer = consume(
            self.broker, processors, group_id=self.group_id, max_records=self.settings.consumer_batch
        )
        # Only once the subscriber is built (consume refuses two handlers of one name).
        self.subscriptions = list(subscriptions)
        self._lag.topics = {self.settings.topic(s.topic): s.topic for s in subscriptions}

    def publishes(self, publication: Publication) -> None:
        self.publications.append(publication)
        self.broker.publisher(
            self.settings.topic(publication.topic),
            schema=one_of(publication.events),
            description=publication.description or None,
        )

    # ------------------------------------------------------------------ consumer progress
    async def measure_lag(self) -> None:
        """Set the consumer-lag gauge of every partition the consumer holds (for a scrape)."""
        await self._lag.measure(self._consumer.consumer if self._consumer is not None else None)

    async def measure_outbox(self) -> None:
        """Set the outbox-backlog gauge of every collection the relay watches (for a scrape)."""
        metrics.set_outbox_backlog(self.service, await self.relay.backlog())

    async def end_offsets(self, topic: str) -> dict[int, int]:
        """The next offset to be written, per partition of ``topic`` (its high watermarks)."""
        name = self.settings.topic(topic)
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.settings.kafka_bootstrap, **self.settings.kafka_client_options()
        )
        await admin.start()
        try:
            described = await admin.describe_topics([name])
        finally:
            await admin.close()
        numbers = sorted(p["partition"] for t in described if t["topic"] == name for p in t["partitions"])
        if not numbers:
            return {}
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            enable_auto_commit=False,
            **self.settings.kafka_client_options(),
        )
        await consumer.start()
        try:
            ends = await consumer.end_offsets([TopicPartition(name, n) for n in numbers])
        finally:
            await consumer.stop()
        return {tp.partition: offset for tp, offset in ends.items()}

    async def committed_offsets(self, topic: str) -> dict[int, int]:
        """What this service's group has processed and committed, per partition of ``topic``."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.settings.kafka_bootstrap, **self.settings.kafka_client_options()
        )
        await admin.start()
        try:
            name = self.settings.topic(topic)
            offsets = await admin.list_consumer_group_offsets(self.group_id)
            return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == name}
        finally:
            await admin.close()

    # ------------------------------------------------------------------ topics
    def own_topics(self) -> list[str]:
        """The topics this service writes or reads, and the dead-letter topic of each it reads."""
        published = [p.topic for p in self.publications]
        consumed = [s.topic for s in self.subscriptions]
        names = [*published, *consumed, *(t + DLQ_SUFFIX for t in consumed)]
        return [self.settings.topic(t) for t in dict.fromkeys(names)]

    async def ensure_topics(self) -> list[str]:
        """Create the topics of :meth:`own_topics` that do not exist yet; returns those created.

        Before the first publish: a producer that meets a missing topic logs an error while the
        broker auto-creates it, and a dead-letter topic created only by its first dead letter
        leaves nothing for monitoring to attach to. Partitions and replication come from
        ``KINERJA_TOPIC_PARTITIONS`` / ``KINERJA_TOPIC_REPLICATION`` (0: the broker's default).
        A cluster managed by the topics job (deploy/) has them all already, and nothing changes.
        """
        wanted = self.own_topics()
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.settings.kafka_bootstrap, **self.settings.kafka_client_options()
        )
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [t for t in wanted if t not in existing]
            if missing:
                response = await admin.create_topics([self._new_topic(t) for t in missing])
                for name, code, *_ in response.topic_errors:
                    if code not in (0, TopicAlreadyExistsError.errno):
                        raise for_code(code)(f"creating topic {name}")
                await _until_led(admin, missing)
        finally:
            await admin.close()
        if missing:
            log.info("created topics", extra={"topics": missing})
        return missing

    def _new_topic(self, name: str) -> NewTopic:
        topic = NewTopic(
            name, max(self.settings.topic_partitions, 1), max(self.settings.topic_replication, 1)
        )
        # -1 asks the broker for its default (CreateTopics v4+); aiokafka's constructor refuses it.
        topic.num_partitions = self.settings.topic_partitions or -1
        topic.replication_factor = self.settings.topic_replication or -1
        return topic

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self.settings.create_topics:
            try:
                await asyncio.wait_for(self.ensure_topics(), timeout=10)
            except Exception as exc:  # the broker's auto-creation is still there as a fallback
                log.warning("could not create topics at start-up: %r", exc)
        await self.broker.start()
        self.relay.start()

    async def stop(self) -> None:
        await self.relay.stop()
        await self.broker.stop()
        self._lag.forget()
        self.client.close()
        if self.tracing is not None:
            self.tracing.shutdown()  # exports the spans still buffered

    async def kafka_ready(self) -> bool:
        try:
            return await self.broker.ping(timeout=2.0)
        except Exception:
            return False

    async def db_ready(self) -> bool:
        return await ping(self.db)

    def _tracing_plugin(self, provider: TracerProvider) -> OpenTelemetryPlugin:
        return OpenTelemetryPlugin(
            telemetry.tracing_config(provider, [f"^{metrics.METRICS_PATH}$", "^/health"])
        )

    def http_app(
        self,
        route_handlers: Sequence[ControllerRouterHandler] = (),
        *,
        dependencies: dict[str, Any] | None = None,
        on_startup: Sequence[Callable[[], Awaitable[None]]] = (),
        on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
        description: str = "",
        max_body_bytes: int | None = None,
    ) -> Litestar:
        health = health_controller({"kafka": self.kafka_ready, "database": self.db_ready})

        async def startup() -> None:
            for hook in on_startup:
                await hook()
            await self.start()

        async def shutdown() -> None:
            # Hooks first, while the broker and the database are still open: a background task
            # stopped by a hook may still need them to record what it was doing.
            for hook in on_shutdown:
                await hook()
            await self.stop()

        async def correlate(request: Request[Any, Any, Any]) -> None:
            correlation_id.set(request.headers.get("x-correlation-id") or f"req-{uuid.uuid4().hex[:16]}")
            telemetry.mark_correlation(correlation_id.get() or "")
            telemetry.name_route(request.scope)

        async def before(request: Request[Any, Any, Any]) -> None:
            await correlate(request)
            await guard_json_body(request)

        scrape = metrics.metrics_controller([self.measure_lag, self.measure_outbox])
        config = AppConfig(
            route_handlers=[health, scrape, *route_handlers],
            dependencies=dependencies or {},
            # Outermost first: the request metrics see what the JWT check rejects.
            middleware=[metrics.prometheus_config(self.service).middleware, auth_middleware(self.settings)],
            exception_handlers=dict(EXCEPTION_HANDLERS),
            # A field whose name is a Python keyword (``from``) is named by its alias, in the
            # responses and in the OpenAPI document alike.
            plugins=[problem_details(), PydanticPlugin(prefer_alias=True)],
            before_request=before,
            on_startup=[startup],
            on_shutdown=[shutdown],
            request_max_body_size=max_body_bytes or self.settings.max_body_bytes,
            openapi_config=OpenAPIConfig(
                title=f"Kinerja {self.service} API", version=VERSION, description=description
            ),
            debug=False,
        )
        if self.tracing is not None:
            config.plugins.append(self._tracing_plugin(self.tracing))
            # A request refused before its handler (the JWT check) still gets its route's name.
            config.after_exception.append(telemetry.name_refused_route)
        app = Litestar.from_config(config)
        document_problems(app, frozenset(PUBLIC_PATHS))
        return app


def serve(factory: Callable[[Settings], Litestar], service: str) -> None:
    """Entry point of ``python -m services.<service>``."""
    import uvicorn

    settings = Settings()
    if problem := settings.secret_problem(service):
        raise SystemExit(
            f"{service}: refusing to serve on {settings.http_host}: {problem}; anyone who knows it can"
            " sign tokens for every role or name raters. Set a random one: openssl rand -hex 32"
        )
    app = factory(settings)
    port = settings.http_port or DEFAULT_PORTS[service]
    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise; the client address
    # is what the citizen rate limit counts, so only configured proxies may set it.
    proxies = settings.forwarded_allow_ips()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
