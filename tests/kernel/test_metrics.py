"""The consumer counts each event once, with the outcome it really had (docs/operations.md).

The batch processor runs on the real database (its inbox) with records built here and a dead-letter
publisher that keeps what it is given; the counters are read from prometheus-client's registry
before and after, since earlier tests of the session count under the same labels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pytest
from prometheus_client import REGISTRY

from shared.consumer import BatchHandler, BatchProcessor, RetryBudgetExceeded, Subscription, retries_within
from shared.errors import TransientError
from shared.events.feedback import INPUTS_TOPIC, Employee, EmployeeUpserted, ProgressReported, Realisation
from shared.mongo import Database, connect
from shared.settings import Settings

SERVICE = "ledger"  # a database name the session's clean-up drops
TYPE = "feedback.progress_reported"


@dataclass
class Record:
    value: bytes | None
    offset: int
    topic: str = INPUTS_TOPIC
    partition: int = 0
    key: bytes | None = None
    headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...] = ()


def progress(nip: str) -> ProgressReported:
    event: ProgressReported = ProgressReported.build(
        region="marelan",
        correlation_id="test",
        producer="test",
        key=nip,
        cycle_id="c1",
        nip=nip,
        realisations=[Realisation(indicator_id="i1", value=1.0)],
    )
    return event


def consumed(outcome: str, event_type: str = TYPE) -> float:
    labels = {"service": SERVICE, "event_type": event_type, "outcome": outcome}
    return REGISTRY.get_sample_value("kinerja_events_consumed_total", labels) or 0.0


def dead_letters(reason: str) -> float:
    labels = {"service": SERVICE, "topic": INPUTS_TOPIC, "reason": reason}
    return REGISTRY.get_sample_value("kinerja_dead_letters_total", labels) or 0.0


@pytest.fixture
async def db(isolated_settings: Settings) -> AsyncIterator[Database]:
    client, database = connect(isolated_settings, SERVICE)
    yield database
    client.close()


def processor(settings: Settings, db: Database, handler: BatchHandler, sent: list[str]) -> BatchProcessor:
    async def publish_raw(topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]) -> None:
        sent.append(headers["dlq.problem"])

    subscription = Subscription(INPUTS_TOPIC, handler)
    return BatchProcessor(SERVICE, subscription, db, publish_raw, settings)


async def test_a_batch_counts_ok_duplicate_ignored_and_dead_lettered_per_event(
    isolated_settings: Settings, db: Database
) -> None:
    good, bad = progress("198503122010011002"), progress("198604152011012003")
    # A type the subscription does not take (the processor looks at types, not topics).
    elsewhere = EmployeeUpserted.build(
        region="marelan",
        correlation_id="test",
        producer="test",
        key=good.nip,
        employee=Employee(nip=good.nip, name="Pegawai", position="Staf", unit_id="u", employment_type="PNS"),
    )
    sent: list[str] = []

    async def handler(events: Sequence[ProgressReported]) -> None:
        if any(e.event_id == bad.event_id for e in events):
            raise ValueError("a bug in the handler")

    before = {o: consumed(o) for o in ("ok", "duplicate", "dead_lettered")}
    before_ignored, before_letters = consumed("ignored", elsewhere.type), dead_letters("handler-error")
    records = [
        Record(good.to_bytes(), 0),
        Record(good.to_bytes(), 1),
        Record(bad.to_bytes(), 2),
        Record(elsewhere.to_bytes(), 3),
    ]
    await processor(isolated_settings, db, handler, sent).process(records)

    assert sent == ["handler-error"]
    assert consumed("ok") - before["ok"] == 1
    assert consumed("duplicate") - before["duplicate"] == 1
    assert consumed("dead_lettered") - before["dead_lettered"] == 1
    assert dead_letters("handler-error") - before_letters == 1
    assert consumed("ignored", elsewhere.type) - before_ignored == 1

    # Delivered again: every event is now a duplicate, nothing is handled or dead-lettered twice.
    await processor(isolated_settings, db, handler, sent).process(records[:3])
    assert consumed("duplicate") - before["duplicate"] == 1 + 3
    assert consumed("ok") - before["ok"] == 1
    assert sent == ["handler-error"]


async def test_a_batch_given_up_past_the_retry_budget_counts_as_failed(
    isolated_settings: Settings, db: Database
) -> None:
    settings = isolated_settings.model_copy(update={"retry_budget_s": 0.0})
    events = [progress("198705202012011004"), progress("198806252013012005")]

    async def down(_: Sequence[ProgressReported]) -> None:
        raise TransientError("the database is down")

    before_failed, before_ok = consumed("failed"), consumed("ok")
    with pytest.raises(RetryBudgetExceeded):
        await processor(settings, db, down, []).process(
            [Record(e.to_bytes(), i) for i, e in enumerate(events)]
        )
    assert consumed("failed") - before_failed == 2
    assert consumed("ok") == before_ok


async def test_a_transient_failure_is_retried_and_the_batch_then_goes_through(
    isolated_settings: Settings, db: Database
) -> None:
    """A database or broker hiccup is waited out with back-off, within the retry budget: the
    events are handled once and nothing is dead-lettered."""
    settings = isolated_settings.model_copy(update={"retry_initial_s": 0.01, "retry_max_s": 0.05})
    events = [progress("198001012005011002")]
    calls: list[int] = []

    async def flaky(batch: Sequence[ProgressReported]) -> None:
        calls.append(len(batch))
        if len(calls) < 3:
            raise TransientError("the database is restarting")

    sent: list[str] = []
    before_ok = consumed("ok")
    await processor(settings, db, flaky, sent).process(
        [Record(e.to_bytes(), i) for i, e in enumerate(events)]
    )
    assert calls == [1, 1, 1] and sent == []
    assert consumed("ok") - before_ok == 1


def test_the_retry_budget_counts_the_waits() -> None:
    """Retries until the back-off waits add up to the budget, however long each attempt takes:
    0.1 + 0.2 + 0.4 + 0.8 s reach a budget of 1 s; none for a budget of nothing."""
    assert retries_within(1.0, 0.1, 1.0) == 4
    assert retries_within(3.0, 0.1, 1.0) == 6  # 0.1 + 0.2 + 0.4 + 0.8 + 1 + 1
    assert retries_within(0.0, 0.1, 1.0) == 0
