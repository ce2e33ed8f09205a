"""Benchmark (not a test): feedback submissions per second, with p50 and p99 latency.

``python -m bench.feedback_api [--submissions N] [--concurrency C]`` against the local stack. The
feedback service runs as its own process (``python -m services.feedback``, as deployed: one
process, its lifespan starts the broker and the outbox relay); this process drives it over real
HTTP over C keep-alive connections (``bench.common.KeepAlive``). Each submission is the first one of a
distinct (rater, ratee) pair of peers. Once the last answer is in, it waits until every
FeedbackSubmitted is on the inputs topic (the outbox relay publishes after the answer) and prints
one markdown table row: the rate of answers, their p50 and p99, when the last event was
published, and the CPU milliseconds per submission of the service, FerretDB and Kafka up to then.
``bench.api_floor`` runs the same drive against the least any implementation must do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.common import (
    CpuMeter,
    KeepAlive,
    Offsets,
    Service,
    cleanup,
    create_topics,
    isolated,
    on_sigterm,
    start,
    stop_all,
)
from shared.auth import Role, issue_token
from shared.events.feedback import INPUTS_TOPIC
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
DRAIN_BOUND_S = 120.0


@dataclass
class ApiRun:
    elapsed: float  # first request to last response
    latencies: list[float]
    published_s: float  # first request until every FeedbackSubmitted was on the topic
    cpu: dict[str, float]  # CPU seconds per process (service, ferretdb, kafka, client) until then
    prefix: str = ""  # the run's database and topic prefix, for clean-up

    @property
    def service_cpu_s(self) -> float:
        return self.cpu.get("feedback", float("nan"))


async def run(submissions: int, concurrency: int) -> ApiRun:
    """One run on fresh prefixes (dropped by ``bench.common.cleanup``)."""
    settings = isolated("api")
    people = next(k for k in itertools.count(2) if k * (k - 1) >= submissions)
    await create_topics(settings, [INPUTS_TOPIC])
    (service,) = await start([("feedback", PORT)], settings)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as client:
            nips = await seed(client, settings, people)
        return await drive(settings, service, nips, submissions, concurrency)
    finally:
        service.stop()


async def drive(
    settings: Settings, service: Service, nips: list[str], submissions: int, concurrency: int
) -> ApiRun:
    """Submit peer feedback for the first ``submissions`` pairs of ``nips`` from ``concurrency``
    clients, then wait until every FeedbackSubmitted is on the inputs topic (the outbox relay
    publishes after the answer), so that the CPU counted includes publishing."""
    tokens = {
        n: "Bearer " + issue_token(settings, subject=n, role=Role.EMPLOYEE, region="marelan", nip=n)
        for n in nips
    }
    body = json.dumps({"source": "peer", "ratings": RATINGS}).encode()
    pairs = [(a, b) for a in nips for b in nips if a != b][:submissions]
    latencies: list[float] = []
    async with Offsets(settings) as offsets, contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(KeepAlive(service.port)) for _ in range(concurrency)]
        prepared = [
            connections[0].request(
                "PUT",
                f"/regions/marelan/cycles/bench/feedback/{ratee}",
                {"Authorization": tokens[rater], "Content-Type": "application/json"},
                body,
            )
            for rater, ratee in pairs
        ]
        requests = iter(prepared)

        async def worker(connection: KeepAlive) -> None:
            for request in requests:
                started = time.perf_counter()
                status, answer = await connection.send(request)
                latencies.append(time.perf_counter() - started)
                assert status == 200, answer

        meter = CpuMeter([service])
        client_cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in connections))
        elapsed = time.perf_counter() - started
        while await offsets.total(INPUTS_TOPIC) < len(latencies):
            if time.perf_counter() - started > elapsed + DRAIN_BOUND_S:
                raise RuntimeError(f"events not all published {DRAIN_BOUND_S:.0f} s after the last answer")
            await asyncio.sleep(0.05)
        published = time.perf_counter() - started
        cpu = meter.stop() | {"client": time.process_time() - client_cpu}
    return ApiRun(elapsed, latencies, published, cpu, prefix=settings.db_prefix)


HEADER = (
    "| benchmark | submissions | concurrency | submissions/s | p50 ms | p99 ms "
    "| all published after s | CPU ms each: service / FerretDB / Kafka / client |\n"
    "|---|---|---|---|---|---|---|---|"
)


def row(label: str, result: ApiRun, concurrency: int) -> str:
    """One markdown row of :data:`HEADER`."""
    n = len(result.latencies)
    q = statistics.quantiles(result.latencies, n=100)
    each = " / ".join(
        f"{result.cpu.get(k, float('nan')) / n * 1000:.2f}"
        for k in ("feedback", "ferretdb", "kafka", "client")
    )
    return (
        f"| {label} | {n} | {concurrency} | {n / result.elapsed:.0f} | {q[49] * 1000:.1f} "
        f"| {q[98] * 1000:.1f} | {result.published_s:.1f} | {each} |"
    )


def arguments(description: str) -> argparse.ArgumentParser:
    """The command line of an API benchmark."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    return parser


def measure(
    run_once: Callable[[int, int], Coroutine[Any, Any, ApiRun]], label: str, args: argparse.Namespace
) -> None:
    """Run one API benchmark from the command line and print its row."""
    on_sigterm()
    try:
        result = asyncio.run(run_once(args.submissions, args.concurrency))
    finally:
        stop_all()
        asyncio.run(cleanup())
    print(HEADER)
    print(row(label, result, args.concurrency))


def main() -> None:
    measure(run, "feedback_api (service process, FerretDB)", arguments(__doc__.splitlines()[0]).parse_args())


if __name__ == "__main__":
    main()
