"""The delivery worker: sends pending e-mails and webhooks in the background of the notify process.

It claims pending deliveries one at a time (an atomic ``pending`` → ``in_progress`` update with a
claim token and a lease, so several replicas never send the same one), sends up to
``delivery_concurrency`` at once, and wakes up when nudged (a new plan, a replay) or every
``delivery_poll_s``. Pending deliveries live in the database, so a restart loses none: the next
worker picks them up. A delivery left ``in_progress`` past its lease (the process died mid-send)
is recorded as failed, never resent on its own; see :meth:`NotifyService.interrupt_expired`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from services.notify.domain import Delivery
from services.notify.service import NotifyService

log = logging.getLogger(__name__)


class DeliveryWorker:
    """Background task of one notify process; :meth:`start` and :meth:`stop` are lifespan hooks."""

    def __init__(self, service: NotifyService, *, concurrency: int, poll_s: float, lease_s: float) -> None:
        self.service = service
        self.concurrency = concurrency
        self.poll_s = poll_s
        self.lease = timedelta(seconds=lease_s)
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def nudge(self) -> None:
        """Look for due deliveries now rather than at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="notify-delivery-worker")

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop claiming, give sends in flight ``grace_s`` to finish, then cancel the rest.

        A cancelled send stays ``in_progress`` until its lease runs out (see the module docstring).
        """
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._running:
            _, late = await asyncio.wait(self._running, timeout=grace_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.service.interrupt_expired()
                await self._claim_while_free()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery worker failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)

    async def _claim_while_free(self) -> None:
        while len(self._running) < self.concurrency and not self._stopping:
            delivery = await self.service.claim_delivery(self.lease)
            if delivery is None:
                return
            task = asyncio.create_task(self._deliver(delivery), name=f"deliver-{delivery.claim}")
            self._running.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free: claim the next one

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            await self.service.deliver(delivery)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Not recorded: the delivery stays in_progress until its lease runs out, then fails.
            log.exception("delivering %s failed unexpectedly", delivery.notification.notification_id)
