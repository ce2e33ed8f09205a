"""The whole system at national peak: submissions over HTTP at a fixed, open-loop rate.

All four services run as processes, on topics of ``bench.common.PARTITIONS`` partitions. The
feedback service is seeded over HTTP (a unit, employees,
an open cycle; ``bench.feedback_api.seed``); once scoring has the directory, peer feedback is
submitted with ``PUT /regions/marelan/cycles/bench/feedback/{ratee}`` at ``rate`` per second on
a fixed schedule (a slow response does not delay the next submission), each with its own
``x-correlation-id``. A consumer on the inputs and scores topics (fetch wait 5 ms) matches the
ScoreComputed carrying that correlation id.

Submissions still unanswered 30 s after the schedule ended are cancelled and counted; the
achieved rate is accepted submissions per second from the first submission to the last response.

- **HTTP submit -> score**: from just before the PUT to the ScoreComputed received;
- **published -> score**: from the FeedbackSubmitted record's broker timestamp (the feedback
  outbox relay's publish) to the ScoreComputed received;
- **HTTP submit -> notification**: from just before the PUT to the first NotificationDelivered
  carrying its correlation id. No inbox message is due for a submission into an open cycle: a
  provisional score reaches nobody's inbox (the ratee could tell who rated them from the moment
  of the message), nor does a provisional recommendation (services/notify/domain/plan.py). The
  notification due is the webhook of the ScoreComputed to a downstream system: the run
  subscribes a receiver in this process (:class:`Receiver`, loopback, answering 200 at once) to
  ``scoring.score_computed`` of the region, and notify reports the delivery once the receiver
  has answered. An inbox delivery, should one come, is matched the same way and counted apart.

Whether career and notify keep pace with scoring: the committed offsets of each service's group
are sampled every second during the run (the **lag**, records in its topics not yet committed),
and after the last answer the time until each group has committed everything and its last
output record is out is taken (the **drain**). A stage that keeps pace has a lag that stays
small and drains within about the same time as scoring; one that does not shows a lag that
grows for the whole run.

Scoring coalesces a ratee's inputs within one batch into one score event, which carries the last
one's correlation id; submissions go round-robin over 960 ratees, so a ratee's next rating comes
about 5 s after its last and this is rare; the ones it hides are counted ("coalesced"), not
guessed. (With the 120 ratees of earlier runs it folded half of them, which also halved the work
of career and notify.)
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

from bench.common import CpuMeter, KeepAlive, Offsets, Service, Tracker, cleanup, create_topics, isolated, say
from bench.feedback_api import RATINGS, seed
from shared.auth import Role, issue_token
from shared.events.career import RECOMMENDATIONS_TOPIC
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, INPUTS_TOPIC
from shared.events.notify import DELIVERIES_TOPIC
from shared.events.scoring import SCORES_TOPIC
from shared.settings import Settings

PORTS = {"feedback": 18781, "scoring": 18782, "career": 18783, "notify": 18784}
#: Employees of the run, all peers under one head. A national peak is many employees submitting
#: a few ratings each, not a few receiving hundreds: 12,000 submissions over 960 ratees give each
#: about 12 ratings, a realistic 360 round, and keep each ratee's inputs document the size it has
#: in a real cycle (scoring rewrites it with every input). staff_nip() numbers up to 999.
PEOPLE = 960
#: What each service's group consumes, for its lag and its drain.
CONSUMES = {
    "scoring": [INPUTS_TOPIC],
    "career": [SCORES_TOPIC],
    "notify": [SCORES_TOPIC, RECOMMENDATIONS_TOPIC],
}
#: What each service publishes, whose last record ends its drain.
OUTPUT = {"scoring": SCORES_TOPIC, "career": RECOMMENDATIONS_TOPIC, "notify": DELIVERIES_TOPIC}
#: How long the stages may take to drain after the last answer before the run gives up on them.
DRAIN_BOUND_S = 240.0
#: Keep-alive connections submitting (bench.common.KeepAlive: httpx's pool spent more CPU queueing
#: thousands of waiting requests than the service spent answering them, and capped the rate at
#: about 35/s); enough that a submission waits for a connection only when the service is behind.
CONNECTIONS = 64
JSON = "application/json"


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
    seconds: float = 0.0
    submit_to_notified_ms: list[float] = field(default_factory=list)
    submit_to_inbox_ms: list[float] = field(default_factory=list)
    webhook_hits: int = 0
    #: Highest lag (records not yet committed) of each service's group, sampled once a second.
    max_lag: dict[str, int] = field(default_factory=dict)
    #: Seconds from the last answer until each service's group had committed everything (None:
    #: not within DRAIN_BOUND_S).
    drain_s: dict[str, float | None] = field(default_factory=dict)
    #: Records each service's group consumed over the run.
    consumed: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Receiver:
    """The downstream system of the run: a loopback HTTP server that answers every POST with 200."""

    def __init__(self) -> None:
        self.hits = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                self.hits += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        writer.close()


async def sample_lag(offsets: Offsets, lags: dict[str, int], stop: asyncio.Event) -> None:
    """Keep the highest lag of each service's group, once a second until ``stop``."""
    while not stop.is_set():
        for service, topics in CONSUMES.items():
            done, total = await offsets.consumed(service, topics)
            lags[service] = max(lags.get(service, 0), total - done)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def drain(offsets: Offsets, since: float) -> dict[str, float | None]:
    """Seconds from ``since`` (monotonic) until each group had committed every record of its
    topics, each checked in pipeline order; None for those not done within DRAIN_BOUND_S."""
    out: dict[str, float | None] = dict.fromkeys(CONSUMES)
    deadline = since + DRAIN_BOUND_S
    for service, topics in CONSUMES.items():
        while time.monotonic() < deadline:
            if await offsets.caught_up(service, topics):
                out[service] = time.monotonic() - since
                break
            await asyncio.sleep(0.1)
    return out


async def subscribe(settings: Settings, receiver: Receiver) -> None:
    """Subscribe the receiver, as a region admin would, to the region's provisional scores."""
    admin = issue_token(settings, subject="admin", role=Role.REGION_ADMIN, region="marelan")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORTS['notify']}", timeout=30) as client:
        created = await client.post(
            "/subscriptions",
            json={"event_types": ["scoring.score_computed"], "url": f"http://127.0.0.1:{receiver.port}/"},
            headers={"Authorization": f"Bearer {admin}"},
        )
    if created.status_code != 201:
        refused = f"{created.status_code} {created.text[:300]}"
        raise RuntimeError(f"the webhook subscription was refused: {refused}")


async def run_once(rate: float = 200, seconds: float = 60) -> LatencyRun:
    settings = isolated("lat")
    await create_topics(settings)
    result = LatencyRun(rate, seconds=seconds)
    procs: list[Service] = []
    receiver = Receiver()
    try:
        await receiver.__aenter__()
        # Webhooks may reach the loopback receiver; everything else is as deployed.
        allowed = {"notify": {"KINERJA_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"}}
        procs = [Service(name, settings, port, allowed.get(name)) for name, port in PORTS.items()]
        await asyncio.gather(*(p.ready() for p in procs))
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
            ready = await offsets.wait_caught_up(
                {s: [EMPLOYEES_TOPIC, CYCLES_TOPIC] for s in ("scoring", "notify")}, timeout=60
            )
            if ready is None:
                raise RuntimeError("scoring and notify did not take the directory in 60 s")
            await subscribe(settings, receiver)
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
            notified: dict[str, float] = {}
            inboxed: dict[str, float] = {}

            computed = [0]  # every ScoreComputed, each due a webhook

            def on_record(topic: str, record: Any, now: float) -> None:
                event = json.loads(record.value)
                corr = event.get("correlation_id", "")
                if event.get("type") == "scoring.score_computed":
                    computed[0] += 1
                if not corr.startswith("lat-"):
                    return
                if topic == INPUTS_TOPIC:
                    published.setdefault(corr, record.timestamp / 1000)
                elif event.get("type") == "scoring.score_computed":
                    scored.setdefault(corr, now)
                elif event.get("type") == "notify.delivered":
                    notified.setdefault(corr, now)
                    if event.get("channel") == "inbox":
                        inboxed.setdefault(corr, now)

            path = "/regions/marelan/cycles/bench/feedback/{}"
            body = json.dumps({"source": "peer", "ratings": RATINGS}).encode()
            due: asyncio.Queue[int] = asyncio.Queue()

            async def connection() -> None:
                """One keep-alive connection taking the next submission due; a submission waiting
                for a free connection counts that wait in its times (the schedule is open-loop)."""
                async with KeepAlive(PORTS["feedback"]) as conn:
                    while True:
                        k = await due.get()
                        rater, ratee = pairs[k]
                        corr = f"lat-{k}"
                        headers = {**tokens[rater], "x-correlation-id": corr, "Content-Type": JSON}
                        request = conn.request("PUT", path.format(ratee), headers, body)
                        status, answer = await conn.send(request)
                        result.http_ms.append((time.time() - sent[corr]) * 1000)
                        if status == 200:
                            result.accepted += 1
                        else:
                            say(f"  submission {k}: {status} {answer[:200]!r}")
                        due.task_done()

            watched = [INPUTS_TOPIC, SCORES_TOPIC, RECOMMENDATIONS_TOPIC, DELIVERIES_TOPIC]
            stop_sampling = asyncio.Event()
            async with Tracker(settings, watched, fetch_wait_ms=5) as tracker:
                tracker.on_record = on_record
                sampler = asyncio.create_task(sample_lag(offsets, result.max_lag, stop_sampling))
                conns = [asyncio.create_task(connection()) for _ in range(CONNECTIONS)]
                meter = CpuMeter(procs)
                total = min(len(pairs), int(rate * seconds))
                t0 = time.monotonic()
                for k in range(total):
                    delay = t0 + k / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    sent[f"lat-{k}"] = time.time()
                    due.put_nowait(k)
                # Answers later than 30 s after the schedule ended are given up on (and counted).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(due.join(), 30)
                for task in conns:
                    task.cancel()
                await asyncio.gather(*conns, return_exceptions=True)
                late = total - len(result.http_ms)
                answered, answered_at = time.monotonic(), time.time()
                result.unanswered = late
                result.achieved_rate = result.accepted / (answered - t0)
                result.submitted = total
                committed = await drain(offsets, answered)
                # notify sends webhooks after it commits: wait for one per score event (bounded).
                deadline = answered + DRAIN_BOUND_S
                while time.monotonic() < deadline:
                    if receiver.hits >= computed[0]:
                        break
                    await asyncio.sleep(0.5)
                # What a stage publishes goes out through its outbox after it commits: its last
                # record counts too (the tracker reads every output until a quiet 3 s).
                await tracker.quiet(3, timeout=30)
                stop_sampling.set()
                await sampler
                result.cpu = meter.stop()
                for service, topics in CONSUMES.items():
                    result.consumed[service] = (await offsets.consumed(service, topics))[0]
                    last_out = tracker.last_ts.get(OUTPUT[service], 0.0) - answered_at
                    done = committed[service]
                    result.drain_s[service] = None if done is None else max(done, last_out)
            for corr, at in scored.items():
                if corr in sent:
                    result.submit_to_score_ms.append((at - sent[corr]) * 1000)
                if corr in published:
                    result.publish_to_score_ms.append((at - published[corr]) * 1000)
            result.matched = len(result.submit_to_score_ms)
            result.submit_to_notified_ms = [(at - sent[c]) * 1000 for c, at in notified.items() if c in sent]
            result.submit_to_inbox_ms = [(at - sent[c]) * 1000 for c, at in inboxed.items() if c in sent]
    finally:
        result.webhook_hits = receiver.hits
        await receiver.__aexit__()
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
        f"HTTP p50 {pct(result.http_ms, 50):.0f} ms p99 {pct(result.http_ms, 99):.0f} ms; "
        f"submit->notification ({len(result.submit_to_notified_ms)}, {result.webhook_hits} webhook POSTs) "
        f"p99 {pct(result.submit_to_notified_ms, 99):.0f} ms; "
        f"submit->inbox ({len(result.submit_to_inbox_ms)}) p99 {pct(result.submit_to_inbox_ms, 99):.0f} ms; "
        f"max lag {result.max_lag}; drain s {result.drain_s}; CPU s {result.cpu}"
    )
    return result


if __name__ == "__main__":
    import sys

    from bench.common import on_sigterm, stop_all

    on_sigterm()
    try:
        rate = float(sys.argv[1]) if len(sys.argv) > 1 else 200
        asyncio.run(run_once(rate, float(sys.argv[2]) if len(sys.argv) > 2 else 10))
    finally:
        stop_all()
