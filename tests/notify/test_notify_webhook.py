"""Signed webhooks against a real HTTP receiver on loopback, and the signature scheme itself."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from stamina.instrumentation import set_on_retry_hooks

from services.notify.channel import (
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    STANDARD_ID_HEADER,
    STANDARD_SIGNATURE_HEADER,
    RetryPolicy,
    WebhookSender,
    sign,
    signature_header,
    verify,
)
from services.notify.domain import Directory, Notification, Subscription, plan_notifications
from shared.events.scoring import CalibrationApplied, Predicate
from tests.notify.loopback import signed

SECRET = "5f0c3b9e2a7d4c1f8e6b0a9d3c2e1f4a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"
FAST = RetryPolicy(attempts=4, base_s=0.001, cap_s=0.01)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool


@dataclass
class Receiver:
    """A tiny HTTP/1.1 server: answers with ``script`` in order, then with ``default``."""

    secret: str
    script: list[int] = field(default_factory=list)
    default: int = 200
    extra_headers: str = ""
    requests: list[Received] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        lines = head.split("\r\n")[1:]
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines if ln)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        ok = signed(self.secret, headers, body)
        self.requests.append(Received(headers, body, ok))
        status = self.script.pop(0) if self.script else self.default
        text = b"receiver says no" if status >= 300 else b"ok"
        head_out = f"HTTP/1.1 {status} X\r\nContent-Length: {len(text)}\r\nConnection: close\r\n"
        writer.write(f"{head_out}{self.extra_headers}\r\n".encode() + text)
        await writer.drain()
        writer.close()
        await writer.wait_closed()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    r = Receiver(SECRET)
    server = await asyncio.start_server(r.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield r, f"http://127.0.0.1:{port}/hooks/kinerja"
        server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


def hook(url: str) -> tuple[Notification, Subscription]:
    sub = Subscription(
        subscription_id="sub-simpeg",
        region="marelan",
        event_types=frozenset({"scoring.calibration_applied"}),
        url=url,
        secret=SECRET,
    )
    event = CalibrationApplied.build(
        region="marelan",
        correlation_id="req-1",
        producer="scoring",
        key="198503122010011002",
        cycle_id="marelan-2026",
        nip="198503122010011002",
        unit_id="dinkes",
        previous_predicate=Predicate.BAIK,
        predicate=Predicate.SANGAT_BAIK,
        decision="overridden",
        decided_by="official-7",
        reason="Capaian luar biasa — pelayanan pasien",
    )
    (n,) = plan_notifications(event, Directory.of("marelan", subscriptions=[sub]))
    return n, sub


@pytest.fixture
def waits() -> Iterator[list[float]]:
    """The back-off waits stamina schedules (real, short ones), seen through its retry hooks."""
    seen: list[float] = []
    set_on_retry_hooks([lambda details: seen.append(details.wait_for)])
    try:
        yield seen
    finally:
        set_on_retry_hooks(None)  # stamina's own hooks again (logging, Prometheus)


async def test_delivery_is_signed_and_verifies_at_the_receiver(
    receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    r, url = receiver
    n, sub = hook(url)
    result = await WebhookSender(client, policy=FAST).send(n, sub)
    assert (result.delivered, result.attempts, result.status_code) == (True, 1, 200)
    (got,) = r.requests
    assert got.signature_ok
    assert got.headers[EVENT_ID_HEADER.lower()] == n.source_event_id
    assert got.headers[EVENT_TYPE_HEADER.lower()] == "scoring.calibration_applied"
    assert got.headers[DELIVERY_ID_HEADER.lower()] == n.notification_id
    payload = json.loads(got.body)
    assert payload["predicate"] == "sangat_baik"
    assert payload["reason"] == "Capaian luar biasa — pelayanan pasien"  # UTF-8 survives the trip
    assert not verify("another-secret-entirely-000", got.headers[SIGNATURE_HEADER.lower()], got.body)
    assert not signed("another-secret-entirely-000", got.headers, got.body)
    assert got.headers[STANDARD_ID_HEADER] == n.notification_id  # receivers deduplicate on it
    assert got.headers[STANDARD_SIGNATURE_HEADER].startswith("v1,")


async def test_receiver_failing_twice_gets_it_on_the_third_attempt(
    receiver: tuple[Receiver, str], client: httpx.AsyncClient, waits: list[float]
) -> None:
    r, url = receiver
    r.script = [500, 503]
    result = await WebhookSender(client, policy=FAST).send(*hook(url))
    assert (result.delivered, result.attempts, result.error) == (True, 3, None)
    assert len(r.requests) == 3 and all(q.signature_ok for q in r.requests)
    assert len({q.headers[DELIVERY_ID_HEADER.lower()] for q in r.requests}) == 1  # one delivery, retried
    # Exponential from base_s, with up to base_s of jitter, never past the cap.
    assert len(waits) == 2
    assert all(
        FAST.base_s * 2**i <= w <= min(FAST.cap_s, FAST.base_s * (2**i + 1)) for i, w in enumerate(waits)
    )


async def test_receiver_always_failing_gives_a_failed_result_after_all_attempts(
    receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    r, url = receiver
    r.default = 502
    result = await WebhookSender(client, policy=FAST).send(*hook(url))
    assert (result.delivered, result.attempts, result.status_code, result.permanent) == (False, 4, 502, False)
    assert result.error == "HTTP 502: receiver says no"
    assert len(r.requests) == FAST.attempts


async def test_client_errors_are_permanent_and_not_retried(
    receiver: tuple[Receiver, str], client: httpx.AsyncClient
) -> None:
    r, url = receiver
    r.default = 410
    result = await WebhookSender(client, policy=FAST).send(*hook(url))
    assert (result.delivered, result.attempts, result.permanent) == (False, 1, True)
    assert len(r.requests) == 1


async def test_retry_after_is_honoured_up_to_the_cap(
    receiver: tuple[Receiver, str], client: httpx.AsyncClient, waits: list[float]
) -> None:
    r, url = receiver
    r.script, r.extra_headers = [429], "Retry-After: 120\r\n"
    result = await WebhookSender(client, policy=FAST).send(*hook(url))
    assert (result.delivered, result.attempts) == (True, 2)
    assert waits == [FAST.cap_s]


async def test_a_retry_after_shorter_than_the_backoff_does_not_shorten_it(
    receiver: tuple[Receiver, str], client: httpx.AsyncClient, waits: list[float]
) -> None:
    r, url = receiver
    r.script, r.extra_headers = [503, 503], "Retry-After: 0\r\n"
    result = await WebhookSender(client, policy=FAST).send(*hook(url))
    assert (result.delivered, result.attempts) == (True, 3)
    assert waits == [FAST.base_s, FAST.base_s * 2]


async def test_unreachable_receiver_fails_with_the_network_error(client: httpx.AsyncClient) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()  # nothing listens on this port any more
    result = await WebhookSender(client, policy=FAST.model_copy(update={"attempts": 2})).send(
        *hook(f"http://127.0.0.1:{port}/")
    )
    assert (result.delivered, result.attempts, result.status_code) == (False, 2, None)
    assert result.error is not None and "ConnectError" in result.error


async def test_sender_refuses_inactive_or_mismatched_subscriptions(client: httpx.AsyncClient) -> None:
    n, sub = hook("http://127.0.0.1:9/")
    sender = WebhookSender(client, policy=FAST)
    with pytest.raises(ValueError, match="inactive"):
        await sender.send(n, sub.model_copy(update={"active": False}))
    with pytest.raises(ValueError, match="is not for"):
        await sender.send(n, sub.model_copy(update={"subscription_id": "sub-other"}))


# ------------------------------------------------------------------ signature scheme


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    # Reference value computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac k
    expected = "1b6ad1bc9bf48c52ce01939866d5877c6cc4e87ddad27e16673cb8c4964394a3"
    assert sign("k", 1700000000, b'{"a":1}') == expected
    assert sign("k", 1700000000, '{"a":1}') == expected
    header = signature_header(SECRET, 1700000000, b"{}")
    assert header == f"t=1700000000,v1={sign(SECRET, 1700000000, b'{}')}"
    assert verify(SECRET, header, b"{}", now=1700000000 + 299)


@pytest.mark.parametrize(
    ("header_of", "body", "now"),
    [
        (lambda h: h, b'{"tampered":true}', 1700000000),  # body changed
        (lambda h: h, b"{}", 1700000000 + 301),  # too old: a replayed capture
        (lambda h: h, b"{}", 1700000000 - 301),  # from the future
        (lambda h: h.split(",")[1], b"{}", 1700000000),  # no timestamp
        (lambda h: h.split(",")[0], b"{}", 1700000000),  # no signature
        (lambda h: "garbage", b"{}", 1700000000),
    ],
)
def test_verify_rejects(header_of: Callable[[str], str], body: bytes, now: float) -> None:
    header = signature_header(SECRET, 1700000000, b"{}")
    assert not verify(SECRET, header_of(header), body, now=now)


def test_verify_accepts_any_signature_during_secret_rotation() -> None:
    header = signature_header(["old-secret-0123456789", SECRET], 1700000000, b"{}")
    assert header.count("v1=") == 2
    assert verify(SECRET, header, b"{}", now=1700000000)
    assert verify("old-secret-0123456789", header, b"{}", now=1700000000)


def test_a_policy_cap_is_not_below_its_base() -> None:
    with pytest.raises(ValueError, match="cap_s"):
        RetryPolicy(base_s=2.0, cap_s=1.0)
