"""Replacement and reprocessing on the real stack: a final score supersedes the provisional
proposals of its cycle; the same score again (same bytes, or under a new event id) changes nothing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.career.app import create_app
from shared.events.base import new_event_id
from shared.events.scoring import SCORES_TOPIC, Predicate, ScoreFinalized
from shared.settings import Settings
from tests.career.scenario import (
    computed,
    cycle_opened,
    finalized,
    issued,
    output_topic,
    publish,
    score,
)

NIP = "198811202012122001"
REGION = "marelan"


def snapshot(docs: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """What a recommendation is, leaving out when it was written."""
    return {d["_id"]: (d["status"], d["revision"], d["data"], d["decision"]) for d in docs}


async def test_final_supersedes_provisional_and_a_redelivered_score_changes_nothing(
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    read_topic: Callable[..., Awaitable[list[Any]]],
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    settings = isolated_settings
    db = mongo[settings.database("career")]
    recs = db["recommendations"]
    provisional = computed(REGION, score("marelan-2024", NIP, Predicate.BAIK))
    final = finalized(REGION, score("marelan-2024", NIP, Predicate.SANGAT_BAIK))
    same_score_new_id = final.model_copy(update={"event_id": new_event_id()})
    assert isinstance(same_score_new_id, ScoreFinalized) and same_score_new_id.score == final.score
    # A later cycle's score of the same employee: same key, same partition, so handled after the
    # repeats; when its recommendation is out, the repeats have been handled too.
    sentinel = computed(REGION, score("marelan-2025", NIP, Predicate.BAIK))

    async with AsyncTestClient(create_app(settings)):
        await publish(settings, [cycle_opened(REGION, "marelan-2024", 2024), provisional])

        async def provisional_in() -> list[dict[str, Any]]:
            return [d async for d in recs.find({"final": False, "status": "proposed"})]

        [allowance] = await eventually(provisional_in)
        assert allowance["kind"] == "allowance"

        await publish(settings, [final])

        async def final_in() -> list[dict[str, Any]] | None:
            docs = [d async for d in recs.find({})]
            finals = [d for d in docs if d["final"]]
            superseded = [d for d in docs if d["status"] == "superseded"]
            return docs if len(finals) == 2 and len(superseded) == 1 else None

        before = await eventually(final_in)
        assert before is not None, "the final score did not replace the provisional proposal"
        assert {d["_id"] for d in before if d["status"] == "superseded"} == {allowance["_id"]}
        assert sorted(d["kind"] for d in before if d["final"]) == ["allowance", "reward"]

        raw = final.to_bytes()
        await publish(
            settings,
            [(SCORES_TOPIC, raw, NIP), (SCORES_TOPIC, raw, NIP), same_score_new_id, sentinel],
        )

        async def sentinel_in() -> list[dict[str, Any]] | None:
            docs = [d async for d in recs.find({})]
            return docs if any(d["cycle_id"] == "marelan-2025" for d in docs) else None

        after = await eventually(sentinel_in)
        assert after is not None
        assert snapshot([d for d in after if d["cycle_id"] == "marelan-2024"]) == snapshot(before)

    topic = output_topic(settings)

    async def out_with_sentinel() -> list[dict[str, Any]] | None:
        events = issued(await read_topic(topic, 100, timeout=1.0))
        cycles = {e["recommendation"]["cycle_id"] for e in events}
        return events if "marelan-2025" in cycles else None

    events = await eventually(out_with_sentinel)
    assert events is not None
    earlier = [e for e in events if e["recommendation"]["cycle_id"] == "marelan-2024"]
    announced = sorted((e["recommendation"]["kind"], e["recommendation"]["status"]) for e in earlier)
    # Provisional allowance proposed then superseded, final allowance and reward proposed: once each.
    assert announced == [
        ("allowance", "proposed"),
        ("allowance", "proposed"),
        ("allowance", "superseded"),
        ("reward", "proposed"),
    ]
    final_events = [e for e in earlier if e["recommendation"]["final"]]
    assert all(str(final.event_id) in e["recommendation"]["score_event_ids"] for e in final_events)
    assert all(str(same_score_new_id.event_id) not in json.dumps(e) for e in earlier)
