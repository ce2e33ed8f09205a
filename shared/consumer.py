"""At-least-once consumption: commit after processing, idempotent by recorded event ids.

For each batch of records the consumer

1. decodes every record; one that cannot be decoded or fails validation goes to the topic's
   dead-letter topic with the reason, and the batch carries on;
2. drops events whose id is already in the service's ``inbox`` collection (a redelivery);
3. hands the new events to the batch handler, retrying with exponential back-off while a
   dependency is down (:data:`shared.mongo.TRANSIENT_DB_ERRORS`, :class:`TransientError`); past
   the retry budget it raises, FastStream does not commit, and Kafka redelivers the batch;
4. when the handler rejects the batch for another reason, it replays the events one at a time so
   that only the offending event is dead-lettered;
5. records the handled ids in the inbox, and returns, upon which FastStream commits the offsets.

Handlers must be idempotent themselves (upserts keyed by ids derived from the event), because a
crash between step 3 and step 5 replays the batch.

A handler is typed by the events it takes: its one argument, the batch, is annotated
``Sequence[E]`` or ``Sequence[E1 | E2]``, and that annotation is the subscription's list of types
(the others on the topic are skipped and counted as ``ignored``; the AsyncAPI document gives the
topic this payload). Arguments the handler needs besides go in with :func:`functools.partial`.
"""

from __future__ import annotations

import functools
import inspect
import logging
import types
import typing
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Union

import stamina
from aiokafka.errors import KafkaError

from shared import metrics
from shared.deadletter import RawPublisher, RawRecord, send_dead_letter
from shared.errors import KinerjaError, TransientError
from shared.events.base import Event
from shared.events.registry import decode
from shared.logging import correlation_id
from shared.mongo import TRANSIENT_DB_ERRORS, Database, insert_new
from shared.settings import Settings

log = logging.getLogger(__name__)

#: Takes a batch of the events its annotation names (``Sequence[Any]`` here, since each handler
#: narrows it to its own types; the kernel passes no others).
BatchHandler = Callable[[Sequence[Any]], Awaitable[None]]
TRANSIENT: tuple[type[Exception], ...] = (*TRANSIENT_DB_ERRORS, TransientError, KafkaError, OSError)
INBOX = "inbox"


@dataclass(frozen=True)
class Subscription:
    """What a service consumes from one topic: the batch handler, and the event types it takes,
    read from the handler's annotation (:func:`handled_events`), the one place they are named."""

    topic: str
    handler: BatchHandler
    description: str = ""
    events: tuple[type[Event], ...] = field(init=False)
    types: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", handled_events(self.handler))
        # A handler typed with another topic's events would take nothing: every record "ignored".
        if strays := [e.__name__ for e in self.events if getattr(e, "TOPIC", None) != self.topic]:
            raise TypeError(f"{self.function.__qualname__} takes {strays}, which {self.topic} does not carry")
        object.__setattr__(self, "types", frozenset(e.model_fields["type"].default for e in self.events))

    @property
    def function(self) -> Callable[..., Any]:
        """The handler's own function, without the arguments bound to it (for its name and module)."""
        return _function(self.handler)


def handled_events(handler: BatchHandler) -> tuple[type[Event], ...]:
    """The event types ``handler`` takes: those of the annotation of its one (unbound) argument,
    ``Sequence[E]`` or ``Sequence[E1 | E2 | ...]``, in the order written. Raises ``TypeError``
    when the handler is not typed so."""
    function = _function(handler)
    # What the kernel must pass: bound arguments (functools.partial) and defaults are not.
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    params = [
        p
        for p in inspect.signature(handler).parameters.values()
        if p.default is p.empty and p.kind not in variadic
    ]
    if len(params) != 1:
        raise TypeError(f"{function.__qualname__} must take one argument, the batch, besides bound ones")
    annotation = typing.get_type_hints(function).get(params[0].name)
    if typing.get_origin(annotation) is not Sequence:
        raise TypeError(f"{function.__qualname__}: annotate {params[0].name} as Sequence[<event types>]")
    (item,) = typing.get_args(annotation)
    members = typing.get_args(item) if typing.get_origin(item) in (Union, types.UnionType) else (item,)
    for member in members:
        concrete = isinstance(member, type) and issubclass(member, Event)
        if not (concrete and isinstance(member.model_fields["type"].default, str)):
            raise TypeError(f"{function.__qualname__}: {member!r} is not an event type")
    return tuple(members)


def _function(handler: Callable[..., Any]) -> Callable[..., Any]:
    while isinstance(handler, functools.partial):
        handler = handler.func
    unwrapped: Callable[..., Any] = inspect.unwrap(handler)
    return unwrapped


class RetryBudgetExceeded(TransientError):
    slug = "retry-budget-exceeded"


@dataclass
class BatchProcessor:
    """Processes raw record batches for one subscription. Independent of FastStream for testing."""

    service: str
    subscription: Subscription
    db: Database
    publish_raw: RawPublisher
    settings: Settings

    async def process(self, records: Sequence[RawRecord]) -> None:
        events: list[tuple[RawRecord, Event]] = []
        ignored: list[str] = []
        for record in records:
            event = await self._decode(record)
            if event is None:
                continue
            if event.type in self.subscription.types:
                events.append((record, event))
            else:
                ignored.append(event.type)
        self._count("ignored", ignored)
        if not events:
            return
        fresh = await self._unseen(events)
        self._count("duplicate", [e.type for _, e in events], minus=[e.type for _, e in fresh])
        if fresh:
            try:
                rejected = await self._handle(fresh)
            except RetryBudgetExceeded:
                self._count("failed", [e.type for _, e in fresh])
                raise
            await self._remember([e for _, e in fresh])
            self._count("ok", [e.type for _, e in fresh], minus=rejected)
            self._count("dead_lettered", rejected)

    def _count(self, outcome: str, types: list[str], minus: Sequence[str] = ()) -> None:
        """Count ``types`` (one per event), less those of ``minus``, as consumed with ``outcome``."""
        left = Counter(types)
        left.subtract(minus)
        metrics.count_outcomes(self.service, outcome, left.elements())

    async def _decode(self, record: RawRecord) -> Event | None:
        try:
            return decode(record.value or b"")
        except KinerjaError as exc:
            # The detail may quote the record's field values (a rater NIP on the inputs topic):
            # it goes to the dead-letter record, whose topic is as restricted as the source, not
            # to the log, which more people read.
            log.warning(
                "dead-lettering record %s[%s]@%s: %s",
                record.topic,
                record.partition,
                record.offset,
                exc.problem_slug,
            )
            await self._dead_letter(record, exc.problem_slug, exc.detail)
            self._count("dead_lettered", [metrics.UNDECODABLE])
            return None

    async def _unseen(self, events: list[tuple[RawRecord, Event]]) -> list[tuple[RawRecord, Event]]:
        ids = [str(e.event_id) for _, e in events]
        seen = await self._retrying(lambda: self._seen_ids(ids))
        fresh: list[tuple[RawRecord, Event]] = []
        batch_ids: set[str] = set()
        for record, event in events:
            key = str(event.event_id)
            if key in seen or key in batch_ids:
                continue
            batch_ids.add(key)
            fresh.append((record, event))
        return fresh

    async def _seen_ids(self, ids: list[str]) -> set[str]:
        cursor = self.db[INBOX].find({"_id": {"$in": ids}}, {"_id": 1})
        return {doc["_id"] async for doc in cursor}

    async def _handle(self, fresh: list[tuple[RawRecord, Event]]) -> list[str]:
        """Hand ``fresh`` to the handler; returns the types of the events it rejected (dead-lettered)."""
        try:
            await self._retrying(lambda: self.subscription.handler([e for _, e in fresh]))
            return []
        except RetryBudgetExceeded:
            raise
        except Exception as exc:
            if len(fresh) == 1:
                await self._reject(*fresh[0], exc)
                return [fresh[0][1].type]
            log.warning("batch of %d failed (%r); replaying one by one", len(fresh), exc)
        rejected: list[str] = []
        for record, event in fresh:
            try:
                await self._retrying(lambda event=event: self.subscription.handler([event]))  # type: ignore[misc]
            except RetryBudgetExceeded:
                raise
            except Exception as exc:
                await self._reject(record, event, exc)
                rejected.append(event.type)
        return rejected

    async def _reject(self, record: RawRecord, event: Event, exc: Exception) -> None:
        if isinstance(exc, KinerjaError):
            slug, reason = exc.problem_slug, exc.detail
            log.warning("event %s rejected: %s", event.event_id, reason)
        else:
            slug, reason = "handler-error", f"{type(exc).__name__}: {exc}"
            log.exception("event %s failed in the handler", event.event_id, exc_info=exc)
        await self._retrying(lambda: self._dead_letter(record, slug, reason))

    async def _dead_letter(self, record: RawRecord, slug: str, reason: str) -> None:
        await send_dead_letter(self.publish_raw, record, service=self.service, slug=slug, reason=reason)
        metrics.DEAD_LETTERS.labels(self.service, self.subscription.topic, slug).inc()

    async def _remember(self, events: list[Event]) -> None:
        now = datetime.now(UTC)
        docs = [{"_id": str(e.event_id), "type": e.type, "at": now} for e in events]

        async def insert() -> None:
            # Duplicate ids were handled by an earlier delivery.
            await insert_new(self.db[INBOX], docs)

        await self._retrying(insert)

    async def _retrying(self, op: Callable[[], Awaitable[Any]]) -> Any:
        """``op``, retried with exponential back-off and jitter (stamina) while it fails with a
        transient error, until the waits add up to ``retry_budget_s``; then
        :class:`RetryBudgetExceeded`. The budget counts the waits, not the attempts: an attempt
        against a database that is down can itself take seconds, and a budget of wall time would
        leave no retry at all."""
        budget = self.settings.retry_budget_s
        try:
            async for attempt in stamina.retry_context(
                on=TRANSIENT,
                attempts=retries_within(budget, self.settings.retry_initial_s, self.settings.retry_max_s) + 1,
                timeout=None,
                wait_initial=self.settings.retry_initial_s,
                wait_max=self.settings.retry_max_s,
                wait_jitter=self.settings.retry_initial_s,
            ):
                if attempt.num > 1:  # the one before failed for now (stamina logs why)
                    log.warning("transient failure on %s, retry %d", self.subscription.topic, attempt.num - 1)
                with attempt:
                    return await op()
        except TRANSIENT as exc:
            log.warning(
                "retry budget of %.1f s spent on %s: the batch goes back to Kafka",
                budget,
                self.subscription.topic,
            )
            raise RetryBudgetExceeded(f"gave up after a budget of {budget:.1f} s: {exc!r}") from exc
        raise AssertionError("unreachable: stamina either returns or raises")


def retries_within(budget_s: float, initial_s: float, max_s: float) -> int:
    """How many retries back off for ``budget_s`` in all: the wait before retry k is at least
    ``min(initial_s * 2 ** (k - 1), max_s)`` (stamina adds jitter on top)."""
    retries, waited = 0, 0.0
    while waited < budget_s and retries < 1000:
        waited += min(initial_s * 2**retries, max_s) or max_s or 1.0
        retries += 1
    return retries


def set_correlation(events: Sequence[Event]) -> None:
    if events:
        correlation_id.set(events[0].correlation_id)
