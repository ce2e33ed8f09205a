"""A service creates its topics, and the dead-letter topic of each it reads, before it publishes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from litestar.testing import AsyncTestClient

from services.scoring.app import create_app as scoring_app
from shared.auth import Role, issue_token
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, INPUTS_TOPIC
from shared.events.scoring import SCORES_TOPIC
from shared.plugins.manager import build_registry
from shared.settings import Settings


async def _topics(settings: Settings) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        return {t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)}
    finally:
        await admin.close()


async def test_scoring_creates_what_it_reads_and_writes_with_dead_letter_topics(
    isolated_settings: Settings,
) -> None:
    assert await _topics(isolated_settings) == set()
    async with AsyncTestClient(scoring_app(isolated_settings)):
        created = await _topics(isolated_settings)
    expected = {
        isolated_settings.topic(t)
        for t in (
            SCORES_TOPIC,
            EMPLOYEES_TOPIC,
            CYCLES_TOPIC,
            INPUTS_TOPIC,
            EMPLOYEES_TOPIC + ".dlq",
            CYCLES_TOPIC + ".dlq",
            INPUTS_TOPIC + ".dlq",
        )
    }
    assert expected <= created, expected - created


class Records(logging.Handler):
    """Keeps what a logger emits (the services' logging set-up replaces the root handlers, so
    pytest's caplog would see nothing)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def test_the_first_publish_under_a_new_prefix_logs_no_missing_topic(
    isolated_settings: Settings, read_topic: Any
) -> None:
    from services.feedback.app import create_app as feedback_app

    token = issue_token(isolated_settings, subject="hr", role=Role.HR_ADMIN, region="marelan")
    hr = {"Authorization": f"Bearer {token}"}
    app = feedback_app(isolated_settings)
    records = Records()
    cluster = logging.getLogger("aiokafka.cluster")
    cluster.addHandler(records)
    try:
        async with AsyncTestClient(app) as client:
            await client.put("/regions/marelan/units/dinkes", json={"name": "Dinkes"}, headers=hr)
            body = {"name": "Pegawai", "position": "Staf", "unit_id": "dinkes", "employment_type": "PNS"}
            response = await client.put(
                "/regions/marelan/employees/198503122010011002", json=body, headers=hr
            )
            assert response.status_code == 200, response.text
            assert await read_topic(isolated_settings.topic(EMPLOYEES_TOPIC), 1)
    finally:
        cluster.removeHandler(records)
    assert [m for m in records.messages if "not found in cluster metadata" in m] == []


def test_the_rubrics_loaded_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="shared.plugins.manager"):
        registry = build_registry()
    [record] = [r for r in caplog.records if r.getMessage() == "rubrics loaded"]
    rubrics: list[str] = record.rubrics  # type: ignore[attr-defined]
    assert len(rubrics) == len(registry.specs)
    assert "marelan 1.0.0 (marelan) for marelan" in rubrics
    assert any(line.startswith("national ") and "[default for other regions]" in line for line in rubrics)


@pytest.mark.parametrize(
    ("given", "used"), [("", ""), ("acme", "acme."), ("acme.", "acme."), ("acme-", "acme-")]
)
def test_a_topic_prefix_without_a_separator_gets_a_dot(given: str, used: str) -> None:
    assert Settings(topic_prefix=given).topic("kinerja.x.v1") == f"{used}kinerja.x.v1"


async def test_topics_get_the_documented_partition_count_by_default(isolated_settings: Settings) -> None:
    """docs/scale-out.md: 12 partitions per topic, so `make run` and a compose start create them so."""
    default = Settings.model_fields["topic_partitions"].default
    assert default == 12
    settings = isolated_settings.model_copy(update={"topic_partitions": default})
    async with AsyncTestClient(scoring_app(settings)):
        pass
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([settings.topic(t) for t in (SCORES_TOPIC, INPUTS_TOPIC)])
    finally:
        await admin.close()
    assert {d["topic"]: len(d["partitions"]) for d in described} == {
        settings.topic(SCORES_TOPIC): 12,
        settings.topic(INPUTS_TOPIC): 12,
    }
