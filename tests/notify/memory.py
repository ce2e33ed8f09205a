"""An in-memory :class:`~services.notify.store.NotifyStorage` for the service's unit tests.

It keeps the documents the real store would write (the same ``deliveries`` shape, through the
store's own :func:`~services.notify.store.keyed` and :func:`~services.notify.store.delivery_of`),
and the events each write staged in its outbox, so that a test can say what a use case wrote and
announced without Kafka or MongoDB. The real store is tested on the real servers
(tests/notify/test_service_delivery.py and the flows).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from services.notify.domain import Audience, Delivery, DeliveryStatus, Person, ReplayQuery, Subscription
from services.notify.store import CLAIM_CANDIDATES, delivery_of, keyed
from shared.events.base import Event
from shared.mongo import time_key


class MemoryNotifyStore:
    """The notify store's contract over dicts; ``staged`` lists every event written, in order."""

    def __init__(self) -> None:
        self.people: dict[str, tuple[Person, datetime]] = {}
        self.regions: set[str] = set()
        self.subs: dict[str, Subscription] = {}
        self.docs: dict[str, dict[str, Any]] = {}
        self.staged: list[Event] = []

    # ------------------------------------------------------------------ directory
    async def upsert_person(self, person: Person, as_of: datetime) -> bool:
        kept = self.people.get(person.nip)
        if kept is not None and kept[1] > as_of:
            return False
        self.people[person.nip] = (person, as_of)
        return True

    async def remember_region(self, region: str) -> None:
        self.regions.add(region)

    async def people_for(self, region: str, aud: Audience) -> list[Person]:
        everyone = [person for person, _ in self.people.values()]
        if aud.whole_region:
            return [p for p in everyone if p.region == region and p.active]
        found = [p for p in everyone if p.nip in aud.nips]
        if aud.supervisors:
            bosses = {p.supervisor_nip for p in found if p.supervisor_nip} - aud.nips
            found += [p for p in everyone if p.nip in bosses]
        return found

    async def person_region(self, nip: str) -> str | None:
        kept = self.people.get(nip)
        return None if kept is None else kept[0].region

    async def region_known(self, region: str) -> bool:
        return region in self.regions or any(p.region == region for p, _ in self.people.values())

    # ------------------------------------------------------------------ subscriptions
    async def insert_subscription(self, sub: Subscription, now: datetime) -> None:
        self.subs[sub.subscription_id] = sub

    async def subscription(self, subscription_id: str) -> Subscription | None:
        return self.subs.get(subscription_id)

    async def subscriptions(
        self, region: str | None = None, *, active_only: bool = False
    ) -> list[Subscription]:
        return [
            sub
            for _, sub in sorted(self.subs.items())
            if (region is None or sub.region == region) and (sub.active or not active_only)
        ]

    async def replace_subscription(self, sub: Subscription, now: datetime) -> None:
        self.subs[sub.subscription_id] = sub

    async def delete_subscription(self, subscription_id: str) -> bool:
        return self.subs.pop(subscription_id, None) is not None

    # ------------------------------------------------------------------ deliveries
    async def insert_deliveries(
        self, planned: Sequence[tuple[dict[str, Any], Sequence[Event]]]
    ) -> list[dict[str, Any]]:
        fresh = []
        for doc, events in planned:
            if doc["_id"] in self.docs:
                continue  # the dedupe key: this notification was planned before
            stored = keyed(doc)
            self.docs[doc["_id"]] = stored
            self.staged += events
            fresh.append(copy.deepcopy(stored))
        return fresh

    async def claim_next(self, token: str, now: datetime, lease_until: datetime) -> Delivery | None:
        pending = [d for d in self.docs.values() if d["status"] == DeliveryStatus.PENDING.value]
        for doc in sorted(pending, key=lambda d: d["created_at"])[:CLAIM_CANDIDATES]:
            doc.update(status=DeliveryStatus.IN_PROGRESS.value, claim=token, lease_until=lease_until)
            return delivery_of(doc)
        return None

    async def finish(
        self, nid: str, token: str, fields: dict[str, Any], attempts: int, events: Iterable[Event]
    ) -> bool:
        doc = self.docs.get(nid)
        if doc is None or doc.get("claim") != token:
            return False
        doc.update(fields)
        doc["attempts"] = doc.get("attempts", 0) + attempts
        doc.pop("lease_until", None)
        self.staged += events
        return True

    async def expired_claims(self, now: datetime, limit: int = 100) -> list[Delivery]:
        expired = [
            d
            for d in self.docs.values()
            if d["status"] == DeliveryStatus.IN_PROGRESS.value and d["lease_until"] < now
        ]
        return [delivery_of(d) for d in expired[:limit]]

    async def requeue(self, nid: str, statuses: Iterable[DeliveryStatus], now: datetime) -> bool:
        doc = self.docs.get(nid)
        if doc is None or doc["status"] not in {s.value for s in statuses}:
            return False
        doc.update(status=DeliveryStatus.PENDING.value, updated_at=now, replayed_at=now)
        doc["round"] = doc.get("round", 0) + 1
        doc.pop("claim", None)
        doc.pop("lease_until", None)
        return True

    async def deliveries(
        self,
        *,
        region: str | None,
        channel: str | None = None,
        recipient: str | None = None,
        statuses: Iterable[DeliveryStatus] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        wanted = {s.value for s in statuses}
        found = [
            d
            for d in self.docs.values()
            if (region is None or d["region"] == region)
            and (channel is None or d["channel"] == channel)
            and (recipient is None or d["recipient"] == recipient)
            and (not wanted or d["status"] in wanted)
            and (since is None or d["page_key"] >= time_key(since))
            and (until is None or d["page_key"] < time_key(until))
            and (after is None or d["page_key"] > after)
        ]
        return [delivery_of(d) for d in sorted(found, key=lambda d: d["page_key"])[:limit]]

    async def replay_candidates(self, region: str | None, query: ReplayQuery) -> list[Delivery]:
        return await self.deliveries(
            region=region,
            channel=query.channel,
            recipient=query.recipient,
            statuses=query.statuses,
            since=query.since,
            until=query.until,
            limit=query.limit,
        )

    # ------------------------------------------------------------------ inbox
    async def inbox(
        self, owner: str, *, unread_only: bool, before: str | None = None, limit: int
    ) -> list[Delivery]:
        found = [
            d
            for d in self._inbox_of(owner)
            if (not unread_only or d["inbox"] == "unread") and (before is None or d["page_key"] < before)
        ]
        return [delivery_of(d) for d in sorted(found, key=lambda d: d["page_key"], reverse=True)[:limit]]

    async def inbox_message(self, owner: str, nid: str) -> Delivery | None:
        found = [d for d in self._inbox_of(owner) if d["_id"] == nid]
        return delivery_of(found[0]) if found else None

    async def mark_read(self, owner: str, nid: str, now: datetime) -> None:
        for doc in self._inbox_of(owner):
            if doc["_id"] == nid and doc.get("read_at") is None:
                doc.update(read_at=now, inbox="read")

    def _inbox_of(self, owner: str) -> list[dict[str, Any]]:
        return [d for d in self.docs.values() if d["recipient"] == owner and d["channel"] == "inbox"]
