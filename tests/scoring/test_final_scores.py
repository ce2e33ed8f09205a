"""Final scores live beside the provisional ones (``finals``); reads take the later revision.

On the real database: a close inserts final documents and leaves the provisional ones; a cycle
reopened for corrections rescores above the final revision and reads show that; a second close
replaces the final document; a final score kept in ``scores`` by an earlier version is still read
and calibrated where it is.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from services.scoring.domain.calibration import calibrations_for
from services.scoring.mapping import to_feedback
from services.scoring.service import ScoringService
from services.scoring.store import FINALS, SCORES, ScoringStore, doc_id, latest
from shared.auth import Principal, Role
from shared.errors import Conflict, ValidationFailed
from shared.events.feedback import FeedbackSubmitted, Source
from shared.events.scoring import Predicate, Score, ScoreFinalized
from shared.outbox import OutboxRelay
from shared.plugins.manager import build_registry
from shared.settings import Settings
from tools.workload import UNIT_SIZE, cycle_id, unit_of
from tools.workload import nip as workload_nip
from tools.workload.stored import closing, provisional_scores, stored_inputs

EMPLOYEES = 100  # two units of the workload; the second breaks its curve


def test_the_later_revision_wins_and_a_final_wins_a_tie() -> None:
    docs = [
        {"_id": "a", "revision": 2, "status": "provisional"},
        {"_id": "b", "revision": 3, "status": "provisional"},
        {"_id": "a", "revision": 2, "status": "final"},
        {"_id": "b", "revision": 2, "status": "final"},
    ]
    assert {k: d["status"] for k, d in latest(docs).items()} == {"a": "final", "b": "provisional"}


HR = Principal("pejabat-penilai", Role.HR_ADMIN, "marelan")
"""HR of the workload's region, deciding for the appraising official."""


@pytest.fixture
async def db(isolated_settings: Settings, mongo: AsyncIOMotorClient[dict[str, Any]]) -> AsyncIterator[Any]:
    name = f"{isolated_settings.db_prefix}_finals"
    database = mongo[name]
    for chunk in stored_inputs(EMPLOYEES):
        await database["employees"].insert_many([c["employee"] for c in chunk])
        await database["inputs"].insert_many([c["inputs"] for c in chunk])
    for docs in provisional_scores(EMPLOYEES):
        await database[SCORES].insert_many(docs)
    await database["cycles"].insert_one({"_id": cycle_id("marelan"), "region": "marelan", "status": "open"})
    try:
        yield database
    finally:
        await mongo.drop_database(name)


class Published(list[bytes]):
    """The values of the records a service published, in order."""

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(value) for value in self]


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
def service(db: Any, isolated_settings: Settings, published: Published) -> ScoringService:
    async def publish(records: list[tuple[str, bytes, bytes, dict[str, str]]]) -> None:
        published.extend(value for _, value, _, _ in records)

    return ScoringService(ScoringStore(db), OutboxRelay(db, publish, isolated_settings), build_registry())


async def test_a_close_inserts_finals_above_the_provisional_revision(
    db: Any, service: ScoringService, published: Published
) -> None:
    cid = cycle_id("marelan")

    assert await service.finalize_cycle(closing(EMPLOYEES)) == EMPLOYEES

    assert await db[SCORES].count_documents({"status": "provisional", "revision": 1}) == EMPLOYEES
    finals = [doc async for doc in db[FINALS].find({})]
    assert len(finals) == EMPLOYEES and {(d["status"], d["revision"]) for d in finals} == {("final", 2)}
    assert [e["score"]["revision"] for e in published.events()] == [2] * EMPLOYEES
    some = finals[0]["nip"]
    current = await service.store.score(cid, some)
    assert current is not None and (current["status"], current["_in"]) == ("final", FINALS)
    unit = await service.store.cycle_scores(cid, finals[0]["unit_id"])
    assert unit and {d["status"] for d in unit} == {"final"}
    assert [d["status"] for d in await service.store.employee_scores(some)] == ["final"]


async def test_a_reopened_cycle_scores_above_the_final_and_the_next_close_replaces_it(
    db: Any, service: ScoringService, published: Published
) -> None:
    cid = cycle_id("marelan")
    await service.finalize_cycle(closing(EMPLOYEES))
    nip = (await db[FINALS].find_one({}))["nip"]
    key = doc_id(cid, nip)
    # What a correction after reopening leaves: a provisional score above the final revision.
    await db[SCORES].update_one({"_id": key}, {"$set": {"revision": 3, "digest": "corrected"}})

    current = await service.store.score(cid, nip)
    assert current is not None and (current["status"], current["revision"]) == ("provisional", 3)

    published.clear()
    await db["cycles"].update_one({"_id": cid}, {"$set": {"status": "closing"}})
    assert await service.finalize(cid) == 1  # only the corrected one is new

    assert [(e["score"]["nip"], e["score"]["revision"]) for e in published.events()] == [(nip, 4)]
    assert await db[FINALS].count_documents({}) == EMPLOYEES
    replaced = await db[FINALS].find_one({"_id": key})
    assert replaced is not None and replaced["revision"] == 4
    current = await service.store.score(cid, nip)
    assert current is not None and (current["status"], current["revision"]) == ("final", 4)


async def test_a_final_score_kept_in_scores_by_an_earlier_version_is_read_and_calibrated_in_place(
    db: Any, service: ScoringService
) -> None:
    cid = cycle_id("marelan")
    old = await db[SCORES].find_one({})
    await db[SCORES].update_one({"_id": old["_id"]}, {"$set": {"status": "final", "revision": 2}})

    doc = await service.store.score(cid, old["nip"])
    assert doc is not None and (doc["status"], doc["_in"]) == ("final", SCORES)
    event = await service.calibrate(
        HR,
        cid,
        old["nip"],
        decision="confirmed",
        predicate=None,
        reason="Sesuai kinerja",
    )

    stored = await db[SCORES].find_one({"_id": old["_id"]})
    assert (
        stored is not None and stored["calibrations"] == 1 and stored["audit"][0]["by"] == "pejabat-penilai"
    )
    assert str(event.event_id) in stored["_outbox"]
    assert await db[FINALS].count_documents({}) == 0


async def test_final_documents_another_finaliser_wrote_first_are_left_as_they_are(db: Any) -> None:
    store = ScoringStore(db)
    doc = {"_id": "c|1", "cycle_id": "c", "nip": "1", "status": "final", "revision": 2, "digest": "d"}
    other = {**doc, "_id": "c|2", "nip": "2"}
    await store.save_final_scores([doc], [])

    await store.save_final_scores([dict(doc), other], [])  # a second instance, or a rerun

    assert await db[FINALS].count_documents({}) == 2


async def test_a_final_record_is_the_whole_event_and_carries_the_stored_score(
    db: Any, service: ScoringService, published: Published
) -> None:
    """Finalisation writes each score's JSON into its record without parsing it again: the
    record must still be exactly the ScoreFinalized event that building it would give."""
    await service.finalize_cycle(closing(EMPLOYEES))
    values = list(published)

    assert len(values) == EMPLOYEES
    for value in values:
        event = ScoreFinalized.model_validate_json(value)
        doc = await db[FINALS].find_one({"nip": event.score.nip})
        assert doc is not None and event.score == Score.model_validate_json(doc["score"])
        built = ScoreFinalized.build(
            event_id=event.event_id,
            occurred_at=event.occurred_at,
            region="marelan",
            correlation_id=event.correlation_id,
            producer="scoring",
            key=event.score.nip,
            score=Score.model_validate_json(doc["score"]),
            unit_predicate=doc["unit_predicate"],
            violations=doc["violations"],
            proposed_predicate=doc["proposed_predicate"],
        )
        assert json.loads(value) == json.loads(built.to_bytes())
    # Not vacuous: the workload's unit breaks its curve, so the curve fields are filled in.
    assert any(json.loads(v)["violations"] for v in values)


async def test_an_input_that_arrives_after_the_close_makes_a_new_final_revision(
    db: Any, service: ScoringService
) -> None:
    """Nothing that reaches scoring after the close is dropped: the feedback service can accept a
    submission a moment after another replica closed the cycle (its reference cache, docs/feedback.md),
    and Kafka can deliver one late. The employee's final score is rescored as a new final revision
    and its ScoreFinalized staged with it."""
    cid = cycle_id("marelan")
    await service.finalize_cycle(closing(EMPLOYEES))
    final = await db[FINALS].find_one({})
    nip, key = final["nip"], final["_id"]
    late = _late(cid, nip, "self", nip, rating=1)

    await service.record_inputs([late])

    rescored = await db[FINALS].find_one({"_id": key})
    assert rescored is not None
    assert (rescored["status"], rescored["revision"]) == ("final", final["revision"] + 1)
    assert rescored["digest"] != final["digest"]
    staged = [json.loads(entry["value"]) for entry in rescored["_outbox"].values()]
    assert [(e["type"], e["score"]["revision"]) for e in staged] == [
        ("scoring.score_finalized", final["revision"] + 1)
    ]


def _late(cid: str, nip: str, source: str, rater: str, *, rating: int) -> FeedbackSubmitted:
    """A submission that reaches scoring after the close, every criterion rated ``rating``."""
    event: FeedbackSubmitted = FeedbackSubmitted.build(
        region="marelan",
        correlation_id="late",
        producer="feedback",
        key=nip,
        cycle_id=cid,
        submission_id=f"late-{source}-{rating}",
        source=source,
        ratee_nip=nip,
        rater_nip=rater,
        rubric_id="marelan",
        ratings=dict.fromkeys(("pencapaian_target", "kontribusi_tim", "perilaku_profesional"), rating),
    )
    return event


async def _finalised_and_overridden(db: Any, service: ScoringService) -> tuple[dict[str, Any], str]:
    """Finalise the workload's cycle and have the supervisor override one final predicate:
    that final document as it was, and the predicate chosen."""
    await service.finalize_cycle(closing(EMPLOYEES))
    # A member with a supervisor: the head of a unit has none.
    finals = [d async for d in db[FINALS].find({}).sort("nip", 1).limit(2)]
    employees = [await service.store.employee(d["nip"]) for d in finals]
    final, employee = next(
        (f, e) for f, e in zip(finals, employees, strict=True) if e and e["supervisor_nip"]
    )
    # Away from the computed predicate, upwards where there is room: a late low rating then moves
    # the computed predicate further from it.
    other = "sangat_baik" if final["predicate"] != "sangat_baik" else "butuh_perbaikan"
    official = Principal("pejabat-penilai", Role.SUPERVISOR, "marelan", nip=employee["supervisor_nip"])
    await service.calibrate(
        official,
        cycle_id("marelan"),
        final["nip"],
        decision="overridden",
        predicate=Predicate(other),
        reason="Inovasi layanan",
    )
    return final, other


async def test_a_reclose_from_changed_inputs_clears_the_calibration_and_says_so(
    db: Any, service: ScoringService
) -> None:
    cid = cycle_id("marelan")
    final, other = await _finalised_and_overridden(db, service)
    nip, computed = final["nip"], final["predicate"]
    # Reopened, corrected, closed again: the new final score comes from other inputs.
    await db[SCORES].update_one({"_id": doc_id(cid, nip)}, {"$set": {"revision": 5, "digest": "corrected"}})
    await db["cycles"].update_one({"_id": cid}, {"$set": {"status": "closing"}})
    assert await service.finalize(cid) == 1

    doc = await service.store.score(cid, nip)
    assert doc is not None and doc["status"] == "final"
    # The score, the flag and the audit agree: the computed predicate, not calibrated, and why.
    assert (doc["predicate"], doc["calibrated"]) == (computed, False)
    assert [(a["decision"], a["from"], a["to"]) for a in doc["audit"]] == [
        ("overridden", computed, other),
        ("cleared", other, computed),
    ]
    shown = calibrations_for(doc, full=False)
    assert shown[0]["official_role"] == "appraising official (supervisor)" and "by" not in shown[0]
    assert shown[1]["reason"].startswith("the score was finalised again from changed inputs")
    assert calibrations_for(doc, full=True)[0]["by"] == "pejabat-penilai"


async def test_a_late_input_that_changes_a_calibrated_final_score_clears_the_calibration(
    db: Any, service: ScoringService
) -> None:
    """As at a second close: the score, the flag and the audit agree on the computed predicate."""
    cid = cycle_id("marelan")
    final, other = await _finalised_and_overridden(db, service)
    nip = final["nip"]
    late = _late(cid, nip, "self", nip, rating=2)

    await service.record_inputs([late])

    doc = await service.store.score(cid, nip)
    assert doc is not None and doc["revision"] == final["revision"] + 1
    assert doc["calibrated"] is False and doc["predicate"] != other
    assert [a["decision"] for a in doc["audit"]] == ["overridden", "cleared"]
    assert doc["audit"][1]["from"] == other and doc["audit"][1]["to"] == doc["predicate"]


async def test_the_unit_distribution_reflects_calibrations(db: Any, service: ScoringService) -> None:
    cid = cycle_id("marelan")
    await service.finalize_cycle(closing(EMPLOYEES))
    units = sorted({d["unit_id"] async for d in db[FINALS].find({}, {"unit_id": 1})})
    broken = None
    for unit in units:
        _, now = await service.unit_distribution(cid, unit)
        if now["violations"]:
            broken, before = unit, now
    assert broken is not None, "the workload's second unit breaks its curve"
    assert before["proposed"], before
    # What the unit predicate allows, rule by rule, with the rule that breaks marked.
    assert before["allowed"] and all(r["rule"] and r["kind"] for r in before["allowed"])
    broken_rules = [r["rule"] for r in before["allowed"] if not r["holds"]]
    assert broken_rules and all(
        any(v["rule"].startswith(r) for r in broken_rules) for v in before["violations"]
    )
    for nip, proposed in before["proposed"].items():
        await service.calibrate(
            HR,
            cid,
            nip,
            decision="overridden",
            predicate=Predicate(proposed),
            reason="Menyesuaikan kurva distribusi",
        )
    _, after = await service.unit_distribution(cid, broken)
    assert after["violations"] == [] and after["proposed"] == {}, after
    assert after["calibrated"] == sorted(before["proposed"])
    assert all(r["holds"] for r in after["allowed"])


async def _without_supervisor_assessment(db: Any, cid: str, nip: str) -> None:
    key = doc_id(cid, nip)
    doc = await db["inputs"].find_one({"_id": key})
    gone = [k for k, v in doc["feedback"].items() if to_feedback(v).source is Source.SUPERVISOR]
    assert gone, "the workload gives every employee a supervisor assessment"
    await db["inputs"].update_one({"_id": key}, {"$unset": {f"feedback.{k}": "" for k in gone}})


async def test_a_score_without_the_supervisor_assessment_is_held_out_of_the_curve_until_hr_finalises_it(
    db: Any, service: ScoringService, published: Published
) -> None:
    """Issue 16, item 9: a missing assessment is not misconduct. The close holds the score
    (``scoring.score_held``), keeps it out of the unit's curve and refuses to calibrate it; HR
    finalises it explicitly with a reason, and a second close leaves that decision standing."""
    cid = cycle_id("marelan")
    nip = workload_nip(0, UNIT_SIZE + 7)  # a member of the unit that breaks its curve
    await _without_supervisor_assessment(db, cid, nip)

    await service.finalize_cycle(closing(EMPLOYEES))

    events = published.events()
    held = [e for e in events if e["type"] == "scoring.score_held"]
    assert [(e["score"]["nip"], e["missing"]) for e in held] == [(nip, ["supervisor_assessment"])]
    finals = [e for e in events if e["type"] == "scoring.score_finalized"]
    assert len(finals) == EMPLOYEES - 1 and nip not in {e["score"]["nip"] for e in finals}
    unit_events = [e for e in finals if e["score"]["unit_id"] == unit_of(UNIT_SIZE)]
    stored = await service.store.score(cid, nip)
    assert stored is not None and (stored["status"], stored["_in"]) == ("held", FINALS)
    unit = await service.store.cycle_scores(cid, unit_of(UNIT_SIZE))
    _, now = await service.unit_distribution(cid, unit_of(UNIT_SIZE))
    assert now["held"] == [nip] and sum(now["predicates"].values()) == len(unit) - 1
    # The curve as checked at the close is the curve of the unit's other members.
    assert now["violations"] == unit_events[0]["violations"] and now["violations"]
    with pytest.raises(Conflict, match="final"):
        await service.calibrate(HR, cid, nip, decision="confirmed", predicate=None, reason="x")

    with pytest.raises(ValidationFailed, match="reason"):
        await service.finalise_held(HR, cid, nip, reason=" ")
    published.clear()
    event, missing = await service.finalise_held(
        HR, cid, nip, reason="Atasan berhalangan tetap; dinilai dari capaian"
    )
    assert missing == ["supervisor_assessment"]
    assert event.score.nip == nip and event.unit_predicate == unit_events[0]["unit_predicate"]
    done = await service.store.score(cid, nip)
    assert done is not None and (done["status"], done["accepted_incomplete"]) == ("final", True)
    assert [a["decision"] for a in done["audit"]] == ["finalised_incomplete"]
    assert done["audit"][0]["missing"] == ["supervisor_assessment"]
    with pytest.raises(Conflict, match="held"):
        await service.finalise_held(HR, cid, nip, reason="again")
    await service.calibrate(HR, cid, nip, decision="confirmed", predicate=None, reason="Sesuai")

    # A second close of the same inputs: HR's decision stands, nothing new for this employee.
    published.clear()
    await db["cycles"].update_one({"_id": cid}, {"$set": {"status": "closing"}})
    await service.finalize(cid)
    assert nip not in {e["score"]["nip"] for e in published.events()}


async def test_a_held_score_becomes_final_when_the_assessment_arrives(
    db: Any, service: ScoringService, published: Published
) -> None:
    cid = cycle_id("marelan")
    nip = workload_nip(0, 3)
    await _without_supervisor_assessment(db, cid, nip)
    await service.finalize_cycle(closing(EMPLOYEES))
    held = await service.store.score(cid, nip)
    assert held is not None and held["status"] == "held"

    assessment = _late(cid, nip, "supervisor", workload_nip(0, 0), rating=4)
    await service.record_inputs([assessment])

    final = await db[FINALS].find_one({"_id": doc_id(cid, nip)})
    assert final is not None and (final["status"], final["revision"]) == ("final", held["revision"] + 1)
    staged = [json.loads(entry["value"]) for entry in final["_outbox"].values()]
    assert [e["type"] for e in staged] == ["scoring.score_finalized"] and final["missing"] == []
