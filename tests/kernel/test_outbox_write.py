"""The one outbox write call (shared.outbox.Outbox), as pure logic: the writes here are fakes that
record what they were given. On the real database and relay: tests/kernel/test_outbox_relay.py."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from shared.events.feedback import ProgressReported, Realisation
from shared.outbox import OUTBOX_FIELD, PENDING, PENDING_FIELD, Outbox, Staged


def report(nip: str) -> ProgressReported:
    built: ProgressReported = ProgressReported.build(
        region="siulak",
        correlation_id="write",
        producer="writer",
        key=nip,
        cycle_id="c1",
        nip=nip,
        realisations=[Realisation(indicator_id="i1", value=1)],
    )
    return built


@pytest.fixture
def serialised(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each event was serialised (a spy on ``model_dump_json``), by event id."""
    counts: Counter[str] = Counter()
    original = ProgressReported.model_dump_json

    def spy(self: ProgressReported, *args: Any, **kwargs: Any) -> str:
        counts[str(self.event_id)] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ProgressReported, "model_dump_json", spy)
    return counts


async def test_a_write_serialises_each_event_once_and_nudges_with_what_it_staged(
    serialised: Counter[str],
) -> None:
    nudged: list[Staged] = []
    outbox = Outbox(nudge=nudged.append)
    events = [report("198503122010011001"), report("198503122010011002")]
    written: dict[str, Any] = {}

    async def write(staged: Staged) -> bool:
        written.update(staged.set_fields)
        return True

    assert await outbox.write("reports", "d1", events, write)

    ids = [str(e.event_id) for e in events]
    assert serialised == dict.fromkeys(ids, 1)
    assert written.keys() == {f"{OUTBOX_FIELD}.{i}" for i in ids} | {PENDING_FIELD}
    (one,) = nudged
    assert (one.collection, one.doc_id, list(one.entries)) == ("reports", "d1", ids)
    # The relay holds the very entries the document got, not a second rendering of the events.
    assert all(written[f"{OUTBOX_FIELD}.{i}"] is one.entries[i] for i in ids)


async def test_an_insert_stages_the_outbox_as_a_field(serialised: Counter[str]) -> None:
    nudged: list[Staged] = []
    event = report("198503122010011001")
    inserted: dict[str, Any] = {}

    async def write(staged: Staged) -> bool:
        inserted.update({"_id": "d1", **staged.insert_fields})
        return True

    assert await Outbox(nudge=nudged.append).write("reports", "d1", [event], write)
    assert inserted == {"_id": "d1", OUTBOX_FIELD: nudged[0].entries, PENDING_FIELD: PENDING}
    assert serialised == {str(event.event_id): 1}


async def test_a_bulk_write_serialises_once_and_nudges_only_the_documents_it_wrote(
    serialised: Counter[str],
) -> None:
    nudged: list[Staged] = []
    events = {f"d{i}": report(f"19850312201001100{i}") for i in range(3)}
    given: list[Staged] = []

    async def write(staged: list[Staged]) -> set[int]:
        given.extend(staged)
        return {1}  # d1 was taken by someone else

    missed = await Outbox(nudge=nudged.append).write_many(
        [("reports", doc_id, [event]) for doc_id, event in events.items()], write
    )
    assert missed == {1}
    assert [s.doc_id for s in nudged] == ["d0", "d2"]
    assert nudged == [given[0], given[2]] and all(a is b for a, b in zip(nudged, given[::2], strict=True))
    assert serialised == {str(e.event_id): 1 for e in events.values()}


async def test_a_write_that_does_not_take_nudges_nothing() -> None:
    nudged: list[Staged] = []
    outbox = Outbox(nudge=nudged.append)
    event = report("198503122010011001")

    async def missed(staged: Staged) -> bool:
        return False  # no document at the revision read

    async def failing(staged: Staged) -> bool:
        raise ConnectionError("database unreachable")

    assert not await outbox.write("reports", "d1", [event], missed)
    with pytest.raises(ConnectionError):
        await outbox.write("reports", "d1", [event], failing)

    async def all_missed(staged: list[Staged]) -> set[int]:
        return {0}

    async def all_failing(staged: list[Staged]) -> set[int]:
        raise ConnectionError("database unreachable")

    assert await outbox.write_many([("reports", "d1", [event])], all_missed) == {0}
    with pytest.raises(ConnectionError):
        await outbox.write_many([("reports", "d1", [event])], all_failing)
    assert nudged == []


async def test_a_write_without_events_stages_nothing() -> None:
    nudged: list[Staged] = []

    async def write(staged: Staged) -> bool:
        assert staged.set_fields == {} and staged.insert_fields == {}
        return True

    assert await Outbox(nudge=nudged.append).write("reports", "d1", [], write)
    assert [s.entries for s in nudged] == [{}]  # the relay's own nudge queues nothing for it


async def test_the_write_holds_the_document_s_lock_shared_with_the_relay() -> None:
    """The relay's ``$unset`` of published entries takes the same lock (FerretDB v1 can lose one of
    two concurrent updates of a document), so it waits for the write to end."""
    outbox = Outbox()
    order: list[str] = []
    marking: list[asyncio.Task[None]] = []

    async def relay_marks() -> None:
        async with outbox.locks.hold("reports", "d1"):
            order.append("relay")

    async def write(staged: Staged) -> bool:
        marking.append(asyncio.create_task(relay_marks()))
        for _ in range(5):
            await asyncio.sleep(0)
        order.append("write")
        return True

    await outbox.write("reports", "d1", [report("198503122010011001")], write)
    await marking[0]
    assert order == ["write", "relay"]
