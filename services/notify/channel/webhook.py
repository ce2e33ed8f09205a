"""Signed webhooks: the signature scheme, its verification for receivers, and the sender.

Every delivery is an HTTP ``POST`` of the redacted event as JSON (UTF-8), signed by the Standard
Webhooks scheme (https://www.standardwebhooks.com/, signed with the maintained
``standardwebhooks`` library), with these headers:

``webhook-id``, ``webhook-timestamp``, ``webhook-signature``
    The Standard Webhooks headers: the notification id (stable across retries and replays),
    Unix seconds, and ``v1,<base64 HMAC-SHA256>`` over ``f"{id}.{timestamp}.{body}"``. The key is
    the subscription secret's UTF-8 bytes, which a receiver's Standard Webhooks library takes as
    ``whsec_<base64 of the secret>`` (:func:`standard_secret`, also in the creation answer).
``X-Kinerja-Signature: t=<unix seconds>,v1=<hex>`` (deprecated: sent for one more release)
    ``<hex>`` is HMAC-SHA256 with the subscription secret over ``f"{t}.{body}"``, where ``body``
    is the raw request body. A receiver may see more than one ``v1=`` while a secret is being
    rotated; any match is valid. Receivers should reject timestamps outside a tolerance window
    (:func:`verify` does, five minutes by default) so that a captured request cannot be replayed.
``X-Kinerja-Event-Id``
    Id of the event the delivery is about (stable across retries and replays).
``X-Kinerja-Event-Type``
    Its type, e.g. ``scoring.score_finalized``.
``X-Kinerja-Delivery-Id``
    Notification id, stable across retries and replays: receivers deduplicate on it.

A 2xx answer means delivered. 408, 425, 429 and 5xx answers and network errors are retried with
backoff (``Retry-After`` is honoured up to the policy's cap); other answers, redirects included,
are permanent failures and are not retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from base64 import b64encode
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from services.notify.channel.retry import RetryLater, RetryPolicy, with_retries
from services.notify.domain.model import DeliveryResult, Notification, Subscription

STANDARD_ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
#: Deprecated: the scheme before Standard Webhooks, still sent for one release.
SIGNATURE_HEADER = "X-Kinerja-Signature"
EVENT_ID_HEADER = "X-Kinerja-Event-Id"
EVENT_TYPE_HEADER = "X-Kinerja-Event-Type"
DELIVERY_ID_HEADER = "X-Kinerja-Delivery-Id"
DEFAULT_TOLERANCE_S = 300

_RETRYABLE_STATUS = frozenset({408, 425, 429})


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def standard_secret(secret: str) -> str:
    """The subscription secret as Standard Webhooks libraries take it: ``whsec_<base64>``."""
    return "whsec_" + b64encode(secret.encode()).decode()


def standard_headers(secret: str, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    at = datetime.fromtimestamp(timestamp, UTC)
    return {
        STANDARD_ID_HEADER: delivery_id,
        STANDARD_TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: Webhook(secret.encode()).sign(delivery_id, at, body),
    }


def sign(secret: str, timestamp: int, body: bytes | str) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` keyed with ``secret``."""
    message = f"{timestamp}.".encode() + _as_bytes(body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str] | str, timestamp: int, body: bytes | str) -> str:
    """Value of ``X-Kinerja-Signature``; several secrets give several ``v1=`` (key rotation)."""
    keys = [secrets] if isinstance(secrets, str) else secrets
    return ",".join([f"t={timestamp}", *(f"v1={sign(k, timestamp, body)}" for k in keys)])


def verify(
    secret: str,
    header: str,
    body: bytes | str,
    *,
    now: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """Check an ``X-Kinerja-Signature`` header against the raw ``body``, for receivers.

    True when the timestamp is within ``tolerance_s`` of ``now`` (default: the clock) and one of
    the ``v1`` signatures matches. Comparison is constant-time. Malformed headers give False.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body)
    # Check every candidate without stopping early: the time taken says nothing about which matched.
    matches = [hmac.compare_digest(expected, c) for c in candidates]
    return any(matches)


def encode_body(notification: Notification) -> bytes:
    """The exact bytes POSTed (and signed) for ``notification``: compact, key-sorted UTF-8 JSON."""
    return json.dumps(
        notification.payload or {}, separators=(",", ":"), sort_keys=True, ensure_ascii=False
    ).encode()


class WebhookSender:
    """Delivers webhook notifications with signed POSTs, retrying with backoff.

    :param client: shared ``httpx.AsyncClient``; the composition root owns and closes it. It
        should not follow redirects (the httpx default): a redirect could send a signed body to a
        host nobody registered.
    :param policy: attempts and backoff.
    :param timeout_s: timeout of each attempt.
    :param clock: Unix time, for the signature timestamp.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        policy: RetryPolicy | None = None,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        user_agent: str = "Kinerja-Webhooks/1",
    ) -> None:
        self._client = client
        self._policy = policy or RetryPolicy()
        self._timeout = timeout_s
        self._clock = clock
        self._user_agent = user_agent

    async def send(self, notification: Notification, subscription: Subscription) -> DeliveryResult:
        """POST ``notification`` to ``subscription`` until it is accepted or attempts run out.

        :raises ValueError: if the notification is not a webhook for this subscription, or the
            subscription is inactive (the caller checks before replaying).
        """
        if notification.channel != "webhook" or notification.recipient != subscription.subscription_id:
            raise ValueError(f"{notification.notification_id} is not for {subscription.subscription_id}")
        if not subscription.active:
            raise ValueError(f"subscription {subscription.subscription_id} is inactive")
        body = encode_body(notification)

        async def attempt(number: int) -> DeliveryResult:
            status, error, retry_after = await self._attempt(notification, subscription, body)
            result = DeliveryResult(
                notification_id=notification.notification_id,
                delivered=status is not None and 200 <= status < 300,
                attempts=number,
                status_code=status,
                error=error,
                permanent=status is not None and not (200 <= status < 300) and not _retryable(status),
            )
            if result.delivered or result.permanent:
                return result
            raise RetryLater(result, retry_after)

        return await with_retries(self._policy, attempt)

    async def _attempt(
        self, n: Notification, sub: Subscription, body: bytes
    ) -> tuple[int | None, str | None, float | None]:
        """One POST: (status or None, error text or None, Retry-After seconds or None)."""
        # Signed afresh for each attempt so that a retry after a long backoff is still in the window.
        now = int(self._clock())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": self._user_agent,
            **standard_headers(sub.secret, n.notification_id, now, body),
            SIGNATURE_HEADER: signature_header(sub.secret, now, body),
            EVENT_ID_HEADER: n.source_event_id,
            EVENT_TYPE_HEADER: n.event_type,
            DELIVERY_ID_HEADER: n.notification_id,
        }
        try:
            response = await self._client.post(sub.url, content=body, headers=headers, timeout=self._timeout)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500], None
        if 200 <= response.status_code < 300:
            return response.status_code, None, None
        # Keep a little of the answer: it is what an operator needs to fix the receiver.
        snippet = response.text[:200].strip()
        error = f"HTTP {response.status_code}" + (f": {snippet}" if snippet else "")
        return response.status_code, error, _retry_after(response)


def _retryable(status: int) -> bool:
    return status in _RETRYABLE_STATUS or status >= 500


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    # Only the delay-seconds form; an HTTP date is rare from webhook receivers and needs a clock.
    return float(value) if value.strip().isdigit() else None
