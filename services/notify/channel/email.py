"""E-mail over SMTP with aiosmtplib: building the MIME message and sending it with retries.

SMTP replies 4xx, timeouts and dropped connections are transient and retried; 5xx replies
(unknown mailbox, refused sender, failed authentication) and a relay that lacks what the config
demands (STARTTLS, AUTH) are permanent and are not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib
from pydantic import Field

from services.notify.channel.retry import RetryLater, RetryPolicy, with_retries
from services.notify.domain.model import DeliveryResult, Notification
from services.notify.domain.render import Rendered
from shared.events.base import Model


class SmtpConfig(Model):
    """How to reach the SMTP relay."""

    host: str = Field(description="SMTP relay host.", examples=["smtp.marelan.go.id"])
    port: int = Field(587, description="Port: 587 for submission with STARTTLS, 465 for implicit TLS.")
    sender: str = Field(
        description="From header and envelope sender.", examples=["Kinerja <no-reply@marelan.go.id>"]
    )
    starttls: bool = Field(True, description="Upgrade with STARTTLS; refuse to send if not offered.")
    use_tls: bool = Field(False, description="Implicit TLS from the first byte (port 465).")
    username: str | None = Field(None, description="Login, if the relay requires one.")
    password: str | None = Field(None, description="Password for ``username``.", repr=False)
    timeout_s: float = Field(30.0, description="Timeout of each SMTP command.", gt=0)
    validate_certs: bool = Field(True, description="Check the relay's TLS certificate.")


def build_message(
    notification: Notification, rendered: Rendered, *, sender: str, now: datetime | None = None
) -> EmailMessage:
    """A UTF-8 MIME message for ``notification``: text/plain, plus text/html when rendered has it.

    The Message-ID derives from the notification id, so a resent e-mail is the same message to
    mail clients; ``Auto-Submitted`` stops out-of-office replies (RFC 3834).
    """
    if notification.channel != "email" or not notification.address:
        raise ValueError(f"{notification.notification_id} is not an e-mail notification")
    domain = parseaddr(sender)[1].rpartition("@")[2] or "kinerja.invalid"
    msg = EmailMessage()
    msg["From"] = sender
    # Address() rejects CR/LF and other header injection in the recipient.
    msg["To"] = Address(addr_spec=notification.address)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = f"<{notification.notification_id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Kinerja-Event-Id"] = notification.source_event_id
    msg["X-Kinerja-Event-Type"] = notification.event_type
    msg.set_content(rendered.text, charset="utf-8")
    if rendered.html is not None:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    # After the content: set_content() drops every Content-* header set before it.
    msg["Content-Language"] = notification.language
    return msg


class EmailSender:
    """Sends e-mail notifications through one SMTP relay, one connection per message.

    :param config: relay settings.
    :param policy: attempts and backoff for transient failures.
    """

    def __init__(
        self,
        config: SmtpConfig,
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._config = config
        self._policy = policy or RetryPolicy(attempts=3, base_s=1.0, cap_s=60.0)

    async def send(self, notification: Notification, rendered: Rendered) -> DeliveryResult:
        """Send ``notification`` as rendered; retry transient failures; never raise for SMTP errors."""
        try:
            message = build_message(notification, rendered, sender=self._config.sender)
        except ValueError as exc:  # an address that cannot be put in a header: no retry will fix it
            return DeliveryResult(
                notification_id=notification.notification_id,
                delivered=False,
                attempts=1,
                error=f"cannot build message: {exc}"[:500],
                permanent=True,
            )

        async def attempt(number: int) -> DeliveryResult:
            code, error, permanent = await self._attempt(message)
            result = DeliveryResult(
                notification_id=notification.notification_id,
                delivered=error is None,
                attempts=number,
                status_code=code,
                error=error,
                permanent=error is not None and permanent,
            )
            if result.delivered or result.permanent:
                return result
            raise RetryLater(result)

        return await with_retries(self._policy, attempt)

    async def _attempt(self, message: EmailMessage) -> tuple[int | None, str | None, bool]:
        """One SMTP session: (reply code, error or None, permanent?)."""
        c = self._config
        try:
            await aiosmtplib.send(
                message,
                hostname=c.host,
                port=c.port,
                username=c.username,
                password=c.password,
                use_tls=c.use_tls,
                # None would mean "if offered"; with starttls on, a relay without STARTTLS must fail.
                start_tls=c.starttls and not c.use_tls,
                validate_certs=c.validate_certs,
                timeout=c.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            worst = max(codes, default=550)
            detail = exc.recipients[0].message if exc.recipients else ""
            return worst, f"recipient refused: {detail}"[:500], worst >= 500
        except aiosmtplib.SMTPResponseException as exc:
            return exc.code, f"SMTP {exc.code}: {exc.message}"[:500], exc.code >= 500
        except OSError as exc:  # refused, dropped or timed out (aiosmtplib's are OSErrors too)
            return None, f"{type(exc).__name__}: {exc}"[:500], False
        except aiosmtplib.SMTPException as exc:  # no STARTTLS or AUTH on the relay: fix the config
            return None, f"{type(exc).__name__}: {exc}"[:500], True
        return 250, None, False
