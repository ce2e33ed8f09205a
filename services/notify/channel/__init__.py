"""Channel adapters of the notify service: e-mail over SMTP and signed webhooks over HTTP.

The in-app inbox is not a channel adapter: delivering to it is a database write done by the
store. Adapters never raise for a failed delivery; they return a
:class:`~services.notify.domain.DeliveryResult` and the caller records it (dead letter when
``delivered`` is false).
"""

from __future__ import annotations

from services.notify.channel.email import EmailSender, SmtpConfig, build_message
from services.notify.channel.retry import RetryPolicy
from services.notify.channel.webhook import (
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    STANDARD_ID_HEADER,
    STANDARD_SIGNATURE_HEADER,
    STANDARD_TIMESTAMP_HEADER,
    WebhookSender,
    encode_body,
    sign,
    signature_header,
    standard_headers,
    standard_secret,
    verify,
)

__all__ = [
    "DELIVERY_ID_HEADER",
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "SIGNATURE_HEADER",
    "STANDARD_ID_HEADER",
    "STANDARD_SIGNATURE_HEADER",
    "STANDARD_TIMESTAMP_HEADER",
    "EmailSender",
    "RetryPolicy",
    "SmtpConfig",
    "WebhookSender",
    "build_message",
    "encode_body",
    "sign",
    "signature_header",
    "standard_headers",
    "standard_secret",
    "verify",
]
