"""E-mail through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from services.notify.channel import EmailSender, RetryPolicy, SmtpConfig, build_message
from services.notify.domain import Directory, Language, Notification, Person, plan_notifications, render
from shared.events.scoring import (
    Explanation,
    InputRef,
    Predicate,
    Rating,
    Score,
    ScoreFinalized,
)

NIP = "198503122010011002"
FAST = RetryPolicy(attempts=3, base_s=0.001, cap_s=0.01)


@dataclass
class Mailbox:
    """aiosmtpd handler: refuses the first messages with ``script`` replies, keeps the rest."""

    script: list[str] = field(default_factory=list)
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    tries: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.tries += 1
        if self.script:
            return self.script.pop(0)
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


class EphemeralController(Controller):  # type: ignore[misc]
    """Controller on port 0: learns the port the OS chose before it connects to itself."""

    def _trigger_server(self) -> None:
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, SmtpConfig]]:
    box = Mailbox()
    controller = EphemeralController(box, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield (
            box,
            SmtpConfig(
                host="127.0.0.1",
                port=controller.port,
                sender="Kinerja <no-reply@marelan.go.id>",
                starttls=False,
            ),
        )
    finally:
        controller.stop()


def mail_for(language: Language, name: str = "Siti Rahmawati") -> Notification:
    p = Person(
        nip=NIP, region="marelan", name=name, unit_id="dinkes", language=language, email="siti@example.id"
    )
    score = Score(
        cycle_id="marelan-2026",
        nip=NIP,
        unit_id="dinkes",
        rubric_id="marelan",
        rubric_version="1.0.0",
        results_score=91,
        behaviour_score=88,
        results_rating=Rating.ABOVE,
        behaviour_rating=Rating.MEETS,
        predicate=Predicate.BAIK,
        explanation=Explanation(
            inputs_used=[InputRef(event_id="peer-evt-9", kind="feedback:peer")], weights={}
        ),
        inputs_digest="cd" * 32,
    )
    event = ScoreFinalized.build(
        region="marelan", correlation_id="req-1", producer="scoring", key=NIP, score=score
    )
    (n,) = [n for n in plan_notifications(event, Directory.of("marelan", [p])) if n.channel == "email"]
    return n


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        (
            "id",
            "Predikat kinerja Anda untuk marelan-2026: Baik",
            ["Yth. Siti Rahmawati", "Sesuai Ekspektasi"],
        ),
        (
            "en",
            "Your performance predicate for marelan-2026: Good",
            ["Dear Siti Rahmawati", "Meets expectations"],
        ),
    ],
)
async def test_mail_arrives_in_the_recipients_language(
    smtp: tuple[Mailbox, SmtpConfig], language: Language, subject: str, words: list[str]
) -> None:
    box, config = smtp
    n = mail_for(language)
    result = await EmailSender(config, policy=FAST).send(n, render(n))
    assert (result.delivered, result.attempts) == (True, 1)
    ((rcpt, msg),) = box.messages
    assert rcpt == ["siti@example.id"]
    assert msg["Subject"] == subject
    assert msg["To"] == "siti@example.id"
    assert msg["Message-ID"] == f"<{n.notification_id}@marelan.go.id>"
    assert msg["Content-Language"] == language
    assert msg["Auto-Submitted"] == "auto-generated"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    for word in words:
        assert word in text.get_content()
        assert word in html.get_content()
    assert "peer-evt-9" not in msg.as_string()


async def test_non_ascii_survives_as_utf8(smtp: tuple[Mailbox, SmtpConfig]) -> None:
    box, config = smtp
    n = mail_for("id", name="Ni Luh Putu Ayu Wédarī")
    result = await EmailSender(config, policy=FAST).send(n, render(n))
    assert result.delivered
    ((_, msg),) = box.messages
    body = msg.get_body(("plain",))
    assert body is not None
    assert body.get_content_charset() == "utf-8"
    assert "Yth. Ni Luh Putu Ayu Wédarī," in body.get_content()


async def test_temporary_refusals_are_retried(smtp: tuple[Mailbox, SmtpConfig]) -> None:
    box, config = smtp
    box.script = ["451 4.3.0 try again later", "421 4.7.0 busy"]
    n = mail_for("id")
    result = await EmailSender(config, policy=FAST).send(n, render(n))
    assert (result.delivered, result.attempts) == (True, 3)
    assert len(box.messages) == 1


async def test_permanent_refusal_is_not_retried(smtp: tuple[Mailbox, SmtpConfig]) -> None:
    box, config = smtp
    box.script = ["554 5.7.1 rejected by policy"]
    n = mail_for("en")
    result = await EmailSender(config, policy=FAST).send(n, render(n))
    assert (result.delivered, result.attempts, result.permanent, result.status_code) == (False, 1, True, 554)
    assert result.error is not None and "rejected by policy" in result.error
    assert box.tries == 1 and box.messages == []


async def test_persistent_temporary_refusal_fails_after_all_attempts(
    smtp: tuple[Mailbox, SmtpConfig],
) -> None:
    box, config = smtp
    box.script = ["451 4.3.0 try again later"] * 10
    n = mail_for("id")
    result = await EmailSender(config, policy=FAST).send(n, render(n))
    assert (result.delivered, result.attempts, result.permanent) == (False, 3, False)
    assert box.tries == 3


async def test_starttls_required_but_not_offered_fails_without_sending(
    smtp: tuple[Mailbox, SmtpConfig],
) -> None:
    box, config = smtp
    n = mail_for("id")
    result = await EmailSender(config.model_copy(update={"starttls": True}), policy=FAST).send(n, render(n))
    assert not result.delivered and result.permanent
    assert box.tries == 0


def test_header_injection_in_the_address_is_refused() -> None:
    n = mail_for("id").model_copy(update={"address": "siti@example.id\r\nBcc: all@example.id"})
    with pytest.raises(ValueError):
        build_message(n, render(n), sender="Kinerja <no-reply@marelan.go.id>")
