"""Prometheus metrics of the kernel, and the ``GET /metrics`` wiring every service shares.

The metrics live in prometheus_client's default registry, which Litestar's
:class:`~litestar.plugins.prometheus.PrometheusController` serves (and which its multiprocess mode
replaces when ``PROMETHEUS_MULTIPROC_DIR`` is set). HTTP requests are counted and timed by
Litestar's :class:`~litestar.plugins.prometheus.PrometheusMiddleware` under ``kinerja_http_*``;
the kernel counts what it consumes, publishes and dead-letters, and a service registers only what
is its own (notify's deliveries, :mod:`services.notify.metrics`).

Every metric carries a ``service`` label. One process serves one service in production, but the
tests run several in one process, and a dashboard can then use the same label everywhere.
Labels stay few-valued: topics without their deployment prefix, event types, outcomes, problem
slugs; never a NIP, an event id or a raw path. Docs: docs/operations.md.

Gauges that need I/O to know (consumer lag, outbox backlog) are measured when scraped, by the
refresh hooks the controller runs before rendering; counters move on the hot path without any I/O.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from litestar import Controller, Request
from litestar._asgi.utils import wrap_in_exception_handler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController, PrometheusMiddleware
from litestar.types import ASGIApp
from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
#: How long a scrape waits for the broker and the database before it serves the last values.
REFRESH_TIMEOUT_S = 2.0

Refresh = Callable[[], Awaitable[None]]

# ---------------------------------------------------------------------------------- consuming
EVENTS_CONSUMED = Counter(
    "kinerja_events_consumed",
    "Events a consumer took from Kafka, by type and outcome: ok (handled), duplicate (already "
    "handled, dropped by the inbox), ignored (a type on the topic the service does not use), "
    "dead_lettered (undecodable or rejected, sent to the dead-letter topic), failed (gave up "
    "past the retry budget; Kafka redelivers the batch).",
    ["service", "event_type", "outcome"],
)
#: ``event_type`` of a record that could not be decoded into an event.
UNDECODABLE = "undecodable"

CONSUMER_LAG = Gauge(
    "kinerja_consumer_lag",
    "Records in a partition that the service's consumer has not taken yet: the partition's high "
    "watermark minus the consumer's position, per assigned partition, measured at scrape.",
    ["service", "topic", "partition"],
)

DEAD_LETTERS = Counter(
    "kinerja_dead_letters",
    "Records sent to a dead-letter topic, by source topic and reason (the problem slug: "
    "undecodable, invalid-event, handler-error, ...).",
    ["service", "topic", "reason"],
)

# ---------------------------------------------------------------------------------- publishing
EVENTS_PUBLISHED = Counter(
    "kinerja_events_published",
    "Events the broker confirmed, by topic (a republished one, after a crash, counts again).",
    ["service", "topic"],
)
OUTBOX_PENDING = Gauge(
    "kinerja_outbox_pending_documents",
    "Documents whose outbox still holds events not yet published, by collection; counted through "
    "the relay's _outbox_pending index at scrape.",
    ["service", "collection"],
)
OUTBOX_REFUSED = Counter(
    "kinerja_outbox_refused",
    "Events the broker refused for what they are (too large, malformed), set aside in "
    "outbox_refused for an operator.",
    ["service", "topic"],
)


def count_outcomes(service: str, outcome: str, types: Iterable[str]) -> None:
    """Count consumed events of ``types`` (one entry per event) with ``outcome``, one ``inc`` per type."""
    for event_type, n in Tally(types).items():
        EVENTS_CONSUMED.labels(service, event_type, outcome).inc(n)


def count_published(service: str, topics: Iterable[str]) -> None:
    """Count published events (one topic per event), one ``inc`` per topic."""
    for topic, n in Tally(topics).items():
        EVENTS_PUBLISHED.labels(service, topic).inc(n)


# ---------------------------------------------------------------------------------- measured at scrape
class LagGauge:
    """Sets :data:`CONSUMER_LAG` from a live consumer; forgets the partitions it no longer holds."""

    def __init__(self, service: str, topics: Mapping[str, str]) -> None:
        """:param topics: the topic name on the cluster to the name used as label (no prefix)."""
        self.service = service
        self.topics = topics
        self._shown: set[tuple[str, str]] = set()

    async def measure(self, consumer: AIOKafkaConsumer | None) -> None:
        shown: set[tuple[str, str]] = set()
        for tp in consumer.assignment() if consumer is not None else ():
            lag = await _lag(consumer, tp)
            if lag is not None:
                labels = (self.topics.get(tp.topic, tp.topic), str(tp.partition))
                CONSUMER_LAG.labels(self.service, *labels).set(lag)
                shown.add(labels)
        for labels in self._shown - shown:
            CONSUMER_LAG.remove(self.service, *labels)
        self._shown = shown

    def forget(self) -> None:
        """Drop this consumer's samples, once it stopped: a lag nobody measures any more is no lag."""
        for labels in self._shown:
            CONSUMER_LAG.remove(self.service, *labels)
        self._shown = set()


async def _lag(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    """High watermark minus position, or None while either is unknown (no fetch yet, a rebalance)."""
    try:
        high = consumer.highwater(tp)
        if high is None:
            return None
        # Local once the partition has a position; a rebalance may make it wait, hence the bound.
        position = await asyncio.wait_for(consumer.position(tp), timeout=REFRESH_TIMEOUT_S / 2)
    except (AssertionError, KafkaError, TimeoutError):  # unassigned meanwhile
        return None
    return max(int(high) - int(position), 0)


def set_outbox_backlog(service: str, backlog: Mapping[str, int]) -> None:
    for collection, documents in backlog.items():
        OUTBOX_PENDING.labels(service, collection).set(documents)


async def refresh_all(hooks: Sequence[Refresh]) -> None:
    """Run the scrape-time measurements; one that fails or is slow leaves its last values served."""
    for hook in hooks:
        try:
            await asyncio.wait_for(hook(), timeout=REFRESH_TIMEOUT_S)
        except Exception as exc:
            log.warning("a metric could not be measured for this scrape: %r", exc)


# ---------------------------------------------------------------------------------- HTTP
class _Middleware(PrometheusMiddleware):
    """Litestar's middleware with an exception handler inside it, the one Litestar itself puts
    between a handler and its middleware: a request that an inner middleware rejects (the JWT check
    raises 401) is then counted with the status of its problem response, not as the 200 that
    PrometheusMiddleware records when the call raises before a response starts.

    ``wrap_in_exception_handler`` is a private helper of Litestar's (``litestar._asgi.utils``): an
    upgrade that moves it fails at import, and tests/e2e/test_metrics.py checks the 401 count."""

    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(wrap_in_exception_handler(app), config)


def prometheus_config(service: str) -> PrometheusConfig:
    """``kinerja_http_requests_total``, ``kinerja_http_request_duration_seconds`` and the rest, by
    method, path template (``/cycles/{cycle_id}``, never the raw path) and status; scrapes excluded."""
    return PrometheusConfig(
        app_name=service,
        prefix="kinerja_http",
        labels={"service": service},
        group_path=True,
        exclude=[f"^{METRICS_PATH}$"],
        middleware_class=_Middleware,
    )


def metrics_controller(hooks: Sequence[Refresh]) -> type[Controller]:
    """``GET /metrics`` (Litestar's controller, out of the OpenAPI document), measuring the gauges
    of ``hooks`` before each scrape."""

    async def refresh(_: Request[Any, Any, Any]) -> None:
        await refresh_all(hooks)

    return type(
        "MetricsController",
        (PrometheusController,),
        {"path": METRICS_PATH, "include_in_schema": False, "before_request": refresh},
    )
