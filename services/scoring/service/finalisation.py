"""Closing a cycle: its final scores, with the curve checked per unit.

A close is recorded first (:meth:`FinalisationUseCases.close_cycle`); the
:mod:`~services.scoring.worker` finalises it once the inputs published before it are handled
(:meth:`FinalisationUseCases.finalize`). Final scores are published in batches straight from the
relay, then written; the cycle's ``closing`` state is the record of what is owed, and every event
id is derived from what it says, so a crash runs the finalisation again with the same ids.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from services.scoring.domain import (
    Assessment,
    CurveCheck,
    CurveEntry,
    RaterStats,
    check_curve,
    final_status,
)
from services.scoring.domain.calibration import calibration_cleared
from services.scoring.mapping import feedback_of
from services.scoring.service.common import PRODUCER, UseCases, derived_id
from services.scoring.store import FINALS, SCORING_FIELDS, Key, score_document
from shared.errors import NotFound
from shared.events.base import Event, utcnow
from shared.events.feedback import CycleClosed
from shared.events.scoring import MissingInput, ScoreFinalized, ScoreHeld
from shared.outbox import Record, record_of

log = logging.getLogger(__name__)

YIELD_EVERY = 200
"""Employees scored between two returns to the event loop while a cycle is finalised."""
FINAL_BATCH = 500
"""Final scores published, then written, at a time while a cycle is finalised."""
READ_BLOCK = 1000
"""Employees whose inputs and score states a finalisation reads at a time, in whole units: the
most ids one indexed ``$in`` holds (shared.mongo.IN_LIMIT)."""


def unit_blocks(units: Mapping[str, list[str]], size: int) -> list[list[tuple[str, list[str]]]]:
    """The units in id order, each with its members in NIP order, in blocks of at most ``size``
    members; a unit larger than ``size`` is a block of its own (its curve needs all of them)."""
    blocks: list[list[tuple[str, list[str]]]] = []
    held = size
    for unit_id in sorted(units):
        nips = sorted(units[unit_id])
        if held + len(nips) > size:
            blocks.append([])
            held = 0
        blocks[-1].append((unit_id, nips))
        held += len(nips)
    return blocks


class _Member(NamedTuple):
    """What finalisation keeps of an employee with inputs in the cycle, from the first pass to
    the second: four fields, not the employee's document."""

    unit_id: str
    team_id: str | None
    service_role: bool
    region: str

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> _Member:
        team = doc.get("team_id")
        return cls(
            sys.intern(doc["unit_id"]),
            sys.intern(team) if team else None,
            bool(doc.get("service_role")),
            sys.intern(doc["region"]),
        )

    def employee(self) -> dict[str, Any]:
        """The employee as ``mapping.to_cycle_inputs`` and the region's rubric read it."""
        return self._asdict()


class _Read(NamedTuple):
    """A block's inputs documents and stored score states, keyed by (cycle, NIP)."""

    inputs: dict[Key, dict[str, Any]]
    states: dict[Key, dict[str, Any]]


class _FinalWrite(NamedTuple):
    """A final (or held) score's document, its event record, and the stored state it replaces."""

    fields: dict[str, Any]
    record: Record
    old: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Scored:
    """What a score's stored document and event need besides the score, whose JSON a cycle's
    finalisation keeps compressed (``json_z``) between its passes."""

    cycle_id: str
    nip: str
    unit_id: str
    team_id: str | None
    revision: int
    digest: str
    predicate: str
    json_z: bytes = b""
    status: str = "final"
    missing: tuple[MissingInput, ...] = ()

    @classmethod
    def of(cls, assessed: Assessment, json_z: bytes = b"", status: str = "final") -> _Scored:
        score = assessed.score
        return cls(
            score.cycle_id,
            score.nip,
            score.unit_id,
            score.team_id,
            score.revision,
            score.inputs_digest,
            score.predicate.value,
            json_z,
            status,
            assessed.missing,
        )

    def document(self, region: str, status: str, score_json: str, **extra: Any) -> dict[str, Any]:
        """The ``finals`` document of this score (:func:`~services.scoring.store.score_document`)."""
        return score_document(
            cycle_id=self.cycle_id,
            nip=self.nip,
            region=region,
            unit_id=self.unit_id,
            team_id=self.team_id,
            status=status,
            revision=self.revision,
            digest=self.digest,
            predicate=self.predicate,
            missing=[m.value for m in self.missing],
            score_json=score_json,
            **extra,
        )


def _closing_envelope(
    cls: type[Event], kind: str, close: CycleClosed, s: _Scored, now: Any
) -> dict[str, Any]:
    """The envelope of a score event a close publishes, its id derived from what it says."""
    return {
        "event_id": derived_id(kind, s.cycle_id, s.nip, s.digest, s.revision),
        "type": cls.model_fields["type"].default,
        "schema_version": cls.VERSION,
        "occurred_at": now,
        "region": close.region,
        "correlation_id": close.correlation_id,
        "producer": PRODUCER,
        "key": s.nip,
    }


class FinalisationUseCases(UseCases):
    # ------------------------------------------------------------------ finalisation
    async def close_cycle(self, event: CycleClosed, watermarks: dict[int, int]) -> None:
        """Record the close; :meth:`finalize` runs once the inputs up to ``watermarks`` are handled.

        The close travels on another topic than the inputs, so it can overtake the last of them.
        ``watermarks`` are the inputs topic's end offsets when the close arrived: every input the
        feedback service accepted before closing was published before the close, so below them.
        """
        await self.store.set_cycle(
            event.cycle_id,
            {
                "region": event.region,
                "status": "closing",
                "unit_predicates": dict(event.unit_predicates),
                "correlation_id": event.correlation_id,
                "watermarks": {str(p): o for p, o in watermarks.items()},
            },
        )

    async def closing_cycles(self) -> list[dict[str, Any]]:
        return await self.store.cycles_with_status("closing")

    async def finalize_cycle(self, event: CycleClosed) -> int:
        """Close and finalise at once, for callers that know every input is in."""
        await self.close_cycle(event, {})
        return await self.finalize(event.cycle_id)

    async def finalize(self, cycle_id: str) -> int:
        """Final scores for every employee with inputs in the cycle, with the curve per unit.

        Two passes, because the rater statistics need every feedback before any score, and the
        cycle is never held: a cycle of 100,000 is hundreds of megabytes. The first reads only
        the NIP and the feedback of each inputs document, for the statistics, and the unit of
        each employee (:meth:`_survey`). The second takes the units a block at a time
        (:func:`unit_blocks`), since a curve needs every predicate of its unit before its events:
        it reads the block's inputs and score states by ``_id`` while the block before is scored,
        checks each unit's curve, and hands the events over to be published, then the scores to
        be written, a batch at a time while it goes on.

        The cycle stays ``closing`` until the end, so a crash runs all of it again with the same
        event ids (consumers drop the repeats); a final score is only skipped when it is already
        stored, that is, after its event was published.
        """
        cycle = await self.store.cycle(cycle_id)
        if cycle is None:
            raise NotFound(f"no cycle {cycle_id}", slug="cycle-not-found")
        close = CycleClosed.build(
            region=cycle["region"],
            correlation_id=cycle.get("correlation_id") or "close",
            producer=PRODUCER,
            key=cycle_id,
            cycle_id=cycle_id,
            unit_predicates=cycle.get("unit_predicates") or {},
        )
        clock = time.perf_counter()
        stats, members = await self._survey(cycle_id, cycle["region"])
        # Provisional statistics are rebuilt from the stored inputs should a late input come.
        self._stats.pop(cycle_id, None)
        read_s = time.perf_counter() - clock

        scored = written = 0
        batch: list[_FinalWrite] = []
        in_flight: asyncio.Task[None] | None = None

        async def hand_over(writes: list[_FinalWrite]) -> None:
            nonlocal in_flight, written
            if in_flight is not None:
                await in_flight
            in_flight = asyncio.create_task(self._publish_then_save(writes))
            written += len(writes)

        try:
            async for unit_id, unit in self._read_units(cycle_id, members, stats):
                scored += len(unit)
                org = close.unit_predicates.get(unit_id)
                # A held score is not in the curve: its predicate stands for missing input only.
                counted = [e for e, s, _ in unit if s.status == "final"]
                check = check_curve(unit_id, org, counted) if org else None
                batch += self._final_writes(close, [(s, old) for _, s, old in unit], check)
                while len(batch) >= FINAL_BATCH:
                    await hand_over(batch[:FINAL_BATCH])
                    del batch[:FINAL_BATCH]
            if batch:
                await hand_over(batch)
            if in_flight is not None:
                await in_flight
        finally:
            if in_flight is not None and not in_flight.done():
                in_flight.cancel()  # the whole finalisation runs again: nothing is half-owed
        await self.store.set_cycle(cycle_id, {"status": "closed"})
        log.info(
            "cycle %s finalised: %d final scores of %d employees; statistics and units read %.1f s,"
            " then read, scored, published and written %.1f s",
            cycle_id,
            written,
            scored,
            read_s,
            time.perf_counter() - clock - read_s,
        )
        return written

    async def _survey(self, cycle_id: str, region: str) -> tuple[RaterStats, dict[str, _Member]]:
        """Pass one: the rater statistics of every feedback of the cycle, and what scoring needs
        of each employee with inputs in it, read at once (FerretDB serves both queries together)."""
        directory = asyncio.create_task(self._region_members(region))
        try:
            stats = RaterStats()
            nips: set[str] = set()
            async for docs in self.store.cycle_feedback(cycle_id):
                for k, doc in enumerate(docs):
                    # Every version of a submission is in its ratee's document.
                    stats.observe_complete(feedback_of(doc))
                    nips.add(doc["nip"])
                    if k % YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # lets the next batch's fetch go on
            members = await directory
        finally:
            directory.cancel()
        for nip in members.keys() - nips:  # in place: a second map of the region is megabytes
            del members[nip]
        if missing := nips - members.keys():  # moved from another region
            moved = await self.store.employees(missing, SCORING_FIELDS)
            members |= {nip: _Member.of(doc) for nip, doc in moved.items()}
        for nip in sorted(nips - members.keys()):
            log.warning("no employee record for %s; not finalised", nip)
        return stats, members

    async def _region_members(self, region: str) -> dict[str, _Member]:
        return {doc["_id"]: _Member.of(doc) async for doc in self.store.region_employees(region)}

    async def _read_units(
        self, cycle_id: str, members: dict[str, _Member], stats: RaterStats
    ) -> AsyncIterator[tuple[str, list[tuple[CurveEntry, _Scored, dict[str, Any]]]]]:
        """Pass two: each unit's members scored, with their stored score states, in unit order;
        a block's inputs and states are read while the block before it is scored."""
        units: dict[str, list[str]] = defaultdict(list)
        for nip, member in members.items():
            units[member.unit_id].append(nip)
        blocks = unit_blocks(units, READ_BLOCK)
        units.clear()
        reading: asyncio.Task[_Read] | None = None
        try:
            for k, block in enumerate(blocks):
                if reading is None:
                    reading = asyncio.create_task(self._read_block(cycle_id, block))
                read = await reading
                reading = None
                if k + 1 < len(blocks):
                    reading = asyncio.create_task(self._read_block(cycle_id, blocks[k + 1]))
                for unit_id, nips in block:
                    yield unit_id, await self._score_unit(cycle_id, nips, members, stats, read)
        finally:
            if reading is not None:
                reading.cancel()

    async def _read_block(self, cycle_id: str, block: list[tuple[str, list[str]]]) -> _Read:
        keys = [(cycle_id, nip) for _, nips in block for nip in nips]
        inputs, states = await asyncio.gather(self.store.inputs(keys), self.store.score_states(keys))
        return _Read(inputs, states)

    async def _score_unit(
        self, cycle_id: str, nips: list[str], members: dict[str, _Member], stats: RaterStats, read: _Read
    ) -> list[tuple[CurveEntry, _Scored, dict[str, Any]]]:
        """Each member's final score: its curve entry, its compressed JSON (about 1 KB, where
        the Score object takes 29 KB; a unit may have thousands of members) and its stored state."""
        out: list[tuple[CurveEntry, _Scored, dict[str, Any]]] = []
        for i, nip in enumerate(nips):
            if i % YIELD_EVERY == 0:
                # A cycle of 100,000 takes a minute of CPU: let the consumer's heartbeats, the
                # relay, the reads and batches in flight and the health checks run meanwhile.
                await asyncio.sleep(0)
            doc = read.inputs.pop((cycle_id, nip), None)
            if doc is None:
                continue  # deleted since the first pass: nothing to score
            state = read.states.pop((cycle_id, nip), {})
            member = members[nip]
            assessed = self._compute(doc, member.employee(), stats, state.get("revision", 0) + 1)
            json_z = zlib.compress(assessed.score.model_dump_json().encode(), 1)
            status = final_status(assessed, accepted_incomplete=bool(state.get("accepted_incomplete")))
            out.append((CurveEntry.from_score(assessed.score), _Scored.of(assessed, json_z, status), state))
        return out

    async def _publish_then_save(self, writes: list[_FinalWrite]) -> None:
        await self.relay.publish_unstaged(
            [w.record for w in writes], [(FINALS, w.fields["_id"]) for w in writes]
        )
        fresh: list[dict[str, Any]] = []
        replacing: list[dict[str, Any]] = []
        cleared: dict[str, dict[str, Any]] = {}
        for fields, _, old in writes:
            (replacing if old.get("has_final") else fresh).append(fields)
            if old.get("calibrated_final"):
                cleared[fields["_id"]] = calibration_cleared(old["calibrated_final"], fields["predicate"])
        await self.store.save_final_scores(fresh, replacing, cleared)

    def _final_writes(
        self,
        event: CycleClosed,
        scored: list[tuple[_Scored, dict[str, Any]]],
        check: CurveCheck | None,
    ) -> list[_FinalWrite]:
        """The final documents and ScoreFinalized records of ``scored``, each with its stored
        state (:meth:`ScoringStore.score_states`). Each score's JSON goes
        into both as it is: validating it into a Score only to serialise it twice again took a
        fifth of the finalisation's CPU (test_final_scores checks the records are whole events)."""
        writes: list[_FinalWrite] = []
        now = utcnow()
        for s, old in scored:
            if old and old.get("status") == s.status and old.get("digest") == s.digest:
                continue  # a redelivered CycleClosed: this final (or held) score stands
            org = event.unit_predicates.get(s.unit_id)
            score_json = zlib.decompress(s.json_z)
            if s.status == "held":
                writes.append(_FinalWrite(*self._held_write(event, s, score_json, now, org), old))
                continue
            violations = list(check.violations) if check else []
            proposed = check.proposed.get(s.nip) if check else None
            # Without ``score``, which to_bytes_with adds as the JSON it already is.
            finalized = ScoreFinalized.model_construct(  # type: ignore[call-arg]
                **_closing_envelope(ScoreFinalized, "finalized", event, s, now),
                unit_predicate=org,
                violations=violations,
                proposed_predicate=proposed,
            )
            fields = s.document(
                event.region,
                "final",
                score_json.decode(),
                unit_predicate=org,
                violations=[v.model_dump() for v in violations],
                proposed_predicate=proposed.value if proposed else None,
            )
            record = record_of(finalized, finalized.to_bytes_with(score=score_json))
            writes.append(_FinalWrite(fields, record, old))
        return writes

    @staticmethod
    def _held_write(
        event: CycleClosed, s: _Scored, score_json: bytes, now: Any, org: str | None
    ) -> tuple[dict[str, Any], Record]:
        held = ScoreHeld.model_construct(  # type: ignore[call-arg]
            **_closing_envelope(ScoreHeld, "held", event, s, now),
            missing=list(s.missing),
            unit_predicate=org,
        )
        extra: dict[str, Any] = {"unit_predicate": org, "violations": [], "proposed_predicate": None}
        fields = s.document(event.region, "held", score_json.decode(), **extra)
        return fields, record_of(held, held.to_bytes_with(score=score_json))
