"""Retries of the channel adapters: how many attempts and how patiently (:class:`RetryPolicy`),
and the loop that makes them (:func:`with_retries`, on stamina's exponential back-off)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import stamina
from pydantic import Field, model_validator

from services.notify.domain.model import DeliveryResult
from shared.events.base import Model


class RetryPolicy(Model):
    """How often and how patiently a delivery is retried.

    The wait before attempt ``n + 1`` is ``min(cap_s, base_s * 2 ** (n - 1))`` plus a random
    jitter of up to ``base_s``, never more than ``cap_s``: many notifications failing at once
    against one receiver spread out instead of retrying in lockstep.
    """

    attempts: int = Field(5, description="Attempts in all, the first included.", ge=1, le=20)
    base_s: float = Field(0.5, description="The first wait, seconds, and the most jitter added.", ge=0)
    cap_s: float = Field(30.0, description="Upper bound of any wait, seconds.", ge=0)

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> RetryPolicy:
        if self.cap_s < self.base_s:
            raise ValueError("cap_s must not be below base_s")
        return self


class RetryLater(Exception):
    """An attempt that failed in a way another attempt may not: ``result`` is what the delivery
    ends with if none is left, ``retry_after`` the receiver's own wait (``Retry-After``)."""

    def __init__(self, result: DeliveryResult, retry_after: float | None = None) -> None:
        super().__init__(result.error)
        self.result = result
        self.retry_after = retry_after


async def with_retries(
    policy: RetryPolicy, attempt: Callable[[int], Awaitable[DeliveryResult]]
) -> DeliveryResult:
    """``attempt(n)`` for n = 1, 2, ... until it returns a result (delivered, or failed for good)
    or ``policy.attempts`` attempts have raised :class:`RetryLater`; then the last one's result.
    A receiver's ``Retry-After`` is honoured up to ``policy.cap_s``."""

    def wait(exc: Exception) -> bool | float:
        if not isinstance(exc, RetryLater):
            return False
        if exc.retry_after is None:
            return True
        # The receiver's wait lengthens the back-off, never shortens it (a Retry-After of 0 must
        # not turn the remaining attempts into a burst), and never past the cap.
        backoff: float = min(policy.cap_s, policy.base_s * 2.0 ** min(exc.result.attempts - 1, 32))
        return min(policy.cap_s, max(backoff, exc.retry_after))

    number = 0
    try:
        async for retrying in stamina.retry_context(
            on=wait,
            attempts=policy.attempts,
            timeout=None,
            wait_initial=policy.base_s,
            wait_max=policy.cap_s,
            wait_jitter=policy.base_s,
        ):
            with retrying:
                number += 1
                return await attempt(number)
    except RetryLater as last:
        return last.result
    raise AssertionError("unreachable: stamina either returns or raises")
