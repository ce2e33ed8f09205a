"""History growth: does the cost of the same work grow with the documents of earlier cycles held?

Issue #17 item 4. The same workload is measured with N documents of earlier cycles in the
databases, for N = 10,000, 100,000 and 1,000,000, in **one** set of databases that grows between
the measurements (seed to 10,000, measure, add 90,000, measure, add 900,000, measure), so that
1,000,000 costs one pass of seeding. Target: cost per event and per request at the largest N
within 1.2x of the cost at the smallest.

**What N counts.** FerretDB (SQLite) took about 10,000-12,500 inserts/s of 1 KB documents into a
collection with two indexes on the 2-core machine (``insert_many`` of 2,000, measured before this
benchmark was written). One million documents in *each* of the 12 collections seeded would
take over 20 minutes, so N is the total over them, weighted towards the large ones
(:data:`WEIGHTS`): 11% each to the per-cycle collections (scoring's inputs, provisional scores
and finals, career's scores and recommendations, feedback's submissions, notify's deliveries:
the inbox), less to the audit and the directories. At 1,000,000 that is 110,000 documents in
each big collection. The cycles and career's potentials, which the workload also reads, get no
history here (tests/indexes proves their reads indexed, potentials with 50,000 documents).

**What the history is.** Earlier cycles (``marelan-2016`` ... ``marelan-2025``) of other employees
of the *same* region and units as the workload, so that every query the workload makes by region,
unit, cycle or NIP has them in the value space of its fields, and an unindexed query would have
to read them. Each employee of the workload also has :data:`OWN_CYCLES` earlier cycles of its own
(same NIP), the same number at every level: an employee's own history is work a query must do,
the database's is not. The directories (employees, people) hold the history's employees, in the
same units under other supervisors: a supervisor's team is the same team at every level.

The documents are in the stored shapes the services write: scoring's are built by
``tools.workload.stored`` from ``services.scoring.mapping`` (as ``bench.finalize`` does); career's,
notify's and feedback's are copies of documents the services themselves wrote in a warm-up pass
of the workload, with the cycle, NIP and supervisor replaced, dates moved back a year per cycle,
outbox fields dropped and deliveries marked delivered. They are bulk-inserted
(``insert_many``, 2,000 a call) straight into the collections.

**The workload at each level** is run in :data:`ROUNDS` passes; a level's cost is the median
of its passes. Each pass has employees and cycles of its own, so that every pass does the same
work. All four services run as processes on isolated prefixes (ports 18681-18684; the feedback
service on topics of its own, so that its submissions do not start scoring):

- **score events**: :data:`SCORED` fresh employees, in a cycle of the pass, get a ScoreComputed
  and a ScoreFinalized (400 events); career turns them into recommendations and notify into
  inbox messages. Cost = CPU ms of career + notify + FerretDB per score event, until both groups
  committed everything, the recommendations topic stopped growing and every inbox message was
  delivered; wall = that time.
- **feedback submission**: :data:`REQUESTS` peer submissions over :data:`CONCURRENCY`
  keep-alive connections (``bench.common.KeepAlive``) in a cycle of the pass, each the first of
  its (rater, ratee) pair, until every FeedbackSubmitted is on the topic. Cost = CPU ms of
  feedback + FerretDB per submission.
- **score read**: ``GET /cycles/{cycle}/scores/{nip}`` of scoring by each scored employee of the
  pass for its own score (:data:`REQUESTS`, round-robin). Cost = scoring + FerretDB per request.
- **team list**: ``GET /regions/marelan/employees`` of feedback by the supervisor of a team of
  :data:`TEAM` (:data:`REQUESTS`). Cost = feedback + FerretDB per request.

A warm-up pass of the whole workload runs first with no history (not measured; the copied
documents come from it). CPU seconds come from ``/proc`` (``bench.common.CpuMeter``); CPU is the
cost because wall time on a shared 2-core machine is noisy; wall time and p50 are reported beside
it. ``python -m bench.history`` runs a quick level set (1,000 and 10,000), ``--full`` the issue's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import statistics
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from motor.motor_asyncio import AsyncIOMotorClient

from bench.common import (
    CpuMeter,
    KeepAlive,
    Offsets,
    Service,
    cleanup,
    create_topics,
    isolated,
    produce,
    remember_prefix,
    say,
    start,
    stop_all,
)
from bench.feedback_api import HEAD, RATINGS, seed
from shared.auth import Role, issue_token
from shared.events.base import Event
from shared.events.career import RECOMMENDATIONS_TOPIC
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, INPUTS_TOPIC, CycleOpened, EmployeeUpserted
from shared.events.scoring import (
    SCORES_TOPIC,
    Explanation,
    Predicate,
    Rating,
    Score,
    ScoreComputed,
    ScoreFinalized,
)
from shared.mongo import page_key
from shared.settings import Settings
from tools.workload import Cycle, nip
from tools.workload.stored import provisional_scores, stored_inputs

PORTS = {"feedback": 18681, "scoring": 18682, "career": 18683, "notify": 18684}
LEVELS = (10_000, 100_000, 1_000_000)
QUICK_LEVELS = (1_000, 10_000)
REGION = "marelan"
HISTORY_CYCLES = tuple(f"{REGION}-{year}" for year in range(2016, 2026))
OWN_CYCLES = 4
"""Earlier cycles of each scored employee's own (the last four of :data:`HISTORY_CYCLES`)."""
SCORED = 200
"""Employees scored per pass: a ScoreComputed and a ScoreFinalized each, 400 events."""
REQUESTS = 600
"""Submissions (each the first of a pair of the team: at most 870), score reads and team lists per pass."""
ROUNDS = 3
"""Passes of the whole workload at each level; a level's cost is their median."""
CONCURRENCY = 8
TEAM = 30
"""Staff under the supervisor :data:`bench.feedback_api.HEAD`; feedback goes between them."""
HISTORY_BASE = 5_000_000
"""Index (``tools.workload.nip``) of the first history employee; scored ones count from 0."""
INSERT_CHUNK = 2_000
SETTLE_BOUND_S = 300.0

#: Share of N in each (database, collection). Per-cycle collections hold one document per
#: (cycle, employee); directories one per employee.
WEIGHTS: dict[tuple[str, str], float] = {
    ("scoring", "inputs"): 0.11,
    ("scoring", "scores"): 0.11,
    ("scoring", "finals"): 0.11,
    ("career", "scores"): 0.11,
    ("career", "recommendations"): 0.11,
    ("feedback", "submissions"): 0.11,
    ("notify", "deliveries"): 0.11,
    ("feedback", "audit"): 0.08,
    ("feedback", "employees"): 0.04,
    ("notify", "people"): 0.04,
    ("career", "employees"): 0.03,
    ("scoring", "employees"): 0.03,
}
PER_CYCLE = {k for k, w in WEIGHTS.items() if k[1] not in ("employees", "people", "audit")}

WORKLOADS = ("score events", "feedback submission", "score read", "team list")
#: The processes whose CPU is a workload's cost (FerretDB's is always added).
COST_OF = {
    "score events": ("career", "notify"),
    "feedback submission": ("feedback",),
    "score read": ("scoring",),
    "team list": ("feedback",),
}


# ---------------------------------------------------------------------------- results
@dataclass
class Cost:
    """One workload at one level: operations, CPU seconds by process, wall time, latencies."""

    ops: int
    cpu: dict[str, float]
    wall_s: float
    latencies: list[float] = field(default_factory=list)

    def ms_per_op(self, workload: str) -> float:
        used = sum(self.cpu.get(p, 0.0) for p in (*COST_OF[workload], "ferretdb"))
        return used / self.ops * 1000

    def process_ms(self, name: str) -> float:
        return self.cpu.get(name, 0.0) / self.ops * 1000

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


@dataclass
class Level:
    documents: int  # N asked for
    held: int = 0  # documents of earlier cycles seeded so far (the workload's own ones included)
    seed_s: float = 0.0  # seeding this level's new documents
    rounds: list[dict[str, Cost]] = field(default_factory=list)  # one pass of the workload each

    def cost(self, workload: str) -> float:
        """The median over the rounds of CPU ms per operation."""
        values = [r[workload].ms_per_op(workload) for r in self.rounds if workload in r]
        return statistics.median(values) if values else float("nan")

    def spread(self, workload: str) -> tuple[float, float]:
        values = [r[workload].ms_per_op(workload) for r in self.rounds if workload in r]
        return (min(values), max(values)) if values else (float("nan"), float("nan"))

    def median_round(self, workload: str) -> Cost:
        """The round whose cost is the median (the lower middle one of an even number)."""
        ranked = sorted((r[workload] for r in self.rounds), key=lambda c: c.ms_per_op(workload))
        return ranked[(len(ranked) - 1) // 2]


@dataclass
class HistoryRun:
    levels: list[Level] = field(default_factory=list)
    rounds: int = 0
    elapsed_s: float = 0.0
    seeded_per_s: float = float("nan")  # documents inserted per second over all seeding

    def ratio(self, workload: str) -> float:
        """Median cost at the largest level over the median cost at the smallest."""
        done = [lv for lv in self.levels if lv.rounds]
        if len(done) < 2:
            return float("nan")
        return done[-1].cost(workload) / done[0].cost(workload)


# ---------------------------------------------------------------------------- the world
def cycle_of(pass_no: int) -> str:
    """The scored cycle of a pass of the workload (0 is the warm-up); no prefix of another id."""
    return f"{REGION}-26P{pass_no:02d}"


def scored_index(pass_no: int, k: int) -> int:
    return pass_no * SCORED + k


def passes_of(level: int, rounds: int) -> list[int]:
    """The passes of the workload at a level (1-based; pass 0 is the warm-up)."""
    return [1 + (level - 1) * rounds + r for r in range(rounds)]


def directory(passes: int) -> list[Event]:
    """The scored employees of every pass and every cycle."""
    gen = Cycle(1, regions=(REGION,))
    at = datetime(2026, 11, 1, tzinfo=UTC)
    envelope = {"region": REGION, "correlation_id": "bench-history", "producer": "feedback"}
    events: list[Event] = []
    for i in range(passes * SCORED):
        employee = gen.employee(0, i)
        events.append(EmployeeUpserted.build(**envelope, key=employee.nip, occurred_at=at, employee=employee))
    for year, cid in zip(range(2016, 2026), HISTORY_CYCLES, strict=True):
        events.append(_cycle(cid, year, envelope))
    events += [_cycle(cycle_of(p), 2026, envelope) for p in range(passes)]
    return events


def _cycle(cid: str, year: int, envelope: Mapping[str, str]) -> CycleOpened:
    event: CycleOpened = CycleOpened.build(
        **envelope,
        key=cid,
        cycle_id=cid,
        kind="annual",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        window_opens=datetime(year, 1, 1, tzinfo=UTC),
        window_closes=datetime(year + 1, 1, 31, tzinfo=UTC),
    )
    return event


PREDICATES = (
    Predicate.BAIK,
    Predicate.SANGAT_BAIK,
    Predicate.BUTUH_PERBAIKAN,
    Predicate.BAIK,
    Predicate.KURANG,
)
RATINGS_OF = {
    Predicate.SANGAT_BAIK: (Rating.ABOVE, Rating.ABOVE),
    Predicate.BAIK: (Rating.MEETS, Rating.MEETS),
    Predicate.BUTUH_PERBAIKAN: (Rating.BELOW, Rating.MEETS),
    Predicate.KURANG: (Rating.MEETS, Rating.BELOW),
}


def score_events(pass_no: int) -> list[Event]:
    """A provisional then a final score for each of the pass's :data:`SCORED` employees."""
    gen = Cycle(1, regions=(REGION,))
    cid = cycle_of(pass_no)
    events: list[Event] = []
    for k in range(SCORED):
        i = scored_index(pass_no, k)
        employee = gen.employee(0, i)
        predicate = PREDICATES[i % len(PREDICATES)]
        results, behaviour = RATINGS_OF[predicate]
        base = {
            "region": REGION,
            "correlation_id": f"hist-{pass_no}",
            "producer": "scoring",
            "key": employee.nip,
        }
        for revision, kind in ((1, ScoreComputed), (2, ScoreFinalized)):
            score = Score(
                cycle_id=cid,
                nip=employee.nip,
                unit_id=employee.unit_id,
                team_id=employee.team_id,
                rubric_id=REGION,
                rubric_version="1.0.0",
                results_score=80.0,
                behaviour_score=80.0,
                results_rating=results,
                behaviour_rating=behaviour,
                predicate=predicate,
                explanation=Explanation(inputs_used=[], weights={"results": 0.5, "behaviour": 0.5}),
                inputs_digest=f"{cid}{employee.nip}{revision}".encode().hex()[:64].ljust(64, "0"),
                revision=revision,
            )
            events.append(kind.build(**base, score=score))
    return events


# ---------------------------------------------------------------------------- stored shapes
@dataclass
class Template:
    """A stored document and the values in it that a copy replaces: ``cycle``, ``nip`` and
    ``other`` (a rater, a supervisor), each by its role."""

    doc: dict[str, Any]
    values: dict[str, str]


DROPPED = ("_outbox", "_outbox_pending")


def _swap(value: Any, pairs: Sequence[tuple[str, str]], shift: timedelta) -> Any:
    if isinstance(value, str):
        for old, new in pairs:
            if old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {_swap(k, pairs, shift): _swap(v, pairs, shift) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, pairs, shift) for v in value]
    if isinstance(value, datetime):
        return value - shift
    return value


def copy_of(template: Template, serial: str, values: Mapping[str, str], years: int) -> dict[str, Any]:
    """The template with its values replaced, its dates ``years`` back and, where the ``_id``
    holds none of the values, an ``_id`` made unique with ``serial``."""
    pairs = [(old, values[role]) for role, old in template.values.items() if role in values]
    source = {k: v for k, v in template.doc.items() if k not in DROPPED}
    doc: dict[str, Any] = _swap(source, pairs, timedelta(days=365 * years))
    old_id = template.doc.get("_id")
    if not isinstance(old_id, str):
        doc.pop("_id", None)  # an ObjectId: the driver makes a new one
    elif doc["_id"] == old_id:
        doc["_id"] = f"{old_id}~{serial}"
    if doc.get("status") in ("pending", "in_progress"):
        doc["status"] = "delivered"  # history is done with; notify must not claim it
    if "page_key" in doc:  # the key lists page by, unique to each copy and of its shifted time
        doc["page_key"] = page_key(doc.get("created_at") or doc["at"], str(doc.get("_id", uuid.uuid4().hex)))
    return doc


def history_nip(h: int) -> str:
    return nip(0, HISTORY_BASE + h)


def history_boss(h: int) -> str:
    """Supervisors of the history employees: one per 50, none of them a workload supervisor."""
    return nip(0, HISTORY_BASE + (h // 50) * 50)


def history_values(collection: tuple[str, str], k: int) -> tuple[dict[str, str], int]:
    """The replaced values of the ``k``-th history document of ``collection``, and its age in years."""
    if collection in PER_CYCLE:
        cycle = HISTORY_CYCLES[k % len(HISTORY_CYCLES)]
        h = k // len(HISTORY_CYCLES)
        years = len(HISTORY_CYCLES) - k % len(HISTORY_CYCLES)
        return {"cycle": cycle, "nip": history_nip(h), "other": history_nip(h + 1)}, years
    return {
        "cycle": HISTORY_CYCLES[k % len(HISTORY_CYCLES)],
        "nip": history_nip(k),
        "other": history_boss(k),
    }, 1


def own_values(pass_no: int, k: int, back: int) -> dict[str, str]:
    """A scored employee's own earlier cycle ``back`` cycles ago (1 = the last one)."""
    i = scored_index(pass_no, k)
    return {"cycle": HISTORY_CYCLES[-back], "nip": nip(0, i), "other": nip(0, (i // 50) * 50)}


def scoring_templates() -> dict[str, Template]:
    """Scoring's documents as its mapping stores them (``tools.workload.stored``, as bench.finalize)."""
    first = next(stored_inputs(1, REGION))[0]
    score = next(provisional_scores(1, REGION))[0]
    who, cid = first["inputs"]["nip"], first["inputs"]["cycle_id"]
    values = {"cycle": cid, "nip": who}  # the first employee of a unit: no supervisor
    final = {**score, "status": "final", "revision": 2, "digest": "final"}
    return {
        "inputs": Template(first["inputs"], values),
        "scores": Template(score, values),
        "finals": Template(final, values),
        "employees": Template(first["employee"], values),
    }


async def service_templates(
    client: AsyncIOMotorClient[dict[str, Any]], settings: Settings, team: Sequence[str]
) -> dict[tuple[str, str], Template]:
    """Documents career, notify and feedback wrote in the warm-up pass, one per collection."""
    who = nip(0, scored_index(0, 1))  # a warm-up employee with a supervisor
    boss = nip(0, 0)
    cid = cycle_of(0)
    career, notify, feedback = (client[settings.database(s)] for s in ("career", "notify", "feedback"))
    ratee, rater = team[1], team[0]
    found = {
        ("career", "scores"): (await career["scores"].find_one({"nip": who}), {"cycle": cid, "nip": who}),
        ("career", "recommendations"): (
            await career["recommendations"].find_one({"nip": who, "cycle_id": cid}),
            {"cycle": cid, "nip": who},
        ),
        ("career", "employees"): (
            await career["employees"].find_one({"_id": who}),
            {"nip": who, "other": boss},
        ),
        ("notify", "deliveries"): (
            await notify["deliveries"].find_one({"recipient": who, "channel": "inbox"}),
            {"cycle": cid, "nip": who},
        ),
        ("notify", "people"): (await notify["people"].find_one({"_id": who}), {"nip": who, "other": boss}),
        ("feedback", "submissions"): (
            await feedback["submissions"].find_one({"ratee_nip": ratee, "rater_nip": rater}),
            {"cycle": feedback_cycle(0), "nip": ratee, "other": rater},
        ),
        ("feedback", "audit"): (
            await feedback["audit"].find_one({"action": "feedback.submitted", "target": ratee}),
            {"nip": ratee},
        ),
        ("feedback", "employees"): (
            await feedback["employees"].find_one({"_id": ratee}),
            {"nip": ratee, "other": HEAD},
        ),
    }
    missing = [f"{db}.{name}" for (db, name), (doc, _) in found.items() if doc is None]
    if missing:
        raise RuntimeError(f"the warm-up pass wrote nothing to copy in {missing}")
    out = {key: Template(doc, values) for key, (doc, values) in found.items() if doc is not None}
    out |= {("scoring", name): t for name, t in scoring_templates().items()}
    return out


def feedback_cycle(pass_no: int) -> str:
    return f"hist{pass_no:02d}"


# ---------------------------------------------------------------------------- seeding
def target(documents: int, collection: tuple[str, str]) -> int:
    return round(documents * WEIGHTS[collection])


def history_chunks(
    templates: Mapping[tuple[str, str], Template], start: Mapping[tuple[str, str], int], documents: int
) -> Iterator[tuple[tuple[str, str], list[dict[str, Any]]]]:
    """Chunks of history documents from ``start[collection]`` up to the level's share of N."""
    for collection in WEIGHTS:
        chunk: list[dict[str, Any]] = []
        for k in range(start.get(collection, 0), target(documents, collection)):
            values, years = history_values(collection, k)
            chunk.append(copy_of(templates[collection], f"h{k}", values, years))
            if len(chunk) == INSERT_CHUNK:
                yield collection, chunk
                chunk = []
        if chunk:
            yield collection, chunk


def own_chunks(
    templates: Mapping[tuple[str, str], Template], passes: Sequence[int], team: Sequence[str]
) -> Iterator[tuple[tuple[str, str], list[dict[str, Any]]]]:
    """The passes' scored employees' own earlier cycles (and, once, the team's earlier feedback)."""
    for collection in sorted(PER_CYCLE):
        if collection == ("feedback", "submissions"):
            if 1 not in passes:
                continue
            pairs = zip(team, [*team[1:], team[0]], strict=True)
            values = [
                {"cycle": HISTORY_CYCLES[-back], "nip": ratee, "other": rater}
                for ratee, rater in pairs
                for back in range(1, OWN_CYCLES + 1)
            ]
        else:
            backs = range(1, OWN_CYCLES + 1)
            values = [own_values(p, k, back) for p in passes for k in range(SCORED) for back in backs]
        docs = [copy_of(templates[collection], f"o{passes[0]}-{n}", v, 1) for n, v in enumerate(values)]
        for k in range(0, len(docs), INSERT_CHUNK):
            yield collection, docs[k : k + INSERT_CHUNK]


async def insert(
    client: AsyncIOMotorClient[dict[str, Any]],
    settings: Settings,
    chunks: Iterator[tuple[tuple[str, str], list[dict[str, Any]]]],
) -> int:
    """Insert the chunks, building the next in a thread while the database takes the last."""
    done = 0
    following = asyncio.create_task(asyncio.to_thread(next, chunks, None))
    while (item := await following) is not None:
        following = asyncio.create_task(asyncio.to_thread(next, chunks, None))
        (db, name), docs = item
        await client[settings.database(db)][name].insert_many(docs, ordered=False)
        done += len(docs)
    return done


# ---------------------------------------------------------------------------- the workload
@dataclass
class World:
    """The running services and what the workload needs to drive them."""

    settings: Settings  # scoring, career, notify
    feedback_settings: Settings  # the feedback service: its own topics
    client: AsyncIOMotorClient[dict[str, Any]]
    procs: dict[str, Service]
    offsets: Offsets
    feedback_offsets: Offsets
    team: list[str]
    requests: int = REQUESTS

    def token(self, role: Role, who: str) -> str:
        return "Bearer " + issue_token(self.settings, subject=who, role=role, region=REGION, nip=who)


def feedback_settings(settings: Settings) -> Settings:
    """The same databases, topics of its own (remembered for clean-up)."""
    prefix = f"{settings.db_prefix}fb"
    remember_prefix(prefix)
    return settings.model_copy(update={"topic_prefix": f"{prefix}."})


async def feedback_world(settings: Settings, cycles: int) -> list[str]:
    """A unit, :data:`TEAM` staff under HEAD and a cycle open for feedback per pass."""
    hr = {"Authorization": "Bearer " + issue_token(settings, subject="hr", role=Role.HR_ADMIN, region=REGION)}
    now = datetime.now(UTC)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORTS['feedback']}", timeout=60) as client:
        team = await seed(client, settings, TEAM)
        for pass_no in range(cycles):
            cycle = {
                "cycle_id": feedback_cycle(pass_no),
                "kind": "annual",
                "period_start": "2026-01-01",
                "period_end": "2026-12-31",
                "window_opens": (now - timedelta(hours=1)).isoformat(),
                "window_closes": (now + timedelta(hours=6)).isoformat(),
            }
            answer = await client.post(f"/regions/{REGION}/cycles", json=cycle, headers=hr)
            if answer.status_code != 201:
                raise RuntimeError(f"cycle {cycle['cycle_id']} not opened: {answer.text[:200]}")
    return team


async def drive(port: int, prepared: Sequence[bytes], concurrency: int = CONCURRENCY) -> list[float]:
    """Send the prepared requests over ``concurrency`` keep-alive connections; their latencies."""
    latencies: list[float] = []
    requests = iter(prepared)

    async def worker(connection: KeepAlive) -> None:
        for request in requests:
            started = time.perf_counter()
            status, answer = await connection.send(request)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {answer[:300]!r}")

    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(KeepAlive(port)) for _ in range(concurrency)]
        await asyncio.gather(*(worker(c) for c in connections))
    return latencies


def meter(world: World, workload: str) -> CpuMeter:
    return CpuMeter([world.procs[name] for name in COST_OF[workload]])


async def settled(world: World) -> None:
    """Career and notify committed every score event, the recommendations topic stopped growing,
    notify committed it and delivered every inbox message it planned."""
    deliveries = world.client[world.settings.database("notify")]["deliveries"]
    unfinished = {"status": {"$in": ["pending", "in_progress"]}}
    deadline, last = time.monotonic() + SETTLE_BOUND_S, -1
    while time.monotonic() < deadline:
        recommendations = await world.offsets.total(RECOMMENDATIONS_TOPIC)
        done = (
            recommendations == last
            and await world.offsets.caught_up("career", [SCORES_TOPIC])
            and await world.offsets.caught_up("notify", [SCORES_TOPIC, RECOMMENDATIONS_TOPIC])
            and await deliveries.count_documents(unfinished) == 0
        )
        if done:
            return
        last = recommendations
        await asyncio.sleep(0.3)
    raise RuntimeError(f"score events not through career and notify in {SETTLE_BOUND_S:.0f} s")


async def score_events_cost(world: World, pass_no: int) -> Cost:
    events = score_events(pass_no)
    cpu = meter(world, "score events")
    started = time.perf_counter()
    await produce(world.settings, events)
    await settled(world)
    return Cost(len(events), cpu.stop(), time.perf_counter() - started)


async def submissions_cost(world: World, pass_no: int) -> Cost:
    port = world.procs["feedback"].port
    body = json.dumps({"source": "peer", "ratings": RATINGS}).encode()
    pairs = [(a, b) for a in world.team for b in world.team if a != b][: world.requests]
    tokens = {n: world.token(Role.EMPLOYEE, n) for n in world.team}
    path = f"/regions/{REGION}/cycles/{feedback_cycle(pass_no)}/feedback/"
    headers = {"Content-Type": "application/json"}
    prepared = [
        KeepAlive(port).request("PUT", path + ratee, {"Authorization": tokens[rater], **headers}, body)
        for rater, ratee in pairs
    ]
    before = await world.feedback_offsets.total(INPUTS_TOPIC)
    cpu = meter(world, "feedback submission")
    started = time.perf_counter()
    latencies = await drive(port, prepared)
    while await world.feedback_offsets.total(INPUTS_TOPIC) < before + len(prepared):
        if time.perf_counter() - started > SETTLE_BOUND_S:
            raise RuntimeError("feedback events not all published")
        await asyncio.sleep(0.05)
    return Cost(len(prepared), cpu.stop(), time.perf_counter() - started, latencies)


async def score_reads_cost(world: World, pass_no: int) -> Cost:
    port = world.procs["scoring"].port
    cid = cycle_of(pass_no)
    people = [nip(0, scored_index(pass_no, k)) for k in range(SCORED)]
    prepared = [
        KeepAlive(port).request(
            "GET", f"/cycles/{cid}/scores/{who}", {"Authorization": world.token(Role.EMPLOYEE, who)}, b""
        )
        for who in itertools.islice(itertools.cycle(people), world.requests)
    ]
    return await timed_reads(world, "score read", port, prepared)


async def team_lists_cost(world: World, pass_no: int) -> Cost:
    port = world.procs["feedback"].port
    request = KeepAlive(port).request(
        "GET",
        f"/regions/{REGION}/employees?limit=100",
        {"Authorization": world.token(Role.SUPERVISOR, HEAD)},
        b"",
    )
    return await timed_reads(world, "team list", port, [request] * world.requests)


async def timed_reads(world: World, workload: str, port: int, prepared: Sequence[bytes]) -> Cost:
    cpu = meter(world, workload)
    started = time.perf_counter()
    latencies = await drive(port, prepared)
    return Cost(len(prepared), cpu.stop(), time.perf_counter() - started, latencies)


async def current_scores(world: World, pass_no: int, templates: Mapping[str, Template]) -> None:
    """The pass's scored employees' scores of its cycle in scoring, for them to read."""
    docs = [
        copy_of(
            templates["scores"],
            f"c{pass_no}-{k}",
            {"cycle": cycle_of(pass_no), "nip": nip(0, scored_index(pass_no, k))},
            0,
        )
        for k in range(SCORED)
    ]
    await world.client[world.settings.database("scoring")]["scores"].insert_many(docs, ordered=False)


async def measure(world: World, pass_no: int) -> dict[str, Cost]:
    """One pass of the four workloads."""
    await current_scores(world, pass_no, scoring_templates())
    costs = {
        "score events": await score_events_cost(world, pass_no),
        "feedback submission": await submissions_cost(world, pass_no),
        "score read": await score_reads_cost(world, pass_no),
        "team list": await team_lists_cost(world, pass_no),
    }
    say(
        f"history pass {pass_no}: "
        + ", ".join(f"{n} {c.ms_per_op(n):.2f} ms CPU/op ({c.wall_s:.1f} s)" for n, c in costs.items())
    )
    return costs


# ---------------------------------------------------------------------------- the run
async def grow(
    world: World,
    templates: Mapping[tuple[str, str], Template],
    seeded: dict[tuple[str, str], int],
    passes: Sequence[int],
    documents: int,
) -> tuple[int, float]:
    """Add history up to ``documents`` and the passes' own; (documents inserted, seconds)."""
    started = time.perf_counter()
    count = await insert(world.client, world.settings, history_chunks(templates, seeded, documents))
    seeded.update({c: max(seeded.get(c, 0), target(documents, c)) for c in WEIGHTS})
    count += await insert(world.client, world.settings, own_chunks(templates, passes, world.team))
    return count, time.perf_counter() - started


async def run(
    levels: Sequence[int] = LEVELS, *, rounds: int = ROUNDS, requests: int = REQUESTS
) -> HistoryRun:
    """Measure the workload ``rounds`` times at each of ``levels`` documents of earlier cycles
    (see the module doc)."""
    began = time.perf_counter()
    settings = isolated("hist")
    feedback = feedback_settings(settings)
    await create_topics(settings)
    await create_topics(feedback)
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(
        settings.mongo_url, socketTimeoutMS=600_000
    )
    procs: list[Service] = []
    result = HistoryRun(rounds=rounds)
    passes = 1 + len(levels) * rounds
    try:
        procs = await start([(n, PORTS[n]) for n in ("scoring", "career", "notify")], settings)
        procs += await start([("feedback", PORTS["feedback"])], feedback)
        async with Offsets(settings) as offsets, Offsets(feedback) as feedback_offsets:
            await produce(settings, directory(passes))
            team = await feedback_world(feedback, passes)
            want: dict[str, Sequence[str]] = {
                s: [EMPLOYEES_TOPIC, CYCLES_TOPIC] for s in ("scoring", "career", "notify")
            }
            if await offsets.wait_caught_up(want, timeout=180) is None:
                raise RuntimeError("the directory was not consumed in 180 s")
            named = {p.name: p for p in procs}
            world = World(settings, feedback, client, named, offsets, feedback_offsets, team)
            world.requests = requests
            say("history: warm-up pass, no history")
            await measure(world, 0)
            templates = await service_templates(client, settings, team)
            seeded: dict[tuple[str, str], int] = {}
            held, inserted, seeding = 0, 0, 0.0
            for number, documents in enumerate(levels, start=1):
                mine = passes_of(number, rounds)
                count, seconds = await grow(world, templates, seeded, mine, documents)
                held, inserted, seeding = held + count, inserted + count, seeding + seconds
                say(f"history: {held:,} documents held ({count:,} inserted in {seconds:.1f} s)")
                await asyncio.sleep(2)  # let the database finish with the inserts
                level = Level(documents, held, seconds)
                result.levels.append(level)
                for pass_no in mine:
                    level.rounds.append(await measure(world, pass_no))
            result.seeded_per_s = inserted / seeding if seeding else float("nan")
    finally:
        for proc in procs:
            proc.stop()
        client.close()
        await cleanup([settings.db_prefix, f"{settings.db_prefix}fb"])
    result.elapsed_s = time.perf_counter() - began
    return result


# ---------------------------------------------------------------------------- output
TABLE_HEADER = (
    "| documents of earlier cycles (N) | held | seeding s | workload | ops per round "
    "| CPU ms/op (service + FerretDB), median | min - max | CPU ms/op by process (median round) "
    "| wall s | p50 ms |\n|---:|---:|---:|---|---:|---:|---|---|---:|---:|"
)


def table(result: HistoryRun) -> list[str]:
    """One markdown row per level and workload: the median of the rounds."""
    lines = [TABLE_HEADER]
    for level in result.levels:
        for name in WORKLOADS:
            if not level.rounds:
                continue
            cost, (low, high) = level.median_round(name), level.spread(name)
            by = ", ".join(f"{p} {cost.process_ms(p):.2f}" for p in (*COST_OF[name], "ferretdb", "kafka"))
            p50 = "" if not cost.latencies else f"{cost.p50_ms:.1f}"
            lines.append(
                f"| {level.documents:,} | {level.held:,} | {level.seed_s:.1f} | {name} | {cost.ops} "
                f"| {level.cost(name):.2f} | {low:.2f} - {high:.2f} | {by} | {cost.wall_s:.1f} | {p50} |"
            )
    return lines


def ratios(result: HistoryRun) -> list[tuple[str, float, bool]]:
    """(workload, cost at the largest level / at the smallest, within 1.2x)."""
    return [(name, r := result.ratio(name), r <= 1.2) for name in WORKLOADS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="10,000, 100,000 and 1,000,000 documents")
    parser.add_argument("--levels", type=int, nargs="*", help="document counts, smallest first")
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="passes of the workload per level")
    args = parser.parse_args()
    levels = args.levels or (LEVELS if args.full else QUICK_LEVELS)
    from bench.common import on_sigterm

    on_sigterm()
    try:
        result = asyncio.run(run(levels, rounds=args.rounds, requests=args.requests))
    finally:
        stop_all()
        asyncio.run(cleanup())
    print("\n".join(table(result)))
    for name, ratio, ok in ratios(result):
        print(f"{name}: {ratio:.2f}x at {levels[-1]:,} against {levels[0]:,} ({'met' if ok else 'missed'})")
    print(f"seeding {result.seeded_per_s:,.0f} documents/s; the whole run took {result.elapsed_s:.0f} s")


if __name__ == "__main__":
    main()
