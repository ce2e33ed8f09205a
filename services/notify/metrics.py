"""The notify service's own metric: how delivery attempts end, by channel.

Registered in the same default registry as the kernel's (:mod:`shared.metrics`), so the one
``GET /metrics`` of the service serves it. Counted in memory where the service already knows the
outcome: no extra database work per delivery.
"""

from __future__ import annotations

from prometheus_client import Counter

DELIVERY_ATTEMPTS = Counter(
    "kinerja_notify_delivery_attempts",
    "Delivery attempts by channel (inbox, email, webhook) and how they ended: delivered, retried "
    "(failed and tried again after a backoff), failed (the last attempt failed, or the sender "
    "stopped mid-send; the delivery is recorded failed and can be replayed).",
    ["channel", "outcome"],
)


def count_attempts(channel: str, *, delivered: bool, attempts: int) -> None:
    """Count one delivery that took ``attempts`` attempts: the retries, then its outcome."""
    if attempts > 1:
        DELIVERY_ATTEMPTS.labels(channel, "retried").inc(attempts - 1)
    DELIVERY_ATTEMPTS.labels(channel, "delivered" if delivered else "failed").inc()
