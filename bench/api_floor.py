"""Benchmark (not a test): the least a feedback submission can cost on this stack and machine.

A stand-in for the feedback service's ``PUT .../feedback/{nip}`` that keeps only what no
implementation of it can skip, on the same parts: the service kit's Litestar app (JWT middleware,
JSON body guard, problem details), the same guards and request model, the same FeedbackSubmitted
event, the submission document with that event staged in it and an audit line, both inserted by
group commit (``shared.mongo.InsertBatcher``), and the event published to Kafka and confirmed
before the answer. It reads nothing, checks no relation, window or rubric, and never marks an
outbox entry published. Whatever the real endpoint does, it cannot beat this rate on the same
machine, so ``python -m bench.feedback_api`` beside it shows how much of the gap to a target is
the service's own doing.

``python -m bench.api_floor [--submissions N] [--concurrency C]`` runs it as its own process,
driven over HTTP exactly as ``bench.feedback_api`` drives the service, and prints one row.
``python -m bench.api_floor --serve`` is that process.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from litestar import Controller, Litestar, put
from litestar.params import JSONBody

from bench.common import create_topics, isolated, start
from bench.feedback_api import ApiRun, arguments, drive, measure, staff_nip
from services.feedback.access import STAFF, same_region
from services.feedback.api.params import Caller, CycleId, Nip, RegionId
from services.feedback.domain import FeedbackCreate, submission_id_of, utcnow
from services.feedback.service.common import build
from shared.auth import requires
from shared.events.feedback import INPUTS_TOPIC, FeedbackSubmitted, Source
from shared.mongo import InsertBatcher
from shared.outbox import Staged, record_of
from shared.runtime import ServiceKit, serve
from shared.settings import Settings

PORT = 18882


def create_app(settings: Settings | None = None) -> Litestar:
    kit = ServiceKit("feedback", settings or Settings())
    submissions, audit = InsertBatcher(kit.db["submissions"]), InsertBatcher(kit.db["audit"])

    class FloorController(Controller):
        path = "/regions/{region:str}/cycles/{cycle_id:str}/feedback"
        guards = [same_region]

        @put("/{nip:str}", guards=[requires(*STAFF)])
        async def submit(
            self,
            request: Caller,
            region: RegionId,
            cycle_id: CycleId,
            nip: Nip,
            data: JSONBody[FeedbackCreate],
        ) -> dict[str, Any]:
            rater = request.user.nip or ""
            submission_id = submission_id_of(cycle_id, rater, nip, b"bench-floor")
            fields: dict[str, Any] = {
                "submission_id": submission_id,
                "version": 1,
                "cycle_id": cycle_id,
                "source": Source(data.source),
                "ratee_nip": nip,
                "unit_id": None,
                "ratings": data.ratings,
                "comment": data.comment,
            }
            event = build(
                FeedbackSubmitted, region=region, key=nip, **fields, rater_nip=rater, rubric_id="marelan"
            )
            doc = {"_id": submission_id, "rev": 1, "region": region, "rater_nip": rater, **fields}
            doc |= {
                "submitted_at": utcnow().isoformat(),
                **Staged.of("submissions", submission_id, [event]).insert_fields,
            }
            entry = {"region": region, "at": utcnow(), "actor": rater, "action": "feedback.submitted"}
            await asyncio.gather(submissions.insert(doc), audit.insert(entry | {"target": submission_id}))
            await kit.publish_batch([record_of(event)])
            return {"submission_id": submission_id, "version": 1}

    return kit.http_app([FloorController])


async def run(submissions: int, concurrency: int) -> ApiRun:
    """One run on fresh prefixes (dropped by ``bench.common.cleanup``)."""
    settings = isolated("api")
    people = next(k for k in itertools.count(2) if k * (k - 1) >= submissions)
    await create_topics(settings, [INPUTS_TOPIC])
    (floor,) = await start([("feedback", PORT)], settings, module="bench.api_floor", args=["--serve"])
    try:
        return await drive(settings, floor, [staff_nip(i) for i in range(people)], submissions, concurrency)
    finally:
        floor.stop()


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="be the floor's HTTP process")
    args = parser.parse_args()
    if args.serve:
        serve(create_app, "feedback")
    else:
        measure(run, "api_floor (stand-in: no reads, no checks, no outbox marking)", args)


if __name__ == "__main__":
    main()
