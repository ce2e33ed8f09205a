"""Settings of the notify service alone (SMTP relay, retry policies, delivery worker, HR mailboxes).

Read from ``KINERJA_*`` environment variables like :class:`shared.settings.Settings`, and
documented in docs/configuration.md under "Notify".
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notify.channel import RetryPolicy, SmtpConfig
from services.notify.domain import Language
from services.notify.domain.destination import Network, parse_networks


class NotifySettings(BaseSettings):
    """Configuration of the notify service's channels and delivery worker."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_", extra="ignore")

    smtp_host: str = Field("127.0.0.1", description="SMTP server host.")
    smtp_port: int = Field(1025, description="SMTP server port.")
    smtp_from: str = Field("kinerja@localhost", description="Sender address.")
    smtp_username: str | None = Field(None, description="SMTP user, when the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    smtp_tls: bool = Field(False, description="Implicit TLS from the first byte (port 465).")
    smtp_timeout_s: float = Field(30.0, description="Timeout of each SMTP command.", gt=0)
    email_attempts: int = Field(3, description="Attempts per e-mail before it is recorded as failed.", ge=1)
    email_backoff_s: float = Field(
        1.0, description="First e-mail retry wait, and the most jitter added to each.", ge=0
    )
    email_backoff_cap_s: float = Field(60.0, description="Upper bound of any e-mail retry delay.", ge=0)
    webhook_attempts: int = Field(
        5, description="Attempts per webhook before it becomes a dead letter.", ge=1, le=20
    )
    webhook_backoff_s: float = Field(
        0.5,
        description="First webhook retry wait (doubling per attempt), and the most jitter added to each.",
        ge=0,
    )
    webhook_backoff_cap_s: float = Field(30.0, description="Upper bound of any webhook retry delay.", ge=0)
    webhook_timeout_s: float = Field(10.0, description="Timeout of each webhook POST.", gt=0)
    webhook_allowed_networks: str = Field(
        "",
        description=(
            "Comma-separated networks (CIDR) that webhooks may reach although they are not public:"
            " on-premises receivers, tests. Empty: public addresses only; loopback, private,"
            " link-local and metadata addresses are refused at subscription and at every delivery."
        ),
    )
    delivery_concurrency: int = Field(16, description="Deliveries one process sends at once.", ge=1)
    delivery_poll_s: float = Field(
        1.0, description="How often the delivery worker looks for due deliveries when not nudged.", gt=0
    )
    delivery_lease_s: float = Field(
        600.0,
        description=(
            "How long a delivery may stay in progress before it is presumed interrupted (the process "
            "died mid-send) and recorded as failed, to be replayed on request."
        ),
        gt=0,
    )
    hr_emails: dict[str, str] = Field(
        default_factory=dict,
        description='Shared HR mailbox per region, as JSON: `{"marelan": "bkpsdm@marelan.go.id"}`.',
    )
    hr_language: Language = Field("id", description="Language of HR desk notifications.")
    timezone: str = Field("Asia/Jakarta", description="IANA time zone that times in messages are shown in.")

    def smtp(self) -> SmtpConfig:
        """The channel adapter's view of the relay settings."""
        return SmtpConfig(
            host=self.smtp_host,
            port=self.smtp_port,
            sender=self.smtp_from,
            starttls=self.smtp_starttls,
            use_tls=self.smtp_tls,
            username=self.smtp_username,
            password=self.smtp_password.get_secret_value() if self.smtp_password else None,
            timeout_s=self.smtp_timeout_s,
        )

    def allowed_networks(self) -> list[Network]:
        """Networks webhooks may reach although they are not public (``webhook_allowed_networks``)."""
        return parse_networks(self.webhook_allowed_networks)

    def email_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.email_attempts, base_s=self.email_backoff_s, cap_s=self.email_backoff_cap_s
        )

    def webhook_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.webhook_attempts, base_s=self.webhook_backoff_s, cap_s=self.webhook_backoff_cap_s
        )
