"""One scenario's pipeline: scoring, career and notify as processes over the private stack.

The stream of inputs goes to scoring, whose provisional score events go to career and notify;
then each region's cycle is closed, scoring finalises, and the final scores (and the final
recommendations career derives from them) become inbox messages in notify.

:meth:`Pipeline.verify` counts and compares what the services stored with what was sent and
published, and returns the problems it found (none when every effect is there exactly once).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from services.career.app import plugin_manager
from services.career.service import CareerService, event_id_for
from services.career.store import CareerStore
from services.scoring.domain import RaterStats, compute_score
from services.scoring.mapping import feedback_of, to_cycle_inputs
from services.scoring.store import ScoringStore
from shared.events.base import Event
from shared.events.career import RECOMMENDATIONS_TOPIC
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, INPUTS_TOPIC
from shared.events.registry import DLQ_SUFFIX
from shared.events.scoring import SCORES_TOPIC
from shared.outbox import Outbox
from shared.plugins.manager import build_registry
from shared.settings import Settings
from tests.faults.harness import (
    PARTITIONS,
    Offsets,
    PrivateStack,
    Produced,
    ServiceProcess,
    create_topics,
    free_port,
    produce,
    read_all,
    say,
    wait_for,
)
from tools.services import CONSUMERS
from tools.workload import POISON_KINDS, REGIONS, Cycle, Record, cycle_id, nip, with_poison

COMPUTED, FINALIZED = "scoring.score_computed", "scoring.score_finalized"
ISSUED = "career.recommendation_issued"
#: What each service consumes, as the settle check waits for it.
CONSUMES = {
    "scoring": (INPUTS_TOPIC, EMPLOYEES_TOPIC, CYCLES_TOPIC),
    "career": (SCORES_TOPIC, EMPLOYEES_TOPIC, CYCLES_TOPIC),
    "notify": (SCORES_TOPIC, RECOMMENDATIONS_TOPIC, EMPLOYEES_TOPIC, CYCLES_TOPIC),
}
#: The collection whose outbox each service's relay publishes (and the settle check waits for).
OUTBOXES = {"scoring": "scores", "career": "recommendations", "notify": "deliveries"}
#: The dead-letter reason slug each kind of poison must carry.
EXPECTED_PROBLEM = {
    "not-json": "undecodable",
    "not-an-event": "undecodable",
    "unknown-type": "unknown-event-type",
    "future-version": "unsupported-version",
    "invalid-event": "invalid-event",
}
assert set(EXPECTED_PROBLEM) == set(POISON_KINDS)

Hurt = Callable[["Pipeline", int, int], Awaitable[None]]


@dataclass(frozen=True)
class Stream:
    """What a scenario sends, drawn once from a generated cycle (:mod:`tools.workload`): the
    directory, the valid input events with poison records among them, and the closes.

    Each employee gets ``per_employee`` inputs: after the plan, achievement reports and feedback
    resubmitted in rising versions, so that a large stream does not need thousands of employees.
    That keeps the work downstream of scoring (career and notify, whose queries on FerretDB scan
    their collections) within the time a test has, while scoring still stores every one of the
    events. One poison record follows every 100 valid ones.
    """

    directory: list[Event]
    events: list[Event]
    records: list[Record]
    closes: list[Event]
    employees: list[tuple[str, str]]
    """(region, NIP) of each employee."""

    @classmethod
    def of(cls, valid: int, per_employee: int) -> Stream:
        cycle = Cycle(
            -(-valid // per_employee), unit_size=10, per_employee=per_employee, seed=11, correlation="faults"
        )
        directory, events = cycle.directory(), cycle.inputs()[:valid]
        employees = [(region, nip(r, i)) for r, region, i in cycle.people()]
        return cls(directory, events, with_poison(events, per_mille=10), cycle.closes(), employees)


@dataclass
class Report:
    """The counts a scenario ends with (printed by the tests, compared by :meth:`Pipeline.verify`)."""

    valid_sent: int = 0
    poison_sent: int = 0
    produced: Produced | None = None
    inputs_stored: int = 0
    score_records: int = 0
    computed: int = 0
    finalized: int = 0
    career_handled: int = 0
    recommendation_events: int = 0
    notify_handled: int = 0
    notify_deliveries: int = 0
    dlq_records: int = 0
    dlq_distinct: int = 0
    restarts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        p = self.produced
        sent = f"{p.acknowledged} acknowledged, {p.resent} resent" if p else "?"
        return (
            f"valid {self.valid_sent} + poison {self.poison_sent} sent ({sent}); scoring stored "
            f"{self.inputs_stored} inputs and published {self.computed} provisional + {self.finalized} final "
            f"distinct score events in {self.score_records} records; career handled {self.career_handled} "
            f"and published {self.recommendation_events} recommendation events; notify handled "
            f"{self.notify_handled} score events and planned {self.notify_deliveries} deliveries for them; "
            f"dead letters: {self.dlq_distinct} distinct in {self.dlq_records} records; "
            f"restarts {self.restarts or 'none'}"
        )


@dataclass
class Pipeline:
    stack: PrivateStack
    stream: Stream
    logs: Path
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    settings: Settings = field(init=False)
    services: dict[str, ServiceProcess] = field(init=False)
    _client: AsyncIOMotorClient[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.settings = Settings(
            kafka_bootstrap=self.stack.bootstrap,
            mongo_url=self.stack.mongo_url,
            db_prefix=f"faults{self.tag}",
            topic_prefix=f"faults{self.tag}.",
            retry_initial_s=0.1,
            retry_max_s=1.0,
            # Short, so that an outage outlasts it: the batch goes back to Kafka and is redelivered.
            retry_budget_s=1.0,
            outbox_sweep_s=0.5,
            log_level="WARNING",
        )
        # The generated people have no e-mail address, so nothing is mailed; a closed port if it were.
        notify = {"KINERJA_SMTP_PORT": str(free_port())}
        self.services = {
            name: ServiceProcess(
                name, self.settings, self.logs / self.tag, notify if name == "notify" else {}
            )
            for name in CONSUMERS
        }
        self.offsets = Offsets(self.settings)

    @property
    def mongo(self) -> AsyncIOMotorClient[dict[str, Any]]:
        if self._client is None:
            self._client = AsyncIOMotorClient(
                self.settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000
            )
        return self._client

    def db(self, service: str) -> Any:
        return self.mongo[self.settings.database(service)]

    def alive(self) -> None:
        for service in self.services.values():
            service.check_alive()

    # ------------------------------------------------------------------ start and stop
    async def start(self) -> None:
        """Topics, the services, and the directory (employees, cycles opened) consumed by all three."""
        await create_topics(self.settings)
        for service in self.services.values():
            service.start()
        directory = self.stream.directory
        await self._send(directory)
        counts = Counter(e.TOPIC for e in directory)

        async def directory_consumed() -> bool:
            for name in CONSUMERS:
                for topic, count in counts.items():
                    if await self.offsets.consumed(name, topic) < count:
                        return False
            return True

        await wait_for(directory_consumed, timeout=120, what="the directory to be consumed", alive=self.alive)
        say(f"pipeline {self.tag}: services up, {counts[EMPLOYEES_TOPIC]} employees in the directory")

    async def close(self) -> None:
        """Stop the processes and drop the databases (each step even if another fails)."""
        for service in self.services.values():
            with contextlib.suppress(Exception):
                service.stop()
        if self._client is not None:
            for name in CONSUMERS:
                with contextlib.suppress(Exception):
                    await self._client.drop_database(self.settings.database(name))
            self._client.close()

    async def _send(self, events: list[Any]) -> Produced:
        by_topic: dict[str, list[tuple[bytes | None, bytes]]] = defaultdict(list)
        for event in events:
            by_topic[event.TOPIC].append((event.key.encode(), event.to_bytes()))
        total = Produced()
        for topic, records in sorted(by_topic.items()):
            done = await produce(self.settings, self.settings.topic(topic), records)
            total.acknowledged += done.acknowledged
            total.resent += done.resent
        return total

    # ------------------------------------------------------------------ the run
    async def run(self, hurt: Hurt, settle_s: float) -> Report:
        """Stream the inputs, close the cycles, wait until everything settled, and verify.

        ``hurt(self, n, total)`` is awaited before the chunk of records starting at ``n``, and
        once more with ``n == total`` right after the closes were sent.
        """
        records = [(r.key, r.value) for r in self.stream.records]
        total = len(records)
        produced = await produce(
            self.settings,
            self.settings.topic(INPUTS_TOPIC),
            records,
            pause=lambda n: hurt(self, n, total),
        )
        say(f"pipeline {self.tag}: {total} records sent, {produced}")
        await self._send(self.stream.closes)
        await hurt(self, total, total)
        await self.settle(timeout=settle_s)
        say(f"pipeline {self.tag}: settled")
        return await self.verify(produced)

    async def consumed(self, service: str, topic: str) -> int:
        return await self.offsets.consumed(service, topic)

    async def settle(self, timeout: float) -> None:
        """Wait until every stage consumed all before it, every cycle is closed, no outbox holds
        anything, and all of that twice in a row."""
        streak = 0
        waiting = "a first look"

        async def settled() -> bool:
            nonlocal streak, waiting
            waiting = await self._unsettled() or ""
            streak = 0 if waiting else streak + 1
            return streak >= 2

        try:
            await wait_for(settled, timeout=timeout, what="the pipeline to settle", alive=self.alive)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; still waiting for {waiting}") from None

    async def _unsettled(self) -> str | None:
        """What the pipeline is still doing, or None."""
        for service in CONSUMERS:
            for topic in CONSUMES[service]:
                ends = await self.offsets.ends(topic)
                done, end = await self.offsets.consumed(service, topic), sum(ends.values())
                if len(ends) != PARTITIONS or done < end:
                    return f"{service} to consume {topic} ({done} of {end} committed)"
            if service == "scoring" and not await self._closed():
                return "scoring to finalise every cycle"
            if await self._outbox_pending(service, OUTBOXES[service]):
                return f"{service} to publish its outbox"
        return None

    async def _closed(self) -> bool:
        statuses = [doc.get("status") async for doc in self.db("scoring")["cycles"].find({}, {"status": 1})]
        return len(statuses) == len(self.stream.closes) and set(statuses) == {"closed"}

    async def _outbox_pending(self, service: str, collection: str) -> bool:
        pending = {"_outbox": {"$exists": True, "$ne": {}}}
        return await self.db(service)[collection].find_one(pending, {"_id": 1}) is not None

    # ------------------------------------------------------------------ the checks
    async def verify(self, produced: Produced) -> Report:
        report = Report(
            valid_sent=len(self.stream.events),
            poison_sent=sum(1 for r in self.stream.records if r.poison),
            produced=produced,
            restarts={name: s.starts - 1 for name, s in self.services.items() if s.starts > 1},
        )
        scores = await self._check_scoring(report)
        await self._check_final_scores(report)
        recommendations = await self._check_career(report, scores)
        await self._check_career_fixed_point(report)
        await self._check_notify(report, scores, recommendations)
        await self._check_dead_letters(report)
        return report

    async def _check_scoring(self, report: Report) -> dict[str, dict[str, Any]]:
        """Each valid input stored once; per employee, score events of revisions 1..r, each once,
        the last one final; returns the distinct score events by id."""
        problems = report.problems
        valid = {str(e.event_id) for e in self.stream.events}
        stored: Counter[str] = Counter()
        async for doc in self.db("scoring")["inputs"].find({}):
            for kind in ("plans", "achievements", "feedback"):
                stored.update((doc.get(kind) or {}).keys())
        report.inputs_stored = sum(stored.values())
        if report.inputs_stored != len(valid):
            problems.append(f"scoring stored {report.inputs_stored} inputs, {len(valid)} valid were sent")
        if missing := valid - set(stored):
            problems.append(f"scoring lacks {len(missing)} valid inputs, e.g. {sorted(missing)[:3]}")
        if twice := [k for k, n in stored.items() if n > 1]:
            problems.append(f"scoring stored {len(twice)} inputs more than once")
        if foreign := set(stored) - valid:
            problems.append(f"scoring stored {len(foreign)} inputs that were not sent as valid")
        handled = {doc["_id"] async for doc in self.db("scoring")["inbox"].find({}, {"_id": 1})}
        if lost := valid - handled:
            problems.append(f"{len(lost)} valid inputs are not in scoring's inbox")
        if taken := _poison_ids(self.stream) & handled:
            problems.append(f"{len(taken)} poison records were handled as events by scoring")

        records = await read_all(self.settings, self.settings.topic(SCORES_TOPIC))
        report.score_records = len(records)
        events: dict[str, dict[str, Any]] = {}
        for record in records:
            event = json.loads(record.value)
            events.setdefault(event["event_id"], event)
        report.computed = sum(1 for e in events.values() if e["type"] == COMPUTED)
        report.finalized = sum(1 for e in events.values() if e["type"] == FINALIZED)
        by_nip: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in events.values():
            by_nip[event["score"]["nip"]].append(event)
        # Provisional and final documents merged as the service reads them: the later revision.
        current = await ScoringStore(self.db("scoring")).find_scores({})
        docs = {doc["nip"]: doc for doc in current.values()}
        employees = {e.key for e in self.stream.events}
        if set(docs) != employees or set(by_nip) != employees:
            problems.append(
                f"{len(employees)} employees were scored; scoring holds scores of {len(docs)}, "
                f"the scores topic has events of {len(by_nip)}"
            )
        bad = []
        for nip_, doc in docs.items():
            mine = sorted(by_nip.get(nip_, []), key=lambda e: e["score"]["revision"])
            revisions = [e["score"]["revision"] for e in mine]
            finals = [e for e in mine if e["type"] == FINALIZED]
            if revisions != list(range(1, doc["revision"] + 1)):
                bad.append((nip_, f"revisions {revisions} for a score at revision {doc['revision']}"))
            elif len(finals) != 1 or mine[-1] is not finals[0] or doc["status"] != "final":
                bad.append((nip_, f"{len(finals)} final score events, stored status {doc['status']}"))
            elif finals[0]["score"]["inputs_digest"] != doc["digest"]:
                bad.append((nip_, "the final score event is not the stored final score"))
        if bad:
            problems.append(f"{len(bad)} employees' score events are not revisions 1..r once each: {bad[:3]}")
        return events

    async def _check_final_scores(self, report: Report) -> None:
        """Each final score is the one scoring's own rules give for every input it stored."""
        db = self.db("scoring")
        registry = build_registry()
        docs = [doc async for doc in db["inputs"].find({})]
        employees = {doc["_id"]: doc async for doc in db["employees"].find({})}
        finals = {doc["nip"]: doc["digest"] for doc in (await ScoringStore(db).find_scores({})).values()}
        stats: dict[str, RaterStats] = defaultdict(RaterStats)
        for doc in docs:
            stats[doc["cycle_id"]].observe_all(feedback_of(doc))
        wrong = []
        for doc in docs:
            employee = employees[doc["nip"]]
            spec = registry.for_region(employee["region"])
            inputs = to_cycle_inputs(doc, employee)
            expected = compute_score(inputs, spec, registry.score, stats[doc["cycle_id"]]).inputs_digest
            if finals.get(doc["nip"]) != expected:
                wrong.append(doc["nip"])
        if wrong:
            report.problems.append(
                f"the final scores of {len(wrong)} employees are not those of their inputs"
            )

    async def _check_career_fixed_point(self, report: Report) -> None:
        """Career's recommendations are what its rules give for the scores it kept: running them
        again on its database changes nothing (a lost or doubled update would)."""
        changed: list[str] = []
        store = CareerStore(
            self.db("career"), Outbox(nudge=lambda staged: changed.append(str(staged.doc_id)))
        )
        service = CareerService(store, plugin_manager())
        for region, who in self.stream.employees:
            await service.refresh_employee(who, cycle_id(region))
        for region in REGIONS:
            await service.refresh_team_awards(region, cycle_id(region))
        if changed:
            report.problems.append(
                f"career's rules change {len(changed)} recommendations it stored, e.g. {changed[:3]}"
            )

    async def _check_career(
        self, report: Report, scores: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Career handled each distinct score event once, keeps the last provisional and the final
        one, and published each recommendation revision once; returns those events by id."""
        problems = report.problems
        db = self.db("career")
        score_types = {"$in": [COMPUTED, FINALIZED]}
        handled = {doc["_id"] async for doc in db["inbox"].find({"type": score_types}, {"_id": 1})}
        report.career_handled = len(handled)
        if handled != set(scores):
            problems.append(
                f"career handled {len(handled)} score events, {len(scores)} distinct were published "
                f"({len(set(scores) - handled)} missing, {len(handled - set(scores))} unknown)"
            )
        expected: dict[str, dict[str, str]] = defaultdict(dict)
        best: dict[str, int] = {}
        for event_id, event in scores.items():
            nip_, revision = event["score"]["nip"], event["score"]["revision"]
            if event["type"] == FINALIZED:
                expected[nip_]["final"] = event_id
            elif revision > best.get(nip_, 0):
                best[nip_], expected[nip_]["provisional"] = revision, event_id
        kept = {
            doc["nip"]: {
                slot: json.loads(doc[slot])["score_event_id"] if doc.get(slot) else None
                for slot in expected[doc["nip"]]
            }
            async for doc in db["scores"].find({})
        }
        if wrong := [n for n, slots in expected.items() if kept.get(n) != slots]:
            problems.append(f"career's scores of {len(wrong)} employees are not their last score events")
        records = await read_all(self.settings, self.settings.topic(RECOMMENDATIONS_TOPIC))
        published = {}
        for record in records:
            event = json.loads(record.value)
            published.setdefault(event["event_id"], event)
        report.recommendation_events = len(published)
        owed = set()
        async for doc in db["recommendations"].find({}, {"revision": 1}):
            owed.update(str(event_id_for(doc["_id"], k)) for k in range(1, doc["revision"] + 1))
        if set(published) != owed:
            problems.append(
                f"career published {len(published)} recommendation events, its documents account for "
                f"{len(owed)} ({len(owed - set(published))} unpublished, {len(set(published) - owed)} extra)"
            )
        return published

    async def _check_notify(
        self, report: Report, scores: dict[str, dict[str, Any]], recommendations: dict[str, dict[str, Any]]
    ) -> None:
        """Notify handled each distinct score event once, and wrote each employee's inbox message
        about a final score or a final recommendation exactly once."""
        problems = report.problems
        db = self.db("notify")
        score_types = {"$in": [COMPUTED, FINALIZED]}
        handled = {doc["_id"] async for doc in db["inbox"].find({"type": score_types}, {"_id": 1})}
        report.notify_handled = len(handled)
        if handled != set(scores):
            problems.append(
                f"notify handled {len(handled)} score events, {len(scores)} distinct were published "
                f"({len(set(scores) - handled)} missing, {len(handled - set(scores))} unknown)"
            )
        owed = {eid: e["score"]["nip"] for eid, e in scores.items() if e["type"] == FINALIZED}
        owed |= {
            eid: e["recommendation"]["nip"]
            for eid, e in recommendations.items()
            if e["type"] == ISSUED and e["recommendation"]["final"] and e["recommendation"]["nip"]
        }
        planned: Counter[tuple[str, str]] = Counter()
        query = {"source_event_id": {"$in": sorted(owed)}, "channel": "inbox"}
        async for doc in db["deliveries"].find(query, {"source_event_id": 1, "recipient": 1}):
            planned[(doc["source_event_id"], doc["recipient"])] += 1
        report.notify_deliveries = sum(planned.values())
        own = {(eid, nip_) for eid, nip_ in owed.items()}
        if missing := own - set(planned):
            problems.append(f"notify lacks {len(missing)} of {len(own)} employees' inbox messages")
        if twice := [k for k, n in planned.items() if n > 1]:
            problems.append(f"notify wrote {len(twice)} inbox messages more than once")

    async def _check_dead_letters(self, report: Report) -> None:
        """Every poison record in the inputs' dead-letter topic with its reason; nothing else there."""
        problems = report.problems
        poison = {r.value: r.poison for r in self.stream.records if r.poison}
        dlq = await read_all(self.settings, self.settings.topic(INPUTS_TOPIC) + DLQ_SUFFIX)
        report.dlq_records = len(dlq)
        seen: dict[bytes, dict[str, str]] = {}
        for record in dlq:
            headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
            seen.setdefault(record.value, headers)
        report.dlq_distinct = len(seen)
        if missing := set(poison) - set(seen):
            problems.append(
                f"{len(missing)} of {len(poison)} poison records are not in the dead-letter topic"
            )
        if extra := set(seen) - set(poison):
            problems.append(f"{len(extra)} records in the dead-letter topic are not poison (lost events)")
        wrong = [
            (poison[v], h.get("dlq.problem"))
            for v, h in seen.items()
            if v in poison
            and (not h.get("dlq.reason") or h.get("dlq.problem") != EXPECTED_PROBLEM[poison[v]])
        ]
        if wrong:
            problems.append(f"{len(wrong)} dead letters lack a reason or carry the wrong one: {wrong[:3]}")
        for topic in (SCORES_TOPIC, RECOMMENDATIONS_TOPIC, CYCLES_TOPIC, EMPLOYEES_TOPIC):
            if downstream := await read_all(self.settings, self.settings.topic(topic) + DLQ_SUFFIX):
                problems.append(f"{len(downstream)} records of {topic} were dead-lettered")


def _poison_ids(stream: Stream) -> set[str]:
    ids = set()
    for record in stream.records:
        if record.poison:
            with contextlib.suppress(ValueError, TypeError, KeyError, UnicodeDecodeError):
                ids.add(str(json.loads(record.value)["event_id"]))
    return ids
