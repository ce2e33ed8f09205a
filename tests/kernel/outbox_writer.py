"""A publishing process that dies at a chosen moment, for the outbox tests.

``python -m tests.kernel.outbox_writer before-publish|after-publish <doc_id> <nip>``: writes the
state change and its event in one document write, then SIGKILLs itself either before the relay
published anything, or after publishing but before marking the entry as published.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from shared.events.feedback import ProgressReported, Realisation
from shared.outbox import Staged
from shared.runtime import ServiceKit
from shared.settings import Settings


async def main(mode: str, doc_id: str, nip: str) -> None:
    kit = ServiceKit("writer", Settings())
    event = ProgressReported.build(
        region="siulak",
        correlation_id="crash",
        producer="writer",
        key=nip,
        cycle_id="c1",
        nip=nip,
        realisations=[Realisation(indicator_id="i1", value=7)],
    )

    async def report(staged: Staged) -> bool:
        await kit.db["reports"].update_one(
            {"_id": doc_id}, {"$set": {"state": "reported", **staged.set_fields}}, upsert=True
        )
        return True

    await kit.relay.outbox.write("reports", doc_id, [event], report)  # the relay is not started
    print(event.event_id, flush=True)
    if mode == "after-publish":
        await kit.broker.start()
        await kit.publish_event(event)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
