"""Handlers typed by their events: a subscription's types come from its handler's annotation, and
the kit's one Kafka subscriber documents each topic with its own handler's events.

Pure: nothing here connects (a kit's database client and broker connect when used or started).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import pytest
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.specification import AsyncAPI

from shared.consumer import Subscription, handled_events
from shared.events.base import Event
from shared.events.feedback import CYCLES_TOPIC, INPUTS_TOPIC, CycleClosed, CycleOpened, ProgressReported
from shared.runtime import ServiceKit
from shared.settings import Settings


async def on_cycle_event(seen: list[Event], events: Sequence[CycleOpened | CycleClosed]) -> None:
    seen.extend(events)


async def on_progress_reported(events: Sequence[ProgressReported]) -> None:
    return None


async def on_anything(events: Sequence[Event]) -> None:
    return None


async def on_list(events: list[ProgressReported]) -> None:
    return None


def test_the_event_types_are_those_of_the_handlers_annotation_bound_arguments_aside() -> None:
    subscription = Subscription(CYCLES_TOPIC, partial(on_cycle_event, []))
    assert subscription.events == (CycleOpened, CycleClosed)
    assert subscription.types == {"feedback.cycle_opened", "feedback.cycle_closed"}
    assert subscription.function is on_cycle_event
    assert handled_events(on_progress_reported) == (ProgressReported,)
    assert handled_events(partial(on_cycle_event, seen=[])) == (CycleOpened, CycleClosed)


def test_a_handler_typed_with_another_topics_events_is_refused() -> None:
    """It would take nothing: every record of its topic would be counted ignored."""
    with pytest.raises(TypeError, match="ProgressReported"):
        Subscription(CYCLES_TOPIC, on_progress_reported)


@pytest.mark.parametrize("handler", [on_anything, on_list, on_cycle_event])
def test_a_handler_not_typed_by_concrete_events_is_refused(handler: object) -> None:
    with pytest.raises(TypeError):
        handled_events(handler)  # type: ignore[arg-type]


async def test_one_subscriber_reads_every_topic_and_documents_each_with_its_handlers_events() -> None:
    settings = Settings(kafka_bootstrap="kafka:9092", topic_prefix="p.", kafka_security_protocol="PLAINTEXT")
    kit = ServiceKit("typed", settings)
    try:
        kit.consume(
            [
                Subscription(INPUTS_TOPIC, on_progress_reported, "progress"),
                Subscription(CYCLES_TOPIC, partial(on_cycle_event, []), "cycles"),
            ]
        )
        [subscriber] = kit.broker.subscribers  # one Kafka consumer, all topics
        assert isinstance(subscriber, BatchSubscriber)
        assert [t.name for t in subscriber.topics] == [f"p.{INPUTS_TOPIC}", f"p.{CYCLES_TOPIC}"]
        doc = AsyncAPI(kit.broker, title="t", version="1").to_specification().to_jsonable()
        channels = {c["address"]: (key, c["description"]) for key, c in doc["channels"].items()}
        assert channels == {
            f"p.{INPUTS_TOPIC}": (f"p.{INPUTS_TOPIC}:OnProgressReported", "progress"),
            f"p.{CYCLES_TOPIC}": (f"p.{CYCLES_TOPIC}:OnCycleEvent", "cycles"),
        }
        schemas = doc["components"]["schemas"]
        assert [r["$ref"] for r in schemas["OnCycleEvent:Message:Payload"]["anyOf"]] == [
            "#/components/schemas/CycleOpened",
            "#/components/schemas/CycleClosed",
        ]
        messages = doc["components"]["messages"]
        progress = messages[f"p.{INPUTS_TOPIC}:OnProgressReported:SubscribeMessage"]
        assert progress["payload"] == {"$ref": "#/components/schemas/ProgressReported"}
        with pytest.raises(RuntimeError):
            kit.consume([Subscription(CYCLES_TOPIC, partial(on_cycle_event, []))])
    finally:
        kit.client.close()
