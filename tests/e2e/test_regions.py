"""End to end: feedback through the HTTP API ends as score events on Kafka, one scenario per region.

The feedback and scoring services run in-process on the real broker and database; the demo
driver (tools/demo.py) plays the region's staff through the public API.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from litestar.testing import AsyncTestClient

from services.feedback.app import create_app as feedback_app
from services.scoring.app import create_app as scoring_app
from shared.events.scoring import SCORES_TOPIC
from shared.settings import Settings
from tools.demo import REGIONS, DemoDriver, plan_region

# The national predicate matrix for each profile's inputs (PermenPANRB 6/2022):
# strong: targets beaten by 30%, fives -> (above, above) -> Sangat Baik
# average: targets met, threes -> (meets, meets) -> Baik
# weak: half the target, ones and twos -> (below, below) -> Sangat Kurang
# misconduct: targets beaten, behaviour rated one -> (above, below) -> Kurang
EXPECTED = {"strong": "sangat_baik", "average": "baik", "weak": "sangat_kurang", "misconduct": "kurang"}


async def finalized(settings: Settings, count: int, timeout: float = 120) -> dict[str, dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        settings.topic(SCORES_TOPIC),
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    await consumer.start()
    try:
        while len(found) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = json.loads(record.value)
                    if event["type"] == "scoring.score_finalized":
                        found[event["score"]["nip"]] = event
    finally:
        await consumer.stop()
    return found


@pytest.mark.parametrize("region", REGIONS)
async def test_feedback_through_the_api_ends_as_the_expected_final_predicate(
    region: str, isolated_settings: Settings
) -> None:
    plan = plan_region(region, REGIONS.index(region), staff_per_unit=4)
    async with (
        AsyncTestClient(scoring_app(isolated_settings)),
        AsyncTestClient(feedback_app(isolated_settings)) as feedback,
    ):
        driver = DemoDriver(isolated_settings, feedback)
        await driver.run_region(plan)
        await driver.close(plan)
        events = await finalized(isolated_settings, len(plan.scored))

    assert set(events) == {p.nip for p in plan.scored}, "every scored employee has a final score on Kafka"
    for person in plan.scored:
        score = events[person.nip]["score"]
        assert score["rubric_id"] == region
        assert score["predicate"] == EXPECTED[person.profile], (person.profile, score["explanation"])
