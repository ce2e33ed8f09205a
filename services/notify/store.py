"""Every database call of the notify service.

Collections (all single-document writes, within what FerretDB v1 does):

``people``
    The directory, fed by ``EmployeeUpserted``; ``_id`` is the NIP.
``subscriptions``
    Webhook subscriptions; ``_id`` is the subscription id. The secret is stored as given: the
    service needs it to sign, so it cannot be hashed. It never leaves through the API after
    creation.
``deliveries``
    One document per notification, ``_id`` = notification id (uuid5 of event, channel and
    recipient): the dedupe key. Inbox messages are deliveries too (delivered when written).
    ``status`` moves pending → in_progress → delivered | failed; failed ones are the dead
    letters, replayed on request. The events reporting each outcome ride in the same write
    (``_outbox``, see :mod:`shared.outbox`). Lists page by ``page_key`` (the planned time, then
    the notification id: :func:`shared.mongo.page_key`); an inbox message also keeps ``inbox``,
    ``unread`` or ``read``, so that the unread ones are an index range too.
``migrations``
    One document per data migration done (``_id`` its name), so that a start does not redo it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.notify.domain import (
    Audience,
    Delivery,
    DeliveryStatus,
    Notification,
    Person,
    ReplayQuery,
    Subscription,
)
from shared.events.base import Event
from shared.mongo import Database, insert_new, page_key, time_key
from shared.outbox import Outbox, Staged

PEOPLE = "people"
SUBSCRIPTIONS = "subscriptions"
DELIVERIES = "deliveries"
REGIONS = "regions"
"""The regions notify has seen an employee of, by ``_id``: so that knowing one is an index read."""
MIGRATIONS = "migrations"


#: Pending deliveries a claim reads, oldest first, to find one no other replica took meanwhile.
CLAIM_CANDIDATES = 8


class NotifyStorage(Protocol):
    """What :class:`~services.notify.service.NotifyService` uses of its store.

    :class:`NotifyStore` is the real one (checked at the end of this module);
    ``tests/notify/memory.py`` keeps the same in memory for the service's unit tests.
    """

    async def upsert_person(self, person: Person, as_of: datetime) -> bool: ...
    async def remember_region(self, region: str) -> None: ...
    async def people_for(self, region: str, aud: Audience) -> list[Person]: ...
    async def person_region(self, nip: str) -> str | None: ...
    async def region_known(self, region: str) -> bool: ...

    async def insert_subscription(self, sub: Subscription, now: datetime) -> None: ...
    async def subscription(self, subscription_id: str) -> Subscription | None: ...
    async def subscriptions(
        self, region: str | None = None, *, active_only: bool = False
    ) -> list[Subscription]: ...
    async def replace_subscription(self, sub: Subscription, now: datetime) -> None: ...
    async def delete_subscription(self, subscription_id: str) -> bool: ...

    async def insert_deliveries(
        self, planned: Sequence[tuple[dict[str, Any], Sequence[Event]]]
    ) -> list[dict[str, Any]]: ...
    async def claim_next(self, token: str, now: datetime, lease_until: datetime) -> Delivery | None: ...
    async def finish(
        self, nid: str, token: str, fields: dict[str, Any], attempts: int, events: Iterable[Event]
    ) -> bool: ...
    async def expired_claims(self, now: datetime, limit: int = 100) -> list[Delivery]: ...
    async def requeue(self, nid: str, statuses: Iterable[DeliveryStatus], now: datetime) -> bool: ...
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
    ) -> list[Delivery]: ...
    async def replay_candidates(self, region: str | None, query: ReplayQuery) -> list[Delivery]: ...

    async def inbox(
        self, owner: str, *, unread_only: bool, before: str | None = None, limit: int
    ) -> list[Delivery]: ...
    async def inbox_message(self, owner: str, nid: str) -> Delivery | None: ...
    async def mark_read(self, owner: str, nid: str, now: datetime) -> None: ...


class NotifyStore:
    """The notify service's collections; see the module docstring for their shape."""

    def __init__(self, db: Database, outbox: Outbox | None = None) -> None:
        self.db = db
        # The relay's (``kit.relay.outbox``): writes stage their events and nudge it in one call.
        self.outbox = outbox or Outbox()
        # Shared with the outbox relay: FerretDB v1 can lose one of two concurrent updates.
        self.locks = self.outbox.locks

    async def ensure_indexes(self) -> None:
        await self.db[PEOPLE].create_index([("region", ASCENDING), ("active", ASCENDING)])
        await self.db[SUBSCRIPTIONS].create_index([("region", ASCENDING)])
        deliveries = self.db[DELIVERIES]
        await deliveries.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
        # Lists page by key (docs/ferretdb.md): an inbox, its unread messages, a region's
        # deliveries by channel or by status (the dead letters), every region's (system).
        await deliveries.create_index(
            [("recipient", ASCENDING), ("channel", ASCENDING), ("page_key", DESCENDING)]
        )
        await deliveries.create_index(
            [("recipient", ASCENDING), ("channel", ASCENDING), ("inbox", ASCENDING), ("page_key", DESCENDING)]
        )
        await deliveries.create_index(
            [("region", ASCENDING), ("channel", ASCENDING), ("page_key", ASCENDING)]
        )
        await deliveries.create_index([("region", ASCENDING), ("status", ASCENDING), ("page_key", ASCENDING)])
        await deliveries.create_index([("page_key", ASCENDING)])

    async def key_deliveries(self) -> None:
        """Once per database: give each delivery that earlier versions wrote its ``page_key``, and
        each inbox message its ``inbox`` state. Read once, then a marker in ``migrations`` keeps
        later starts from scanning again; idempotent if replicas start at once."""
        marker = "deliveries-page-key"
        if await self.db[MIGRATIONS].find_one({"_id": marker}) is not None:
            return
        old = self.db[DELIVERIES].find(
            {"page_key": {"$exists": False}}, {"created_at": 1, "channel": 1, "read_at": 1}
        )
        async for doc in old:
            nid = doc["_id"]
            async with self.locks.hold(DELIVERIES, str(nid)):
                await self.db[DELIVERIES].update_one(
                    {"_id": nid, "page_key": {"$exists": False}},
                    {"$set": {"page_key": delivery_key(doc)}},
                )
                if doc.get("channel") == "inbox":
                    # Each state set only if still true: a reading by another replica meanwhile
                    # makes the "unread" update miss and the "read" one hit.
                    for read_at, state in ((None, "unread"), ({"$ne": None}, "read")):
                        await self.db[DELIVERIES].update_one(
                            {"_id": nid, "inbox": {"$exists": False}, "read_at": read_at},
                            {"$set": {"inbox": state}},
                        )
        with contextlib.suppress(DuplicateKeyError):
            await self.db[MIGRATIONS].insert_one({"_id": marker, "at": datetime.now(UTC)})

    # ------------------------------------------------------------------ directory

    async def upsert_person(self, person: Person, as_of: datetime) -> bool:
        """Keep ``person`` unless a newer record is stored; False when this one was stale."""
        try:
            await self.db[PEOPLE].update_one(
                {"_id": person.nip, "$or": [{"as_of": {"$lte": as_of}}, {"as_of": {"$exists": False}}]},
                {"$set": {**person.model_dump(mode="json"), "as_of": as_of}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # a newer record exists: the filter missed and the upsert hit its _id
        return True

    async def people_for(self, region: str, aud: Audience) -> list[Person]:
        """The people :func:`~services.notify.domain.audience` asked for."""
        if aud.whole_region:
            return await self._people({"region": region, "active": True})
        if not aud.nips:
            return []
        found = await self._people({"_id": {"$in": sorted(aud.nips)}})
        if aud.supervisors:
            bosses = {p.supervisor_nip for p in found if p.supervisor_nip} - aud.nips
            if bosses:
                found += await self._people({"_id": {"$in": sorted(bosses)}})
        return found

    async def _people(self, query: dict[str, Any]) -> list[Person]:
        fields = {name: 1 for name in Person.model_fields}
        return [
            Person.model_validate({k: v for k, v in doc.items() if k in fields})
            async for doc in self.db[PEOPLE].find(query, fields)
        ]

    # ------------------------------------------------------------------ subscriptions

    async def insert_subscription(self, sub: Subscription, now: datetime) -> None:
        doc = {**_sub_doc(sub), "_id": sub.subscription_id, "created_at": now, "updated_at": now}
        await self.db[SUBSCRIPTIONS].insert_one(doc)

    async def subscription(self, subscription_id: str) -> Subscription | None:
        doc = await self.db[SUBSCRIPTIONS].find_one({"_id": subscription_id})
        return _sub(doc) if doc else None

    async def subscriptions(
        self, region: str | None = None, *, active_only: bool = False
    ) -> list[Subscription]:
        query: dict[str, Any] = {} if region is None else {"region": region}
        if active_only:
            query["active"] = True
        cursor = self.db[SUBSCRIPTIONS].find(query).sort("_id", ASCENDING)
        return [_sub(doc) async for doc in cursor]

    async def replace_subscription(self, sub: Subscription, now: datetime) -> None:
        await self.db[SUBSCRIPTIONS].update_one(
            {"_id": sub.subscription_id}, {"$set": {**_sub_doc(sub), "updated_at": now}}
        )

    async def delete_subscription(self, subscription_id: str) -> bool:
        result = await self.db[SUBSCRIPTIONS].delete_one({"_id": subscription_id})
        return result.deleted_count == 1

    # ------------------------------------------------------------------ deliveries

    async def insert_deliveries(
        self, planned: Sequence[tuple[dict[str, Any], Sequence[Event]]]
    ) -> list[dict[str, Any]]:
        """Insert planned deliveries, each with the events staged in it; returns those that are new
        (a duplicate id was handled before)."""
        docs = [keyed(doc) for doc, _ in planned]

        async def insert(staged: list[Staged]) -> set[int]:
            return await insert_new(
                self.db[DELIVERIES], [doc | one.insert_fields for doc, one in zip(docs, staged, strict=True)]
            )

        staging = [(DELIVERIES, doc["_id"], events) for doc, (_, events) in zip(docs, planned, strict=True)]
        seen = await self.outbox.write_many(staging, insert)
        return [doc for i, doc in enumerate(docs) if i not in seen]

    async def claim_next(self, token: str, now: datetime, lease_until: datetime) -> Delivery | None:
        """Move the oldest pending delivery to in_progress under ``token``.

        The oldest few pending are read through the (status, created_at) index, and the first
        still pending is claimed by ``_id``: a sorted ``find_one_and_update`` would be one
        statement, but FerretDB pushes no sort down for it, so it read and sorted every pending
        delivery for each claim, and a backlog of thousands made notify send a dozen a second.
        A replica that claims a candidate first makes this one try the next.
        """
        pending = {"status": DeliveryStatus.PENDING.value}
        oldest = self.db[DELIVERIES].find(pending, {"_id": 1}).sort("created_at", ASCENDING)
        oldest = oldest.limit(CLAIM_CANDIDATES)
        for candidate in [doc["_id"] async for doc in oldest]:
            doc = await self.db[DELIVERIES].find_one_and_update(
                {"_id": candidate, **pending},
                {
                    "$set": {
                        "status": DeliveryStatus.IN_PROGRESS.value,
                        "claim": token,
                        "lease_until": lease_until,
                    }
                },
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                return delivery_of(doc)
        return None

    async def finish(
        self, nid: str, token: str, fields: dict[str, Any], attempts: int, events: Iterable[Event]
    ) -> bool:
        """Record the outcome of the send made under ``token``, with its report event, in one write.

        False when the claim was taken over meanwhile (by a replay): that outcome is not recorded.
        """

        async def record(staged: Staged) -> bool:
            result = await self.db[DELIVERIES].update_one(
                {"_id": nid, "claim": token},
                {
                    "$set": {**fields, **staged.set_fields},
                    "$inc": {"attempts": attempts},
                    "$unset": {"lease_until": ""},
                },
            )
            return result.matched_count == 1

        return await self.outbox.write(DELIVERIES, nid, events, record)

    async def expired_claims(self, now: datetime, limit: int = 100) -> list[Delivery]:
        cursor = (
            self.db[DELIVERIES]
            .find({"status": DeliveryStatus.IN_PROGRESS.value, "lease_until": {"$lt": now}})
            .limit(limit)
        )
        return [delivery_of(doc) async for doc in cursor]

    async def requeue(self, nid: str, statuses: Iterable[DeliveryStatus], now: datetime) -> bool:
        """Put a delivery back to pending for a replay, if it is still in one of ``statuses``."""
        async with self.locks.hold(DELIVERIES, nid):
            result = await self.db[DELIVERIES].update_one(
                {"_id": nid, "status": {"$in": [s.value for s in statuses]}},
                {
                    "$set": {"status": DeliveryStatus.PENDING.value, "updated_at": now, "replayed_at": now},
                    "$unset": {"claim": "", "lease_until": ""},
                    "$inc": {"round": 1},
                },
            )
        return result.modified_count == 1

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
        """Deliveries matching every given filter, oldest first, planned in [since, until) and
        after the page key ``after``: one index range, walked up to the limit."""
        query: dict[str, Any] = {}
        if region is not None:
            query["region"] = region
        if channel is not None:
            query["channel"] = channel
        if recipient is not None:
            query["recipient"] = recipient
        if wanted := [s.value for s in statuses]:
            query["status"] = wanted[0] if len(wanted) == 1 else {"$in": wanted}
        window: dict[str, Any] = {}
        if since is not None:
            window["$gte"] = time_key(since)
        if after is not None:
            window["$gt"] = after
        if until is not None:
            window["$lt"] = time_key(until)
        if window:
            query["page_key"] = window
        cursor = self.db[DELIVERIES].find(query).sort("page_key", ASCENDING).limit(limit)
        return [delivery_of(doc) async for doc in cursor]

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

    async def person_region(self, nip: str) -> str | None:
        """The region of the person ``nip`` in the directory, None when notify has not seen them."""
        doc = await self.db[PEOPLE].find_one({"_id": nip}, {"region": 1})
        return str(doc["region"]) if doc else None

    async def remember_region(self, region: str) -> None:
        await self.db[REGIONS].update_one({"_id": region}, {"$setOnInsert": {"region": region}}, upsert=True)

    async def region_known(self, region: str) -> bool:
        """Whether any employee of ``region`` reached the directory: a read by ``_id`` of
        ``regions``; a directory kept by earlier versions, which had no ``regions``, is looked up
        once by region and then remembered."""
        if await self.db[REGIONS].find_one({"_id": region}) is not None:
            return True
        if await self.db[PEOPLE].find_one({"region": region}, {"_id": 1}) is None:
            return False
        await self.remember_region(region)
        return True

    async def inbox(
        self, owner: str, *, unread_only: bool, before: str | None = None, limit: int
    ) -> list[Delivery]:
        """Newest first: the messages of inbox ``owner`` whose key comes before ``before`` (the
        last key of the page before), read by walking the inbox's index up to the limit however
        many years of messages it holds (docs/ferretdb.md)."""
        query: dict[str, Any] = {"recipient": owner, "channel": "inbox"}
        if unread_only:
            query["inbox"] = "unread"
        if before is not None:
            query["page_key"] = {"$lt": before}
        cursor = self.db[DELIVERIES].find(query).sort("page_key", DESCENDING).limit(limit)
        return [delivery_of(doc) async for doc in cursor]

    async def inbox_message(self, owner: str, nid: str) -> Delivery | None:
        doc = await self.db[DELIVERIES].find_one({"_id": nid, "recipient": owner, "channel": "inbox"})
        return delivery_of(doc) if doc else None

    async def mark_read(self, owner: str, nid: str, now: datetime) -> None:
        # The first reading is the one kept: marking twice changes nothing.
        async with self.locks.hold(DELIVERIES, nid):
            await self.db[DELIVERIES].update_one(
                {"_id": nid, "recipient": owner, "channel": "inbox", "read_at": None},
                {"$set": {"read_at": now, "inbox": "read"}},
            )


def delivery_document(
    n: Notification, correlation_id: str, now: datetime, *, delivered: bool = False
) -> dict[str, Any]:
    """The ``deliveries`` document of a planned notification: pending, or for an inbox message,
    whose writing is its delivery, delivered at once and unread."""
    doc: dict[str, Any] = {
        "_id": n.notification_id,
        "notification": n.model_dump_json(),
        "source_event_id": n.source_event_id,
        "event_type": n.event_type,
        "region": n.region,
        "channel": n.channel,
        "recipient": n.recipient,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "round": 0,
        "last_error": None,
        "correlation_id": correlation_id,
        "created_at": now,
        "updated_at": now,
    }
    if delivered:
        doc.update(status=DeliveryStatus.DELIVERED.value, attempts=1, read_at=None)
    return doc


def delivery_key(doc: Mapping[str, Any]) -> str:
    """The key a delivery's lists page by: its planned time, then its notification id. One rule
    for a new delivery, the start-up keying and a delivery read before it was keyed."""
    return page_key(doc["created_at"], str(doc["_id"]))


def delivery_of(doc: dict[str, Any]) -> Delivery:
    """A ``deliveries`` document as the service reads it."""
    return Delivery(
        notification=Notification.model_validate_json(doc["notification"]),
        status=DeliveryStatus(doc["status"]),
        attempts=doc.get("attempts", 0),
        round=doc.get("round", 0),
        last_error=doc.get("last_error"),
        correlation_id=doc.get("correlation_id", ""),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        read_at=doc.get("read_at"),
        claim=doc.get("claim"),
        # A delivery an earlier version wrote after the start-up keying (a rolling upgrade)
        # has none yet: its key is made the same way.
        page_key=doc.get("page_key") or delivery_key(doc),
    )


def keyed(doc: dict[str, Any]) -> dict[str, Any]:
    """A planned delivery as stored: with the key lists page by, and an inbox message's state."""
    keyed = {**doc, "page_key": delivery_key(doc)}
    if doc["channel"] == "inbox":
        keyed["inbox"] = "unread" if doc.get("read_at") is None else "read"
    return keyed


def _sub_doc(sub: Subscription) -> dict[str, Any]:
    data = sub.model_dump(mode="json")
    data["event_types"] = sorted(sub.event_types)
    return data


def _sub(doc: dict[str, Any]) -> Subscription:
    return Subscription.model_validate({k: v for k, v in doc.items() if k in Subscription.model_fields})
