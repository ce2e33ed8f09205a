"""Every service's ``GET /metrics`` after real work: requests, events through Kafka, deliveries.

The four services run in-process on the real broker and database. Feedback takes an employee and
a cycle through its API and publishes them; scoring, career and notify consume both, notify
delivers the cycle's inbox messages; a record that is not an event and a repeated event show the
dead-letter and duplicate outcomes. Each service is then scraped without a token, the exposition
parsed with prometheus_client's own parser, and the families and samples of docs/operations.md
checked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from services.career.app import create_app as career_app
from services.feedback.app import create_app as feedback_app
from services.notify.app import create_app as notify_app
from services.notify.config import NotifySettings
from services.scoring.app import create_app as scoring_app
from shared.auth import Role, issue_token
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, Employee, EmployeeUpserted
from shared.settings import Settings

REGION = "marelan"
NIP = "198503122010011002"
CYCLE = "marelan-2026"
Eventually = Callable[..., Awaitable[Any]]
Client = AsyncTestClient[Litestar]

#: The families every service serves (without the ``_total`` a counter's samples add).
KERNEL_FAMILIES = {
    "kinerja_http_requests",
    "kinerja_http_request_duration_seconds",
    "kinerja_events_consumed",
    "kinerja_consumer_lag",
    "kinerja_dead_letters",
    "kinerja_events_published",
    "kinerja_outbox_pending_documents",
}


async def scrape(client: Client) -> dict[str, list[Sample]]:
    """The samples of each family that ``GET /metrics`` serves, asked without a token."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def value(families: dict[str, list[Sample]], family: str, sample: str, **labels: str) -> float:
    """The sum of the samples named ``sample`` in ``family`` whose labels include ``labels``."""
    return sum(
        s.value
        for s in families.get(family, [])
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
    )


class Moved:
    """How far counters moved since a first scrape: earlier tests of the session ran services of
    the same names in this process, and the registry is the process's."""

    def __init__(self, before: dict[str, list[Sample]]) -> None:
        self.before = before

    def __call__(self, after: dict[str, list[Sample]], family: str, **labels: str) -> float:
        sample = family + "_total"
        return value(after, family, sample, **labels) - value(self.before, family, sample, **labels)


async def publish_raw(settings: Settings, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for raw in values:
            await producer.send_and_wait(settings.topic(topic), raw, key=NIP.encode())
    finally:
        await producer.stop()


async def test_each_service_serves_its_metrics_after_requests_and_events(
    isolated_settings: Settings, eventually: Eventually
) -> None:
    settings = isolated_settings
    hr = {"Authorization": "Bearer " + issue_token(settings, subject="hr", role=Role.HR_ADMIN, region=REGION)}
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[str, Client] = {
            "feedback": await stack.enter_async_context(AsyncTestClient(feedback_app(settings))),
            "scoring": await stack.enter_async_context(AsyncTestClient(scoring_app(settings))),
            "career": await stack.enter_async_context(AsyncTestClient(career_app(settings))),
            "notify": await stack.enter_async_context(
                AsyncTestClient(notify_app(settings, NotifySettings()))
            ),
        }
        moved = Moved(await scrape(clients["feedback"]))
        feedback = clients["feedback"]

        # Feedback: requests through the API, events out through the outbox.
        unit = {"name": "Dinas Kesehatan"}
        assert (
            await feedback.put(f"/regions/{REGION}/units/dinkes", json=unit, headers=hr)
        ).status_code == 200
        employee = {
            "name": "Pegawai 002",
            "position": "Perawat",
            "unit_id": "dinkes",
            "employment_type": "PNS",
        }
        response = await feedback.put(f"/regions/{REGION}/employees/{NIP}", json=employee, headers=hr)
        assert response.status_code == 200, response.text
        opens = datetime.now(UTC) - timedelta(days=1)
        cycle = {
            "cycle_id": CYCLE,
            "kind": "annual",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "window_opens": opens.isoformat(),
            "window_closes": (opens + timedelta(days=2)).isoformat(),
        }
        response = await feedback.post(f"/regions/{REGION}/cycles", json=cycle, headers=hr)
        assert response.status_code == 201, response.text
        assert (await feedback.get(f"/regions/{REGION}/employees/{NIP}")).status_code == 401

        # A repeat of an event the consumers take, and a record that is no event at all.
        repeat = EmployeeUpserted.build(
            region=REGION,
            correlation_id="metrics-test",
            producer="test",
            key=NIP,
            employee=Employee(
                nip=NIP, name="Pegawai 002", position="Perawat", unit_id="dinkes", employment_type="PNS"
            ),
        )
        await publish_raw(settings, EMPLOYEES_TOPIC, [repeat.to_bytes(), repeat.to_bytes(), b"not an event"])

        # One request to each consuming service: a route with path parameters, without a token.
        paths = {
            "scoring": ("/cycles/{cycle_id}/scores/{nip}", f"/cycles/{CYCLE}/scores/{NIP}"),
            "career": ("/recommendations/{recommendation_id}", "/recommendations/some-id"),
            "notify": ("/inbox/{owner}/messages", f"/inbox/{NIP}/messages"),
        }
        for service, (_, path) in paths.items():
            assert (await clients[service].get(path)).status_code == 401, service

        # --- feedback: requests by route template and status, events published, the outbox
        async def published() -> dict[str, list[Sample]] | None:
            now = await scrape(feedback)
            sent = "kinerja_events_published"
            employees = moved(now, sent, service="feedback", topic=EMPLOYEES_TOPIC)
            cycles = moved(now, sent, service="feedback", topic=CYCLES_TOPIC)
            return now if employees >= 1 and cycles >= 1 else None

        families = await eventually(published)
        assert families.keys() >= KERNEL_FAMILIES
        requests = "kinerja_http_requests"
        template = "/regions/{region}/employees/{nip}"
        assert (
            moved(families, requests, service="feedback", method="PUT", path=template, status_code="200") == 1
        )
        assert (
            moved(families, requests, service="feedback", method="GET", path=template, status_code="401") == 1
        )
        assert not [s for s in families[requests] if NIP in s.labels["path"]], "a raw path became a label"
        assert (
            value(
                families,
                "kinerja_http_request_duration_seconds",
                "kinerja_http_request_duration_seconds_count",
                service="feedback",
                path=template,
            )
            >= 2
        )
        backlog = [
            s for s in families["kinerja_outbox_pending_documents"] if s.labels["service"] == "feedback"
        ]
        assert {s.labels["collection"] for s in backlog} >= {"employees", "cycles"}

        # --- the three consumers: events by type and outcome, dead letters, lag, the request
        for service, (template, _) in paths.items():
            client = clients[service]

            async def consumed(
                service: str = service, client: Client = client
            ) -> dict[str, list[Sample]] | None:
                now = await scrape(client)
                events = "kinerja_events_consumed"
                upserted = {"service": service, "event_type": repeat.type}
                done = (
                    moved(now, events, outcome="ok", **upserted) >= 1
                    and moved(now, events, outcome="duplicate", **upserted) >= 1
                    and moved(now, events, service=service, event_type="feedback.cycle_opened", outcome="ok")
                    == 1
                    and moved(now, events, service=service, event_type="undecodable", outcome="dead_lettered")
                    == 1
                    and moved(
                        now,
                        "kinerja_dead_letters",
                        service=service,
                        topic=EMPLOYEES_TOPIC,
                        reason="undecodable",
                    )
                    == 1
                )
                lag = [s for s in now.get("kinerja_consumer_lag", []) if s.labels["service"] == service]
                return now if done and lag and sum(s.value for s in lag) == 0 else None

            families = await eventually(consumed, timeout=60.0)
            assert families.keys() >= KERNEL_FAMILIES, service
            assert moved(families, requests, service=service, path=template, status_code="401") == 1, service
            lagging = {
                s.labels["topic"] for s in families["kinerja_consumer_lag"] if s.labels["service"] == service
            }
            assert {EMPLOYEES_TOPIC, CYCLES_TOPIC} <= lagging, (service, lagging)

        # --- notify's deliveries: the cycle's inbox messages (the HR desk's at least)
        families = await scrape(clients["notify"])
        attempts = "kinerja_notify_delivery_attempts"
        assert moved(families, attempts, channel="inbox", outcome="delivered") >= 1
