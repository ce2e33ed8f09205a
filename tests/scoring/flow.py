"""The cycle the scoring service-flow tests follow through the real broker and database.

One unit of Marelan (:mod:`tools.workload`, profile STEADY): its head BOSS, the nurse NURSE (in a
service role) and three PEERS; only the nurse has inputs, from herself, the peers and BOSS, all
the same, so that her score is known: results above expectation, behaviour as expected, Baik.
Not a conftest; imported explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from shared.events.base import Event
from shared.events.feedback import CycleClosed, CycleOpened, EmployeeUpserted
from shared.settings import Settings
from tools.workload import STEADY, Cycle, cycle_id, nip, unit_of

REGION = "marelan"
CYCLE = cycle_id(REGION)
UNIT = unit_of(0)
BOSS, NURSE = nip(0, 0), nip(0, 1)
PEERS = [nip(0, i) for i in (2, 3, 4)]


@dataclass(frozen=True)
class Flow:
    people: list[EmployeeUpserted]
    opened: CycleOpened
    inputs: list[Event]
    """The nurse's plan, achievement report, and feedback from self, the three peers and BOSS."""
    closed: CycleClosed
    """The close, the unit Baik."""


def nurse_cycle() -> Flow:
    """The same events, ids included, at every call."""
    cycle = Cycle(5, regions=(REGION,), unit_size=5, profile=STEADY, correlation="scoring-flow")
    directory, inputs, (closed,) = cycle.directory(), cycle.inputs(), cycle.closes()
    people = [e for e in directory if isinstance(e, EmployeeUpserted)]
    opened = directory[-1]
    assert isinstance(opened, CycleOpened) and isinstance(closed, CycleClosed)
    return Flow(people, opened, [e for e in inputs if e.key == NURSE], closed)


async def publish(settings: Settings, events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                settings.topic(event.TOPIC), event.to_bytes(), key=event.key.encode()
            )
    finally:
        await producer.stop()
