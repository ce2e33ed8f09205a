"""Cycle finalisation at scale: N employees' inputs bulk-inserted, then the CycleClosed path.

The scoring database gets N ``employees`` and N ``inputs`` documents directly (insert_many, in the
stored shapes of ``services.scoring.mapping``), N provisional ``scores`` (as the cycle's input
events leave them) and an open cycle. A scoring process starts; a CycleClosed is published to the
cycles topic, and the clock runs until N ScoreFinalized records are on the scores topic.
Repeated runs drop the final scores, put the provisional ones back and close again with a new
event id, so each run finalises all N afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from bench import profile
from bench.common import (
    LOGS,
    CpuMeter,
    Offsets,
    Service,
    Tracker,
    cleanup,
    create_topics,
    isolated,
    produce,
    say,
    start,
)
from shared.events.feedback import CYCLES_TOPIC
from shared.events.scoring import SCORES_TOPIC
from tools.workload import cycle_id
from tools.workload.stored import closing, provisional_scores, stored_inputs

PORT = 18882


@dataclass
class FinalizeRun:
    employees: int
    insert_s: float = 0.0
    seconds: list[float] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    published: list[int] = field(default_factory=list)
    peak_mb: float = 0.0
    profile: profile.Profile | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    written: list[int] = field(default_factory=list)
    # The floor: reading the cycle's inputs documents once, as the close must, and nothing else.
    read_inputs_s: float = float("nan")
    read_inputs_cpu: dict[str, float] = field(default_factory=dict)


async def _provisional(db: Any, employees: int) -> None:
    """Every employee's provisional score, as the cycle's inputs left them: the close overwrites
    existing documents, as it does in production, not an empty collection."""
    for chunk in provisional_scores(employees):
        await db["scores"].insert_many(chunk, ordered=False)


async def _read_floor(db: Any, result: FinalizeRun) -> None:
    """Time one read of the cycle's inputs documents, the query a close starts with
    (``ScoringStore.cycle_inputs``), the scoring process idle: a close cannot take less."""
    meter = CpuMeter([])
    t0 = time.perf_counter()
    async for _ in db["inputs"].find({"cycle_id": cycle_id("marelan")}).batch_size(1000):
        pass
    result.read_inputs_s = time.perf_counter() - t0
    result.read_inputs_cpu = meter.stop()
    say(f"finalize floor: the cycle's inputs read in {result.read_inputs_s:.1f} s")


async def run(
    employees: int = 100_000, runs: int = 3, timeout: float = 240, sample: bool = True
) -> FinalizeRun:
    settings = isolated("fin")
    await create_topics(settings)
    result = FinalizeRun(employees)
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(settings.mongo_url)
    db = client[settings.database("scoring")]
    procs: list[Service] = []
    try:
        started = time.perf_counter()
        for chunk in stored_inputs(employees):
            await db["employees"].insert_many([c["employee"] for c in chunk], ordered=False)
            await db["inputs"].insert_many([c["inputs"] for c in chunk], ordered=False)
        await _provisional(db, employees)
        cid = cycle_id("marelan")
        await db["cycles"].insert_one(
            {"_id": cid, "region": "marelan", "status": "open", "period_end": "2026-12-31"}
        )
        result.insert_s = time.perf_counter() - started
        say(f"finalize: {employees} employees' inputs inserted in {result.insert_s:.1f} s")
        procs = await start([("scoring", PORT)], settings)
        finalized: set[str] = set()

        def on_record(topic: str, record: Any, now: float) -> None:
            if b"scoring.score_finalized" in record.value:
                finalized.add(json.loads(record.value)["score"]["nip"])

        async with (
            Offsets(settings) as offsets,
            Tracker(settings, [SCORES_TOPIC], fetch_wait_ms=100) as tracker,
        ):
            tracker.on_record = on_record
            for k in range(runs):
                if k:
                    await db["scores"].drop()
                    await db["finals"].drop()
                    await _provisional(db, employees)
                await tracker.quiet(1.0, timeout=30)
                finalized.clear()
                sampler = None
                out = LOGS / f"{settings.db_prefix}-finalize.pyspy.txt"
                if sample and k == runs - 1:
                    sampler = profile.record(procs[0].pid, int(timeout), out)
                meter = CpuMeter(procs)
                t0 = time.perf_counter()
                await produce(settings, [closing(employees)])
                deadline = time.monotonic() + timeout
                done = 0
                while time.monotonic() < deadline:
                    done = len(finalized)
                    procs[0].sample_peak()
                    if done >= employees:
                        break
                    await asyncio.sleep(0.25)
                elapsed = time.perf_counter() - t0
                result.seconds.append(elapsed if done >= employees else float("nan"))
                result.elapsed.append(elapsed)
                result.published.append(done)
                result.cpu = meter.stop()
                with contextlib.suppress(Exception):
                    # How far the service got in the database, published or not.
                    count = db["finals"].count_documents({})
                    result.written.append(await asyncio.wait_for(count, 30))
                say(f"finalize run {k + 1}: {done}/{employees} ScoreFinalized in {elapsed:.1f} s")
                if sampler is not None:
                    if sampler.poll() is None:
                        sampler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                    with contextlib.suppress(Exception):
                        sampler.wait(timeout=30)
                    result.profile = profile.Profile.load(Path(out))
                if done < employees:
                    break
                # The consumer commits after the handler; let it settle before the next close.
                await offsets.wait_caught_up({"scoring": [CYCLES_TOPIC]}, timeout=60)
        await _read_floor(db, result)
    finally:
        for proc in procs:
            proc.sample_peak()
            result.peak_mb = proc.peak_mb
            proc.stop()
        client.close()
        await cleanup([settings.db_prefix])
    return result


if __name__ == "__main__":
    import sys

    from bench.common import on_sigterm, stop_all

    on_sigterm()
    try:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
        r = asyncio.run(run(n, 1, timeout=float(sys.argv[2]) if len(sys.argv) > 2 else 60))
        print(r.seconds, r.published, r.peak_mb, r.cpu)
        if r.profile:
            print(r.profile.markdown("finalize"))
    finally:
        stop_all()
