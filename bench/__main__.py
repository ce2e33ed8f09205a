"""``make bench``: every measurement, several runs each, into bench/results.md and bench/results.png.

``python -m bench [--quick]``. Needs the local stack (Kafka 19092, FerretDB 27018). Each
measurement is bounded in time; one that fails or times out is reported as such and the others
still run. Every process started is stopped and every topic and database created is deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bench import finalize, kafka_ceiling, latency, pipeline, report
from bench.common import LOGS, Figure, cleanup, create_topics, isolated, on_sigterm, say, stop_all
from bench.profile import Profile
from shared.events.feedback import INPUTS_TOPIC

T = TypeVar("T")
OUT = Path(__file__).resolve().parent
#: Connections of the feedback API runs: the issue names none; 16 and 32 show how the rate grows
#: with group commit as more requests wait at once, and what it does to p99.
API_CONCURRENCY = (16, 32)
#: The national peak of issue #17: a fixed 200 submissions/s over HTTP for 60 s.
PEAK_RATE, PEAK_SECONDS = 200, 60


async def guarded(
    name: str, timeout: float, work: Callable[[], Awaitable[T]], errors: dict[str, str]
) -> T | None:
    try:
        return await asyncio.wait_for(work(), timeout)
    except Exception as exc:  # a failed measurement is reported, the others still run
        errors[name] = f"{type(exc).__name__}: {exc}"[:400]
        say(f"{name} FAILED: {errors[name]}")
        traceback.print_exc()
        stop_all()
        return None


async def main(quick: bool) -> None:
    runs = 1 if quick else 3
    r = report.Results(runs=runs, started=time.strftime("%Y-%m-%d %H:%M"), host=platform.node())
    r.load_before = report.loadavg()
    errors = r.errors
    LOGS.mkdir(parents=True, exist_ok=True)

    # 1. Kafka ceiling -------------------------------------------------------------------
    async def kafka() -> None:
        settings = isolated("kafka")
        await create_topics(settings, ["raw", INPUTS_TOPIC])
        n_raw, n_json = (50_000, 30_000) if quick else (200_000, 100_000)
        topic, r.json_bytes = await kafka_ceiling.prepare_json(settings, n_json)
        for _ in range(runs):
            r.producer_perf.add(
                await asyncio.to_thread(kafka_ceiling.producer_perf, settings, settings.topic("raw"), n_raw)
            )
        for _ in range(runs):
            r.consumer_perf.add(
                await asyncio.to_thread(kafka_ceiling.consumer_perf, settings, settings.topic("raw"), n_raw)
            )
            r.bare.add(await kafka_ceiling.bare_consumer(settings, topic, n_json))
        r.kafka_records = (n_raw, n_json)
        await cleanup([settings.db_prefix])
        say(
            f"kafka: producer {r.producer_perf.median:.0f}/s, consumer {r.consumer_perf.median:.0f}/s, "
            f"bare {r.bare.median:.0f}/s"
        )

    await guarded("kafka ceiling", 600, kafka, errors)

    # 2. Pipeline throughput (scoring -> career -> notify) ----------------------------------
    r.pipeline_employees = 100 if quick else 150

    async def pipe() -> None:
        for k in range(runs):
            prof = LOGS / f"pipeline-scoring-{k}.pyspy.txt" if k == 0 else None
            run = await pipeline.run_once(r.pipeline_employees, timeout=90, profile=prof)
            r.pipeline.append(run)
            if prof is not None:
                r.pipeline_profile = Profile.load(prof)

    await guarded("pipeline", 900, pipe, errors)

    # 3. Scale-out: scoring alone, one then two instances -----------------------------------
    r.scale_employees = 150 if quick else 250

    async def scale() -> None:
        for instances in (1, 2):
            for _ in range(runs):
                run = await pipeline.run_once(
                    r.scale_employees, scoring_instances=instances, downstream=False, timeout=90
                )
                r.scale.setdefault(instances, []).append(run)

    await guarded("scale-out", 1200, scale, errors)

    # 4. The whole system at national peak: 200 submissions/s over HTTP for 60 s ------------
    async def lat() -> None:
        for _ in range(runs):
            r.latency.append(await latency.run_once(PEAK_RATE, 10 if quick else PEAK_SECONDS))

    await guarded("national peak", 1500, lat, errors)

    # 5. Feedback API submissions/s, and the floor of the same drive (bench/api_floor.py) ------
    async def api() -> None:
        from bench import api_floor, feedback_api

        n = 1000 if quick else 3000
        for _ in range(runs):
            for name, bench in (("service", feedback_api), ("floor", api_floor)):
                for concurrency in API_CONCURRENCY:
                    api_run = await bench.run(n, concurrency)
                    await cleanup([api_run.prefix])
                    r.api.setdefault((name, concurrency), report.ApiFigures()).add(api_run)
                    r.api_rows.append(feedback_api.row(bench.__name__.split(".")[-1], api_run, concurrency))
        r.api_submissions = n

    await guarded("feedback API", 600, api, errors)

    # 6. History growth: the same work at 10,000 to 1,000,000 documents of earlier cycles --------
    async def hist() -> None:
        from bench import history

        levels, rounds = (history.QUICK_LEVELS, 1) if quick else (history.LEVELS, history.ROUNDS)
        r.history = await history.run(levels, rounds=rounds)

    await guarded("history growth", 600 if quick else 1500, hist, errors)

    # 7. Cycle finalisation at 100,000 employees ------------------------------------------
    r.finalize_employees = 5_000 if quick else 100_000

    async def fin() -> None:
        r.finalize = await finalize.run(r.finalize_employees, runs=runs, timeout=60 if quick else 420)

    await guarded("finalize", 1800, fin, errors)

    r.load_after = report.loadavg()
    r.finished = time.strftime("%Y-%m-%d %H:%M")
    report.write(r, OUT / "results.md", OUT / "results.png")
    say(f"wrote {OUT / 'results.md'} and {OUT / 'results.png'}")


def run_main() -> None:
    parser = argparse.ArgumentParser(description="Kinerja benchmarks into bench/results.md")
    parser.add_argument("--quick", action="store_true", help="one small run of each (a smoke test)")
    args = parser.parse_args()
    on_sigterm()
    try:
        asyncio.run(main(args.quick))
    finally:
        stop_all()
        asyncio.run(asyncio.wait_for(cleanup(), 300))


_: Any = Figure
if __name__ == "__main__":
    run_main()
