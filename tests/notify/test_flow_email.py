"""E-mail end to end: events on the real Kafka, the directory in FerretDB, mail at a loopback SMTP server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.testing import AsyncTestClient
from motor.motor_asyncio import AsyncIOMotorClient

from services.notify.app import create_app
from services.notify.config import NotifySettings
from shared.events.notify import DELIVERIES_TOPIC
from shared.settings import Settings
from tests.notify.loopback import ANI, SITI, Mailbox, Publish, people, reports, score_finalized

Eventually = Callable[..., Awaitable[Any]]


async def test_final_score_is_mailed_to_the_employee_and_supervisor_in_their_languages(
    isolated_settings: Settings,
    notify_settings: NotifySettings,
    mailbox: tuple[Mailbox, int],
    mongo: AsyncIOMotorClient[dict[str, Any]],
    publish: Publish,
    eventually: Eventually,
    read_topic: Callable[..., Awaitable[list[Any]]],
) -> None:
    box, _ = mailbox
    app = create_app(isolated_settings, notify_settings)
    db = mongo[isolated_settings.database("notify")]
    async with AsyncTestClient(app):
        await publish(*people())
        assert await eventually(lambda: _count(db["people"], {}, 3), timeout=60), "the directory was not fed"
        event = score_finalized()
        await publish(event)
        assert await eventually(lambda: _mail_count(box, 2), timeout=60), "the e-mails did not arrive"
        sent = await reports(read_topic, isolated_settings.topic(DELIVERIES_TOPIC), 4)

    (siti,) = box.to("siti@example.id")
    assert siti["Subject"] == "Your performance predicate for marelan-2026: Good"
    assert siti["Content-Language"] == "en"
    assert siti["X-Kinerja-Event-Id"] == str(event.event_id)
    siti_text = siti.get_body(("plain",))
    assert siti_text is not None and "Dear Siti Rahmawati" in siti_text.get_content()

    (budi,) = box.to("budi@example.id")
    assert budi["Content-Language"] == "id"
    assert "Siti Rahmawati" in budi["Subject"] or "Siti Rahmawati" in budi.as_string()
    assert "Baik" in budi.as_string()
    for _, msg in box.messages:  # nothing from the explanation, and never the peer
        raw = msg.as_string()
        assert ANI not in raw and "peer-evt-9" not in raw and "Ani Lestari" not in raw

    delivered = sorted((r["channel"], r["recipient"]) for r in sent)
    assert delivered == [
        ("email", "budi@example.id"),
        ("email", "siti@example.id"),
        ("inbox", "197801012005011001"),
        ("inbox", SITI),
    ]


async def _count(collection: Any, query: dict[str, Any], n: int) -> bool:
    return bool(await collection.count_documents(query) >= n)


async def _mail_count(box: Mailbox, n: int) -> bool:
    return len(box.messages) >= n
