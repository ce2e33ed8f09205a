"""Background loop of the scoring service: finalise each closing cycle once its inputs are in."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from services.scoring.service import ScoringService
from shared.events.feedback import INPUTS_TOPIC
from shared.runtime import ServiceKit

log = logging.getLogger(__name__)


class CloseWatcher:
    """Finalises each closing cycle once the service's group has handled the inputs before its
    close (the end offsets recorded with the close).

    Committed offsets cover every instance of the service, so it does not matter which instance
    handles which partition. Finalising is idempotent, so two instances doing it is harmless.
    """

    def __init__(self, service: ScoringService, kit: ServiceKit, interval_s: float = 0.5) -> None:
        self.service = service
        self.kit = kit
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="close-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run(self) -> None:
        while True:
            try:
                await self.finalise_ready()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A broker or database outage: the cycle stays 'closing' and is tried again.
                log.warning("finalising closed cycles failed; retrying", exc_info=True)
            await asyncio.sleep(self.interval_s)

    async def finalise_ready(self) -> None:
        """One pass: finalise every closing cycle whose inputs before the close are handled."""
        for cycle in await self.service.closing_cycles():
            marks = {int(p): o for p, o in (cycle.get("watermarks") or {}).items()}
            done = await self.kit.committed_offsets(INPUTS_TOPIC) if marks else {}
            if all(done.get(p, 0) >= mark for p, mark in marks.items()):
                await self.service.finalize(cycle["_id"])
