"""Dead-letter records for messages a consumer cannot use.

A dead letter keeps the original value bytes and headers unchanged and adds ``dlq.*`` headers
with the reason (the convention of Kafka Connect's dead-letter queues), so that an operator can
read why and replay the record as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from shared.events.registry import DLQ_SUFFIX


class RawRecord(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]


class RawPublisher(Protocol):
    async def __call__(
        self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]
    ) -> None: ...


def dlq_topic(source_topic: str) -> str:
    return source_topic + DLQ_SUFFIX


def dead_letter_headers(record: RawRecord, *, service: str, slug: str, reason: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in record.headers or ():
        headers[name] = value.decode("utf-8", errors="replace")
    headers.update(
        {
            "dlq.reason": reason[:2000],
            "dlq.problem": slug,
            "dlq.source_topic": record.topic,
            "dlq.source_partition": str(record.partition),
            "dlq.source_offset": str(record.offset),
            "dlq.service": service,
            "dlq.failed_at": datetime.now(UTC).isoformat(),
        }
    )
    return headers


async def send_dead_letter(
    publish: RawPublisher, record: RawRecord, *, service: str, slug: str, reason: str
) -> None:
    await publish(
        dlq_topic(record.topic),
        record.value or b"",
        key=record.key,
        headers=dead_letter_headers(record, service=service, slug=slug, reason=reason),
    )
