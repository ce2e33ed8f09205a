"""Benchmark (not a test): feedback submissions per second, with p50 and p99 latency.

``python -m bench.feedback_api [--submissions N] [--concurrency C]`` against the local stack. The
feedback service runs as its own process (``python -m services.feedback``, as deployed: one
process, its lifespan starts the broker and the outbox relay); this process drives it over real
HTTP with an ``httpx.AsyncClient`` of C connections. Each submission is the first one of a
distinct (rater, ratee) pair of peers; prints one markdown table row, with the CPU seconds the
service process used per submission. (Until 2026-11-22 the app ran inside this process, so the
client's CPU counted against the service.)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from bench.common import CpuMeter, Service, on_sigterm, start, stop_all
from shared.auth import Role, issue_token
from shared.settings import Settings

HEAD = "197801012005011001"
RATINGS = {"pencapaian_target": 4, "kontribusi_tim": 3, "perilaku_profesional": 5}


def staff_nip(i: int) -> str:
    return f"19{70 + i % 25}0{1 + i % 9}1{i % 10}20{10 + i % 10}0{1 + i % 9}{1 + i % 2}{i:03d}"


async def seed(client: httpx.AsyncClient, settings: Settings, people: int) -> list[str]:
    hr = {
        "Authorization": "Bearer " + issue_token(settings, subject="hr", role=Role.HR_ADMIN, region="marelan")
    }
    await client.put("/regions/marelan/units/dinkes", json={"name": "Dinas Kesehatan"}, headers=hr)
    rows = [
        {"nip": HEAD, "name": "Kepala", "position": "Kepala", "unit_id": "dinkes", "employment_type": "PNS"}
    ]
    nips = [staff_nip(i) for i in range(people)]
    rows += [
        {
            "nip": n,
            "name": f"Staf {n[-3:]}",
            "position": "Staf",
            "unit_id": "dinkes",
            "supervisor_nip": HEAD,
            "employment_type": "PNS",
        }
        for n in nips
    ]
    report = (await client.post("/regions/marelan/employee-imports", json=rows, headers=hr)).json()
    assert report["accepted"] == people + 1, report
    now = datetime.now(UTC)
    cycle = {
        "cycle_id": "bench",
        "kind": "annual",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "window_opens": (now - timedelta(hours=1)).isoformat(),
        "window_closes": (now + timedelta(hours=6)).isoformat(),
    }
    assert (await client.post("/regions/marelan/cycles", json=cycle, headers=hr)).status_code == 201
    return nips


PORT = 18881


@dataclass
class ApiRun:
    elapsed: float
    latencies: list[float]
    service_cpu_s: float  # CPU seconds of the feedback process during the timed submissions


async def run(submissions: int, concurrency: int) -> ApiRun:
    tag = uuid.uuid4().hex[:6]
    settings = Settings(db_prefix=f"bench{tag}", topic_prefix=f"bench{tag}.", log_level="WARNING")
    people = next(k for k in itertools.count(2) if k * (k - 1) >= submissions)
    (service,) = await start([("feedback", PORT)], settings)
    try:
        return await _drive(settings, service, people, submissions, concurrency)
    finally:
        service.stop()


async def _drive(
    settings: Settings, service: Service, people: int, submissions: int, concurrency: int
) -> ApiRun:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", limits=limits, timeout=60) as client:
        nips = await seed(client, settings, people)
        tokens = {
            n: {
                "Authorization": "Bearer "
                + issue_token(settings, subject=n, role=Role.EMPLOYEE, region="marelan", nip=n)
            }
            for n in nips
        }
        pairs = iter([(a, b) for a in nips for b in nips if a != b][:submissions])
        latencies: list[float] = []

        async def worker() -> None:
            for rater, ratee in pairs:
                started = time.perf_counter()
                response = await client.put(
                    f"/regions/marelan/cycles/bench/feedback/{ratee}",
                    json={"source": "peer", "ratings": RATINGS},
                    headers=tokens[rater],
                )
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text

        meter = CpuMeter([service])
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = meter.stop().get("feedback", float("nan"))
    return ApiRun(elapsed, latencies, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    on_sigterm()
    try:
        result = asyncio.run(run(args.submissions, args.concurrency))
    finally:
        stop_all()
    latencies = result.latencies
    q = statistics.quantiles(latencies, n=100)
    print("| benchmark | submissions | concurrency | submissions/s | p50 ms | p99 ms | CPU ms each |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| feedback_api (service process, FerretDB) | {len(latencies)} | {args.concurrency} "
        f"| {len(latencies) / result.elapsed:.0f} | {q[49] * 1000:.1f} | {q[98] * 1000:.1f} "
        f"| {result.service_cpu_s / len(latencies) * 1000:.2f} |"
    )


if __name__ == "__main__":
    main()
