"""Choosing deliveries to replay: a pure filter the store and the HTTP API will call."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import Field, model_validator

from services.notify.domain.model import DeliveryRecord, DeliveryStatus
from shared.events.base import Model
from shared.events.notify import Channel


class ReplayQuery(Model):
    """Which deliveries to send again. Times are compared with ``created_at``: [since, until)."""

    recipient: str | None = Field(
        None, description="Subscription id (webhooks), NIP or address; None for any."
    )
    channel: Channel = Field("webhook", description="Channel to replay.")
    since: datetime = Field(description="First planned time included.")
    until: datetime = Field(description="First planned time excluded.")
    statuses: frozenset[DeliveryStatus] = Field(
        frozenset({DeliveryStatus.FAILED}),
        description="Statuses to replay; failed (dead letters) by default.",
    )
    limit: int = Field(1000, description="Most deliveries picked at once.", ge=1, le=10_000)

    @model_validator(mode="after")
    def _ordered(self) -> ReplayQuery:
        if self.until <= self.since:
            raise ValueError("until must be after since")
        # Replaying something in flight would race the sender that is still working on it.
        if DeliveryStatus.IN_PROGRESS in self.statuses:
            raise ValueError("deliveries in progress cannot be replayed")
        return self


def select_for_replay(records: Iterable[DeliveryRecord], query: ReplayQuery) -> list[DeliveryRecord]:
    """The records ``query`` picks, oldest first, at most ``query.limit``.

    Replays keep the notification id, so receivers that deduplicate on ``X-Kinerja-Delivery-Id``
    see a replay of something they did get as a duplicate, not as a new message.
    """
    picked = [
        r
        for r in records
        if r.channel == query.channel
        and (query.recipient is None or r.recipient == query.recipient)
        and query.since <= r.created_at < query.until
        and r.status in query.statuses
    ]
    picked.sort(key=lambda r: (r.created_at, r.notification_id))
    return picked[: query.limit]
