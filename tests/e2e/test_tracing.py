"""A trace follows a request and its correlation id from feedback's API through Kafka to scoring.

Feedback and scoring run in-process on the real broker and database with tracing on; each
service's exporter is swapped for an in-memory one (the rest of the wiring is what
``KINERJA_OTEL_EXPORTER=otlp`` builds). Off, the default, no span is made at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from services.feedback.app import create_app as feedback_app
from services.scoring.app import create_app as scoring_app
from shared import telemetry
from shared.auth import Role, issue_token
from shared.events.feedback import EMPLOYEES_TOPIC
from shared.settings import Settings

REGION = "marelan"
NIP = "198503122010011002"
CORRELATION = "trace-me-0001"


def handled_by_scoring() -> float:
    labels = {"service": "scoring", "event_type": "feedback.employee_upserted", "outcome": "ok"}
    return REGISTRY.get_sample_value("kinerja_events_consumed_total", labels) or 0.0


def of(spans: list[ReadableSpan], service: str, kind: SpanKind) -> list[ReadableSpan]:
    return [
        s
        for s in spans
        if s.kind is kind and s.resource is not None and s.resource.attributes["service.name"] == service
    ]


async def test_a_request_s_trace_reaches_the_consumer_of_its_event(
    isolated_settings: Settings, eventually: Callable[..., Awaitable[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    exporters: list[InMemorySpanExporter] = []

    def in_memory(_: Settings) -> InMemorySpanExporter:
        exporters.append(InMemorySpanExporter())
        return exporters[-1]

    monkeypatch.setitem(telemetry.EXPORTERS, "otlp", in_memory)
    settings = isolated_settings.model_copy(update={"otel_exporter": "otlp"})
    headers = {
        "Authorization": "Bearer " + issue_token(settings, subject="hr", role=Role.HR_ADMIN, region=REGION),
        "X-Correlation-Id": CORRELATION,
    }
    before = handled_by_scoring()
    async with AsyncTestClient(feedback_app(settings)) as feedback, AsyncTestClient(scoring_app(settings)):
        unit = {"name": "Dinas Kesehatan"}
        assert (
            await feedback.put(f"/regions/{REGION}/units/dinkes", json=unit, headers=headers)
        ).status_code == 200
        employee = {"name": "Pegawai", "position": "Perawat", "unit_id": "dinkes", "employment_type": "PNS"}
        response = await feedback.put(f"/regions/{REGION}/employees/{NIP}", json=employee, headers=headers)
        assert response.status_code == 200, response.text
        refused = await feedback.get(
            f"/regions/{REGION}/employees/{NIP}", headers={"X-Correlation-Id": "no-token"}
        )
        assert refused.status_code == 401

        async def consumed() -> bool:
            return handled_by_scoring() > before

        assert await eventually(consumed)
    # Leaving the apps shut their tracer providers down, which exported what they buffered.
    spans = [span for exporter in exporters for span in exporter.get_finished_spans()]

    requests = [
        s
        for s in of(spans, "kinerja-feedback", SpanKind.SERVER)
        if s.attributes is not None and s.attributes.get(telemetry.CORRELATION_ATTRIBUTE) == CORRELATION
    ]
    # Named by the route template, never the raw path, whether the handler ran or the JWT check refused.
    template = "/regions/{region}/employees/{nip}"
    assert sorted(s.name for s in of(spans, "kinerja-feedback", SpanKind.SERVER)) == [
        f"GET {template}",
        f"PUT {template}",
        "PUT /regions/{region}/units/{unit_id}",
    ]
    assert [s.name for s in spans if NIP in s.name or NIP in str(dict(s.attributes or {}))] == []
    employee_trace = {
        s.context.trace_id for s in requests if s.context is not None and s.name == f"PUT {template}"
    }
    assert len(employee_trace) == 1, [s.name for s in requests]

    # The relay published the event later, from its own task, and still within the request's trace.
    published = [
        s
        for s in of(spans, "kinerja-feedback", SpanKind.PRODUCER)
        if EMPLOYEES_TOPIC in s.name and s.context is not None and s.context.trace_id in employee_trace
    ]
    assert published, [s.name for s in of(spans, "kinerja-feedback", SpanKind.PRODUCER)]

    # Scoring's consumer span links to it, and is named by the correlation id.
    linked = [
        s
        for s in of(spans, "kinerja-scoring", SpanKind.CONSUMER)
        if any(link.context.trace_id in employee_trace for link in s.links)
    ]
    assert linked, [s.name for s in of(spans, "kinerja-scoring", SpanKind.CONSUMER)]
    assert any(
        s.attributes is not None and s.attributes.get("messaging.message.conversation_id") == CORRELATION
        for s in linked
    ), [dict(s.attributes or {}) for s in linked]


def test_tracing_is_off_by_default() -> None:
    assert Settings().otel_exporter == "none"
    assert telemetry.tracer_provider("feedback", Settings()) is None
