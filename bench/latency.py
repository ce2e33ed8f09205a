"""Latency from a feedback submission to its score event, at a fixed, open-loop load.

All four services run as processes. The feedback service is seeded over HTTP (a unit, employees,
an open cycle; ``bench.feedback_api.seed``); once scoring has the directory, peer feedback is
submitted with ``PUT /regions/marelan/cycles/bench/feedback/{ratee}`` at ``rate`` per second on
a fixed schedule (a slow response does not delay the next submission), each with its own
``x-correlation-id``. A consumer on the inputs and scores topics (fetch wait 5 ms) matches the
ScoreComputed carrying that correlation id.

Submissions still unanswered 30 s after the schedule ended are cancelled and counted; the
achieved rate is accepted submissions per second from the first submission to the last response.

- **HTTP submit -> score**: from just before the PUT to the ScoreComputed received;
- **published -> score**: from the FeedbackSubmitted record's broker timestamp (the feedback
  outbox relay's publish) to the ScoreComputed received.

Scoring coalesces a ratee's inputs within one batch into one score event, which carries the last
one's correlation id; submissions go round-robin over 120 ratees so that this is rare, and the
ones it hides are counted ("coalesced"), not guessed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.common import Offsets, Service, Tracker, cleanup, create_topics, isolated, say, start
from bench.feedback_api import RATINGS, seed
from shared.auth import Role, issue_token
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, INPUTS_TOPIC
from shared.events.scoring import SCORES_TOPIC

PORTS = {"feedback": 18781, "scoring": 18782, "career": 18783, "notify": 18784}
PEOPLE = 120


@dataclass
class LatencyRun:
    rate: float
    submitted: int = 0
    accepted: int = 0
    matched: int = 0
    http_ms: list[float] = field(default_factory=list)
    submit_to_score_ms: list[float] = field(default_factory=list)
    publish_to_score_ms: list[float] = field(default_factory=list)
    achieved_rate: float = 0.0
    unanswered: int = 0
    peaks: dict[str, float] = field(default_factory=dict)


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run_once(rate: float = 200, seconds: float = 20) -> LatencyRun:
    settings = isolated("lat")
    await create_topics(settings)
    result = LatencyRun(rate)
    procs: list[Service] = []
    try:
        procs = await start(list(PORTS.items()), settings)
        base = f"http://127.0.0.1:{PORTS['feedback']}"
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with (
            httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client,
            Offsets(settings) as offsets,
        ):
            nips = await seed(client, settings, PEOPLE)  # type: ignore[arg-type]
            deadline = time.monotonic() + 60
            while await offsets.total(EMPLOYEES_TOPIC) < PEOPLE + 1:
                if time.monotonic() > deadline:
                    raise RuntimeError("the feedback service did not publish the directory in 60 s")
                await asyncio.sleep(0.3)
            ready = await offsets.wait_caught_up({"scoring": [EMPLOYEES_TOPIC, CYCLES_TOPIC]}, timeout=60)
            if ready is None:
                raise RuntimeError("scoring did not take the directory in 60 s")
            tokens = {
                n: {
                    "Authorization": "Bearer "
                    + issue_token(settings, subject=n, role=Role.EMPLOYEE, region="marelan", nip=n)
                }
                for n in nips
            }
            # Round-robin: submission k rates ratee k % PEOPLE, each time by the next colleague.
            pairs = [(nips[(i + d) % PEOPLE], nips[i]) for d in range(1, PEOPLE) for i in range(PEOPLE)]
            sent: dict[str, float] = {}
            published: dict[str, float] = {}
            scored: dict[str, float] = {}

            def on_record(topic: str, record: Any, now: float) -> None:
                event = json.loads(record.value)
                corr = event.get("correlation_id", "")
                if not corr.startswith("lat-"):
                    return
                if topic == INPUTS_TOPIC:
                    published.setdefault(corr, record.timestamp / 1000)
                elif event.get("type") == "scoring.score_computed":
                    scored.setdefault(corr, now)

            async def submit(k: int) -> None:
                rater, ratee = pairs[k]
                corr = f"lat-{k}"
                started = time.time()
                sent[corr] = started
                response = await client.put(
                    f"/regions/marelan/cycles/bench/feedback/{ratee}",
                    json={"source": "peer", "ratings": RATINGS},
                    headers={**tokens[rater], "x-correlation-id": corr},
                )
                result.http_ms.append((time.time() - started) * 1000)
                if response.status_code == 200:
                    result.accepted += 1
                else:
                    say(f"  submission {k}: {response.status_code} {response.text[:200]}")

            async with Tracker(settings, [INPUTS_TOPIC, SCORES_TOPIC], fetch_wait_ms=5) as tracker:
                tracker.on_record = on_record
                total = min(len(pairs), int(rate * seconds))
                tasks: list[asyncio.Task[None]] = []
                t0 = time.monotonic()
                for k in range(total):
                    delay = t0 + k / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(submit(k)))
                # Responses later than 30 s after the schedule ended are given up on (and counted).
                _, late = await asyncio.wait(tasks, timeout=30)
                for task in late:
                    task.cancel()
                result.unanswered = len(late)
                result.achieved_rate = result.accepted / (time.monotonic() - t0)
                result.submitted = total
                # Let the last scores arrive (bounded).
                wait_until = time.monotonic() + 30
                while time.monotonic() < wait_until and len(scored) < result.accepted:
                    await asyncio.sleep(0.5)
                    if time.time() - tracker.last_seen > 5:
                        break
            for corr, at in scored.items():
                if corr in sent:
                    result.submit_to_score_ms.append((at - sent[corr]) * 1000)
                if corr in published:
                    result.publish_to_score_ms.append((at - published[corr]) * 1000)
            result.matched = len(result.submit_to_score_ms)
    finally:
        for proc in procs:
            proc.sample_peak()
            result.peaks[proc.name] = proc.peak_mb
            with contextlib.suppress(Exception):
                proc.stop()
        await cleanup([settings.db_prefix])
    say(
        f"latency at {rate:.0f}/s (achieved {result.achieved_rate:.0f}/s): "
        f"{result.accepted}/{result.submitted} accepted, {result.matched} matched; "
        f"submit->score p50 {pct(result.submit_to_score_ms, 50):.0f} ms "
        f"p99 {pct(result.submit_to_score_ms, 99):.0f} ms; publish->score p50 "
        f"{pct(result.publish_to_score_ms, 50):.0f} ms p99 {pct(result.publish_to_score_ms, 99):.0f} ms; "
        f"HTTP p50 {pct(result.http_ms, 50):.0f} ms p99 {pct(result.http_ms, 99):.0f} ms"
    )
    return result


if __name__ == "__main__":
    import sys

    from bench.common import on_sigterm, stop_all

    on_sigterm()
    try:
        asyncio.run(run_once(float(sys.argv[1]) if len(sys.argv) > 1 else 200, 10))
    finally:
        stop_all()
