"""A tiny consumer used by the kernel tests, in-process or as its own process.

It credits each ProgressReported's first value to the employee's account, applying every event
id once inside the account document (the idempotent-handler pattern the services follow), and
counts handler calls separately so that tests can see redeliveries happen.

Run as a process: ``python -m tests.kernel.ledger`` with KINERJA_* settings in the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Sequence

from pymongo.errors import DuplicateKeyError

from shared.consumer import Subscription
from shared.events.feedback import INPUTS_TOPIC, ProgressReported
from shared.runtime import ServiceKit
from shared.settings import Settings


def ledger_kit(settings: Settings, service: str = "ledger") -> ServiceKit:
    kit = ServiceKit(service, settings)

    async def credit(events: Sequence[ProgressReported]) -> None:
        for event in events:
            await kit.db["calls"].update_one({"_id": "calls"}, {"$inc": {"n": 1}}, upsert=True)
            eid = str(event.event_id)
            # Already applied: the filter does not match and the upsert hits the same _id.
            with contextlib.suppress(DuplicateKeyError):
                await kit.db["accounts"].update_one(
                    {"_id": event.nip, "applied": {"$ne": eid}},
                    {"$inc": {"balance": event.realisations[0].value}, "$push": {"applied": eid}},
                    upsert=True,
                )

    kit.consume([Subscription(INPUTS_TOPIC, credit, "credits progress values")])
    return kit


async def main() -> None:
    kit = ledger_kit(Settings())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await kit.start()
    print("ledger started", flush=True)
    await stop.wait()
    await kit.stop()


if __name__ == "__main__":
    asyncio.run(main())
