"""Builders of the career service's input events, and a way to publish them, for its tests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.auth import Role, issue_token
from shared.events.base import Event
from shared.events.career import RECOMMENDATIONS_TOPIC
from shared.events.feedback import CycleKind, CycleOpened, Employee, EmployeeUpserted, EmploymentType
from shared.events.scoring import Explanation, Predicate, Rating, Score, ScoreComputed, ScoreFinalized
from shared.settings import Settings

RATINGS: dict[Predicate, tuple[Rating, Rating]] = {
    # (results, behaviour) giving each predicate in the national matrix.
    Predicate.SANGAT_BAIK: (Rating.ABOVE, Rating.ABOVE),
    Predicate.BAIK: (Rating.MEETS, Rating.MEETS),
    Predicate.BUTUH_PERBAIKAN: (Rating.BELOW, Rating.MEETS),
    Predicate.KURANG: (Rating.MEETS, Rating.BELOW),
    Predicate.SANGAT_KURANG: (Rating.BELOW, Rating.BELOW),
}


def envelope(region: str, key: str) -> dict[str, Any]:
    return {
        "region": region,
        "correlation_id": f"test-{uuid.uuid4().hex[:8]}",
        "producer": "test",
        "key": key,
    }


def score(
    cycle_id: str,
    nip: str,
    predicate: Predicate,
    *,
    unit_id: str = "dinkes",
    team_id: str | None = None,
    revision: int = 1,
    mean: float = 80.0,
) -> Score:
    results, behaviour = RATINGS[predicate]
    return Score(
        cycle_id=cycle_id,
        nip=nip,
        unit_id=unit_id,
        team_id=team_id,
        rubric_id="national",
        rubric_version="1.0.0",
        results_score=mean,
        behaviour_score=mean,
        results_rating=results,
        behaviour_rating=behaviour,
        predicate=predicate,
        explanation=Explanation(inputs_used=[], weights={"results": 0.5, "behaviour": 0.5}),
        inputs_digest=f"{cycle_id}{nip}{predicate}{revision}{mean}".encode().hex()[:64].ljust(64, "0"),
        revision=revision,
    )


def finalized(region: str, value: Score) -> ScoreFinalized:
    event: ScoreFinalized = ScoreFinalized.build(score=value, **envelope(region, value.nip))
    return event


def computed(region: str, value: Score) -> ScoreComputed:
    event: ScoreComputed = ScoreComputed.build(score=value, **envelope(region, value.nip))
    return event


def cycle_opened(region: str, cycle_id: str, year: int) -> CycleOpened:
    event: CycleOpened = CycleOpened.build(
        cycle_id=cycle_id,
        kind=CycleKind("annual"),
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        window_opens=datetime(year, 1, 1, tzinfo=UTC),
        window_closes=datetime(year + 1, 1, 31, tzinfo=UTC),
        **envelope(region, cycle_id),
    )
    return event


def employee_upserted(
    region: str, nip: str, *, supervisor_nip: str | None = None, team_id: str | None = None
) -> EmployeeUpserted:
    event: EmployeeUpserted = EmployeeUpserted.build(
        employee=Employee(
            nip=nip,
            name=f"Pegawai {nip[-3:]}",
            position="Perawat Ahli Muda",
            unit_id="dinkes",
            supervisor_nip=supervisor_nip,
            team_id=team_id,
            employment_type=EmploymentType("PNS"),
        ),
        **envelope(region, nip),
    )
    return event


async def publish(settings: Settings, events: Iterable[Event | tuple[str, bytes, str]]) -> None:
    """Publish events (or raw ``(topic, value, key)`` records) in order, to the test's topics."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for item in events:
            if isinstance(item, Event):
                topic, value, key = item.TOPIC, item.to_bytes(), item.key
            else:
                topic, value, key = item
            await producer.send_and_wait(settings.topic(topic), value, key=key.encode())
    finally:
        await producer.stop()


def auth(settings: Settings, role: Role, region: str | None, nip: str | None = None) -> dict[str, str]:
    token = issue_token(settings, subject=f"{role}-{nip or region}", role=role, region=region, nip=nip)
    return {"Authorization": f"Bearer {token}"}


def issued(records: Sequence[Any]) -> list[dict[str, Any]]:
    """The ``career.recommendation_issued`` events among output records, once per event id."""
    seen: dict[str, dict[str, Any]] = {}
    for record in records:
        data = json.loads(record.value)
        if data["type"] == "career.recommendation_issued":
            seen.setdefault(data["event_id"], data)
    return list(seen.values())


def output_topic(settings: Settings) -> str:
    return settings.topic(RECOMMENDATIONS_TOPIC)
