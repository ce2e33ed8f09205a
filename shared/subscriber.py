"""The one FastStream subscriber of a service process, and its AsyncAPI document per topic.

A service reads all its topics through one batch subscriber (one Kafka consumer), because
several consumers in one group in one process would rebalance each other. Its one FastStream
call is the kernel's dispatcher: it hands each topic's records to that topic's
:class:`~shared.consumer.BatchProcessor`, which decodes them itself (a bad record is dead-lettered
alone) and calls the topic's typed handler.

FastStream documents a subscriber of several topics with one payload for all of them, the union of
its calls' (``faststream/kafka/subscriber/specification.py``), and this one's call takes raw
records. :class:`PerTopicSpecification` documents each topic as FastStream documents a subscriber
whose handler is that topic's: the channel is named after the handler, and its payload is the
event types the handler is annotated with, made into a schema by FastStream's own
``get_model_schema``. We chose this over a documentation-only broker of stub functions (what
``tools/contracts.py`` had): the document now comes from the subscriber that consumes and the
handlers that run. Over one FastStream call per topic, which cannot be: FastStream hands a whole
batch, which spans topics, to one call. And over typing the dispatcher's body with the events:
FastStream would then validate the batch itself, and one bad record would fail the batch instead
of being dead-lettered alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.subscriber.specification import KafkaSubscriberSpecification
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.specification.asyncapi.message import get_model_schema
from faststream.specification.asyncapi.utils import to_camelcase
from faststream.specification.schema import Message, Operation, SubscriberSpec
from faststream.specification.schema.bindings import ChannelBinding, kafka
from pydantic import create_model

from shared.consumer import BatchProcessor, Subscription
from shared.events.registry import one_of


async def _raw_body(msg: Any, original: Any = None) -> Any:
    # The kernel decodes and validates events itself, so that a bad record is dead-lettered
    # instead of failing the whole batch inside FastStream.
    return msg.body


def handler_name(subscription: Subscription) -> str:
    """The name the AsyncAPI document gives the subscription's handler (FastStream's spelling)."""
    return to_camelcase(subscription.function.__name__)


def payload(subscription: Subscription) -> dict[str, Any]:
    """The JSON Schema of one record of the subscription's topic, as this service reads it: what
    FastStream writes for a handler taking one argument of the subscription's event types."""
    name = handler_name(subscription)
    model = create_model(name, events=(one_of(subscription.events), ...))
    schema: dict[str, Any] = get_model_schema(model, prefix=f"{name}:Message")
    return schema


class PerTopicSpecification(KafkaSubscriberSpecification):
    """FastStream's specification of a multi-topic subscriber, with one payload per topic: that of
    the topic's subscription (see the module's docstring)."""

    __slots__ = ("subscriptions",)

    def __init__(
        self, plain: KafkaSubscriberSpecification, subscriptions: Mapping[str, Subscription]
    ) -> None:
        super().__init__(plain._outer_config, plain.config, plain.calls)
        #: By the topic's name on the cluster (with the topic prefix).
        self.subscriptions = dict(subscriptions)
        names = [handler_name(s) for s in self.subscriptions.values()]
        if len(set(names)) < len(names):
            raise ValueError(
                f"handlers {names}: each topic needs its own, the document names payloads by them"
            )

    def get_schema(self) -> dict[str, SubscriberSpec]:
        channels: dict[str, SubscriberSpec] = {}
        for address in self.topics:
            subscription = self.subscriptions[address]
            key = f"{address}:{handler_name(subscription)}"  # FastStream's key for a call of that name
            channels[key] = SubscriberSpec(
                address=address,
                description=subscription.description or None,
                operation=Operation(
                    message=Message(title=f"{key}:Message", payload=payload(subscription)),
                    bindings=None,
                ),
                bindings=ChannelBinding(
                    kafka=kafka.ChannelBinding(topic=address, partitions=None, replicas=None)
                ),
            )
        return channels


def consume(
    broker: KafkaBroker,
    processors: Mapping[str, BatchProcessor],
    *,
    group_id: str,
    max_records: int,
) -> BatchSubscriber:
    """Subscribe ``broker`` to every topic of ``processors`` (by name on the cluster, in the order
    that a batch spanning topics is processed in) with one batch subscriber."""
    subscriber = broker.subscriber(
        *processors,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=100,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
    )
    plain = subscriber.specification
    assert isinstance(plain, KafkaSubscriberSpecification)
    # FastStream types the attribute with the generic base's default parameters.
    subscriber.specification = PerTopicSpecification(  # type: ignore[assignment]
        plain, {topic: p.subscription for topic, p in processors.items()}
    )

    async def dispatch(body: list[Any], msg: KafkaMessage) -> None:
        """Each topic's records of the batch to the topic's processor, topic by topic."""
        records = msg.raw_message
        batch = records if isinstance(records, tuple) else (records,)
        for topic, processor in processors.items():
            mine = [r for r in batch if r.topic == topic]
            if mine:
                await processor.process(mine)

    subscriber(dispatch)
    return subscriber
