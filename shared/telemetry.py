"""OpenTelemetry traces that follow a request and its correlation id across the Kafka hops.

Off unless ``KINERJA_OTEL_EXPORTER`` names an exporter: then each service gets a tracer provider
of its own (``service.name`` ``kinerja-<service>``), handed to the libraries that make the spans:

- Litestar's OpenTelemetry plugin makes a server span per request, continuing a ``traceparent``
  the caller sent; the request's correlation id goes on it as ``kinerja.correlation_id``;
- the outbox stages each event with the ``traceparent`` of the span that wrote it
  (:func:`inject`), and the relay, publishing later from its own task, continues that context
  (:func:`continued`), so FastStream's publish span joins the request's trace;
- FastStream's Kafka telemetry middleware makes the consumer's span per batch, linked to the
  span of every message in it and named by their ``correlation_id`` header
  (``messaging.message.conversation_id``); what the handlers publish is staged under that span.

With the exporter off no provider exists, nothing is added to the broker or the app, and
:func:`inject` finds no span to inject: the records are byte for byte what they were.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka.opentelemetry.provider import (
    BatchKafkaTelemetrySettingsProvider,
    KafkaTelemetrySettingsProvider,
)
from faststream.kafka.response import KafkaPublishCommand
from faststream.message import StreamMessage
from faststream.opentelemetry import TelemetryMiddleware
from litestar.plugins.opentelemetry import OpenTelemetryConfig
from litestar.types import Scope
from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.semconv.trace import SpanAttributes

from shared.settings import Settings

CORRELATION_ATTRIBUTE = "kinerja.correlation_id"


def _otlp(settings: Settings) -> SpanExporter:
    # Imported here: the exporter brings protobuf and an HTTP client, which a service without tracing
    # has no use for.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=settings.otel_endpoint or None)


#: Exporter of each ``KINERJA_OTEL_EXPORTER`` value but ``none``.
EXPORTERS: dict[str, Callable[[Settings], SpanExporter]] = {
    "otlp": _otlp,
    "console": lambda settings: ConsoleSpanExporter(),
}


class _Keyless(KafkaTelemetrySettingsProvider):
    """FastStream's attributes of a record, less its key: the services key records by NIP."""

    def get_publish_attrs_from_cmd(self, cmd: KafkaPublishCommand) -> dict[str, Any]:
        return _without_key(super().get_publish_attrs_from_cmd(cmd))

    def get_consume_attrs_from_message(self, msg: StreamMessage[ConsumerRecord]) -> dict[str, Any]:
        return _without_key(super().get_consume_attrs_from_message(msg))


class _KeylessBatch(BatchKafkaTelemetrySettingsProvider):
    """The same for a batch, whose handler's publishes take their attributes from here too."""

    def get_publish_attrs_from_cmd(self, cmd: KafkaPublishCommand) -> dict[str, Any]:
        return _without_key(super().get_publish_attrs_from_cmd(cmd))


def _without_key(attributes: dict[str, Any]) -> dict[str, Any]:
    attributes.pop(SpanAttributes.MESSAGING_KAFKA_MESSAGE_KEY, None)
    return attributes


def _keyless(msg: Any) -> _Keyless | _KeylessBatch:
    return _KeylessBatch() if isinstance(msg, Sequence) else _Keyless()


def kafka_middleware(provider: TracerProvider) -> TelemetryMiddleware[KafkaPublishCommand]:
    """FastStream's Kafka telemetry (what ``KafkaTelemetryMiddleware`` builds), without record keys."""
    return TelemetryMiddleware(settings_provider_factory=_keyless, tracer_provider=provider)


def tracer_provider(service: str, settings: Settings) -> TracerProvider | None:
    """The service's tracer provider, or None when tracing is off."""
    if settings.otel_exporter == "none":
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: f"kinerja-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(EXPORTERS[settings.otel_exporter](settings)))
    return provider


def inject(headers: MutableMapping[str, str]) -> None:
    """Add the current span's ``traceparent`` (W3C trace context) to ``headers``; none, no change."""
    propagate.inject(headers)


@contextlib.contextmanager
def continued(headers: MutableMapping[str, str]) -> Iterator[None]:
    """Make the context that :func:`inject` put into ``headers`` the current one, for a while."""
    token = context.attach(propagate.extract(headers))
    try:
        yield
    finally:
        context.detach(token)


def mark_correlation(correlation_id: str) -> None:
    """Put the correlation id on the current span (nothing happens when none is recording)."""
    trace.get_current_span().set_attribute(CORRELATION_ATTRIBUTE, correlation_id)


def unrouted(scope: Scope) -> tuple[str, dict[str, str]]:
    """The server span's name while the route is not known yet: the method alone (semantic
    conventions), not Litestar's default of the raw path, which holds NIPs and ids."""
    return str(scope.get("method", "")) or "websocket", {}


def name_route(scope: Scope) -> None:
    """Once routed: name the server span by the route template and put the template, not the raw
    path, in the attributes the ASGI instrumentation filled from the request line."""
    span = trace.get_current_span()
    route = scope.get("path_template")
    if not span.is_recording() or not route:
        return
    span.update_name(f"{scope.get('method', '')} {route}")
    span.set_attributes({"http.route": route, "http.target": route, "http.url": route})


async def name_refused_route(_: BaseException, scope: Scope) -> None:
    """``after_exception`` hook: :func:`name_route` for a request refused before its handler ran
    (the JWT check), which never reaches the before-request hook."""
    name_route(scope)


def tracing_config(provider: TracerProvider, exclude: list[str]) -> OpenTelemetryConfig:
    """Litestar's plugin configuration: one server span per request, without the per-message
    ``http send`` / ``http receive`` spans, nor those of ``exclude`` (scrapes, probes)."""
    return OpenTelemetryConfig(
        tracer_provider=provider,
        exclude=exclude,
        exclude_spans=["receive", "send"],
        scope_span_details_extractor=unrouted,
    )
