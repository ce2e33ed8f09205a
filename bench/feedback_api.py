"""Benchmark (not a test): feedback submissions per second, with p50 and p99 latency.

``python -m bench.feedback_api [--submissions N] [--concurrency C] [--profile]`` against the local
stack. The real app is served by uvicorn in this process, on a loopback port, and driven by an
``httpx.AsyncClient`` on the same event loop: one process, real HTTP, the lifespan starts the broker
and the outbox relay as in production. (``AsyncTestClient`` would serialise requests through its
thread portal, so it cannot show concurrency.) Each submission is the first one of a distinct
(rater, ratee) pair of peers; prints one markdown table row.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import pstats
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import uvicorn

from services.feedback.app import create_app
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


async def run(submissions: int, concurrency: int) -> tuple[float, list[float]]:
    tag = uuid.uuid4().hex[:6]
    settings = Settings(db_prefix=f"bench{tag}", topic_prefix=f"bench{tag}.", log_level="WARNING")
    people = next(k for k in itertools.count(2) if k * (k - 1) >= submissions)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_config=None, access_log=False)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
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

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    server.should_exit = True
    await serving
    return elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="print where the time goes (cProfile)")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    elapsed, latencies = asyncio.run(run(args.submissions, args.concurrency))
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    q = statistics.quantiles(latencies, n=100)
    print("| benchmark | submissions | concurrency | submissions/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    print(
        f"| feedback_api (uvicorn in-process, FerretDB) | {len(latencies)} | {args.concurrency} "
        f"| {len(latencies) / elapsed:.0f} | {q[49] * 1000:.1f} | {q[98] * 1000:.1f} |"
    )


if __name__ == "__main__":
    main()
