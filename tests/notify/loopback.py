"""Real receivers on loopback for the notify integration tests, and the events they are fed.

An SMTP server (aiosmtpd) that keeps what it is sent, an HTTP receiver that verifies webhook
signatures and answers as scripted, and builders of the input events. Imported by the tests and
by tests/notify/conftest.py (which only wraps them in fixtures).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.notify.channel import SIGNATURE_HEADER, standard_secret, verify
from shared.events.feedback import CycleKind, CycleOpened, Employee, EmployeeUpserted, EmploymentType
from shared.events.scoring import (
    Explanation,
    InputRef,
    MissingInput,
    Predicate,
    Rating,
    Score,
    ScoreFinalized,
    ScoreHeld,
)

REGION = "marelan"
SITI = "198503122010011002"  # the employee scored
BUDI = "197801012005011001"  # her supervisor
ANI = "199001012015012003"  # her peer: her NIP is in the score's explanation and must go nowhere
SECRET = "5f0c3b9e2a7d4c1f8e6b0a9d3c2e1f4a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"


@dataclass
class Mailbox:
    """aiosmtpd handler that keeps every message it accepts."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if rcpt == [address]]


class EphemeralController(Controller):  # type: ignore[misc]
    """Controller on port 0: learns the port the OS chose before it connects to itself."""

    def _trigger_server(self) -> None:
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Whether both signatures of a delivery verify, checked as a receiver would: the Standard
    Webhooks one with that scheme's own library and the ``whsec_`` form of the secret, and the
    deprecated ``X-Kinerja-Signature``."""
    try:
        Webhook(standard_secret(secret)).verify(body, headers, json_parse=False)
    except WebhookVerificationError:
        return False
    return verify(secret, headers.get(SIGNATURE_HEADER.lower(), ""), body)


#: The ``publish`` fixture: sends events to the session's topics.
Publish = Callable[..., Awaitable[None]]
#: The ``auth`` fixture: the Authorization header of a token for a role (and region, NIP).
Auth = Callable[..., dict[str, str]]


@dataclass
class Hit:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    status: int


@dataclass
class Receiver:
    """A tiny HTTP/1.1 webhook receiver: answers with ``script`` in order, then with ``default``."""

    secret: str = SECRET
    script: list[int] = field(default_factory=list)
    default: int = 200
    hits: list[Hit] = field(default_factory=list)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        lines = head.split("\r\n")[1:]
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines if ln)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        ok = signed(self.secret, headers, body)
        status = self.script.pop(0) if self.script else self.default
        self.hits.append(Hit(headers, body, ok, status))
        text = b"receiver says no" if status >= 300 else b"ok"
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: {len(text)}\r\nConnection: close\r\n\r\n".encode() + text
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    def accepted(self) -> list[Hit]:
        return [h for h in self.hits if 200 <= h.status < 300]


def employee(
    nip: str, name: str, *, language: str = "id", email: str | None = None, supervisor: str | None = None
) -> EmployeeUpserted:
    event: EmployeeUpserted = EmployeeUpserted.build(
        region=REGION,
        correlation_id="test-import",
        producer="feedback",
        key=nip,
        employee=Employee(
            nip=nip,
            name=name,
            position="Perawat Ahli Muda",
            unit_id="dinkes",
            supervisor_nip=supervisor,
            employment_type=EmploymentType.PNS,
            language=language,  # type: ignore[arg-type]
            email=email,
        ),
    )
    return event


def people() -> list[EmployeeUpserted]:
    """Siti (English, with e-mail), her supervisor Budi (Indonesian, with e-mail), her peer Ani."""
    return [
        employee(SITI, "Siti Rahmawati", language="en", email="siti@example.id", supervisor=BUDI),
        employee(BUDI, "Budi Santoso", email="budi@example.id"),
        employee(ANI, "Ani Lestari", supervisor=BUDI),
    ]


def score_finalized(nip: str = SITI) -> ScoreFinalized:
    event: ScoreFinalized = ScoreFinalized.build(
        region=REGION, correlation_id="req-score", producer="scoring", key=nip, score=_score(nip)
    )
    return event


def score_held(nip: str = SITI) -> ScoreHeld:
    """A closed cycle's score without the supervisor's assessment (docs/scoring.md, held scores)."""
    event: ScoreHeld = ScoreHeld.build(
        region=REGION,
        correlation_id="req-held",
        producer="scoring",
        key=nip,
        score=_score(nip),
        missing=[MissingInput.SUPERVISOR_ASSESSMENT],
    )
    return event


def _score(nip: str) -> Score:
    return Score(
        cycle_id="marelan-2026",
        nip=nip,
        unit_id="dinkes",
        rubric_id="marelan",
        rubric_version="1.0.0",
        results_score=91,
        behaviour_score=88,
        results_rating=Rating.ABOVE,
        behaviour_rating=Rating.MEETS,
        predicate=Predicate.BAIK,
        explanation=Explanation(
            inputs_used=[InputRef(event_id="peer-evt-9", kind="feedback:peer")],
            weights={"peer": 0.35},
            steps=[f"peer {ANI} rated 4"],
        ),
        inputs_digest="cd" * 32,
    )


def cycle_opened() -> CycleOpened:
    event: CycleOpened = CycleOpened.build(
        region=REGION,
        correlation_id="req-cycle",
        producer="feedback",
        key="marelan-2026",
        cycle_id="marelan-2026",
        kind=CycleKind.ANNUAL,
        period_start="2026-01-01",
        period_end="2026-12-31",
        window_opens="2026-01-05T01:00:00Z",
        window_closes="2027-01-31T08:00:00Z",
    )
    return event


async def reports(read: Callable[..., Awaitable[list[Any]]], topic: str, n: int) -> list[dict[str, Any]]:
    """The first ``n`` distinct delivery reports on ``topic``, in order.

    The outbox relay may publish an event twice (nudged and swept at once); consumers drop the
    repeat by event id, and so does this.
    """
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(20):
        for record in await read(topic, len(seen) + n, timeout=3.0):
            event = json.loads(record.value)
            seen.setdefault(event["event_id"], event)
        if len(seen) >= n:
            break
    return list(seen.values())[:n]
