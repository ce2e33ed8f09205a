"""Retry policy shared by the channel adapters: capped exponential backoff with full jitter."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from pydantic import Field, model_validator

from shared.events.base import Model

Sleep = Callable[[float], Awaitable[None]]
Random = Callable[[], float]


class RetryPolicy(Model):
    """How often and how patiently a delivery is retried.

    Delay before attempt ``n + 1`` is uniform in ``[0, min(cap_s, base_s * 2 ** (n - 1))]``
    ("full jitter"): many notifications failing at once against one receiver spread out instead
    of retrying in lockstep.
    """

    attempts: int = Field(5, description="Attempts in all, the first included.", ge=1, le=20)
    base_s: float = Field(0.5, description="Upper bound of the first delay, seconds.", ge=0)
    cap_s: float = Field(30.0, description="Upper bound of any delay, seconds.", ge=0)

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> RetryPolicy:
        if self.cap_s < self.base_s:
            raise ValueError("cap_s must not be below base_s")
        return self

    def ceiling(self, attempt: int) -> float:
        """Largest delay after failed attempt number ``attempt`` (1-based)."""
        # The exponent is bounded so that a huge attempt number cannot overflow the float.
        growth: float = 2.0 ** min(attempt - 1, 32)
        return min(self.cap_s, self.base_s * growth)

    def delay(self, attempt: int, rand: Random = random.random) -> float:
        """Delay after failed attempt number ``attempt`` (1-based), jittered with ``rand`` in [0, 1)."""
        return self.ceiling(attempt) * rand()
