"""Fixtures of the notify integration tests: loopback SMTP and webhook receivers, settings, Kafka input.

Fixtures only; the receivers and event builders live in tests/notify/loopback.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from aiokafka import AIOKafkaProducer

from services.notify.config import NotifySettings
from shared.auth import Role, issue_token
from shared.events.base import Event
from shared.settings import Settings
from tests.notify.loopback import Auth, EphemeralController, Mailbox, Publish, Receiver


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = EphemeralController(box, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    server = await asyncio.start_server(r.handle, "127.0.0.1", 0)
    r.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks/kinerja"
    async with server:
        yield r
        server.close()


@pytest.fixture
def notify_settings(mailbox: tuple[Mailbox, int]) -> NotifySettings:
    """The loopback SMTP server, and backoff short enough for tests."""
    return NotifySettings(
        smtp_host="127.0.0.1",
        smtp_port=mailbox[1],
        smtp_from="Kinerja <no-reply@marelan.go.id>",
        smtp_starttls=False,
        # The receivers of these tests listen on loopback, which webhooks may reach only when allowed.
        webhook_allowed_networks="127.0.0.0/8",
        email_attempts=2,
        email_backoff_s=0.01,
        email_backoff_cap_s=0.05,
        webhook_attempts=3,
        webhook_backoff_s=0.01,
        webhook_backoff_cap_s=0.05,
        webhook_timeout_s=5.0,
        delivery_poll_s=0.2,
        hr_emails={"marelan": "bkpsdm@marelan.go.id"},
    )


@pytest.fixture
async def publish(isolated_settings: Settings) -> AsyncIterator[Publish]:
    """Publish events (or raw bytes) to their topic of this test, as another service would."""
    producer = AIOKafkaProducer(bootstrap_servers=isolated_settings.kafka_bootstrap)
    await producer.start()

    async def send(*events: Event, raw: bytes | None = None, topic: str | None = None) -> None:
        for event in events:
            value = raw if raw is not None else event.to_bytes()
            name = isolated_settings.topic(topic or event.TOPIC)
            await producer.send_and_wait(name, value, key=event.key.encode())

    yield send
    await producer.stop()


@pytest.fixture
def auth(isolated_settings: Settings) -> Auth:
    """Authorization header of a bearer token for the given role, region and NIP."""

    def header(role: Role, region: str | None = "marelan", nip: str | None = None) -> dict[str, str]:
        token = issue_token(
            isolated_settings, subject=f"{role}-{nip or 'x'}", role=role, region=region, nip=nip
        )
        return {"Authorization": f"Bearer {token}"}

    return header
