"""Webhooks go to public receivers only: refused at subscription and again at every connection,
after name resolution, unless an operator allows the network (server-side request forgery)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from services.notify.app import create_app
from services.notify.channel.guard import guarded_client
from services.notify.config import NotifySettings
from services.notify.domain.destination import address_problem, parse_networks, secret_problem
from shared.auth import Role
from shared.settings import Settings
from tests.notify.loopback import SECRET, Auth, Receiver

PROBLEM = "https://kinerja.example.id/problems/"
#: What an outside run subscribed with 201, each with the problem it must now get.
INTERNAL = {
    "http://169.254.169.254/latest/meta-data/": "internal-destination",
    "http://metadata.google.internal/": "invalid-url",
    "http://10.0.0.1/": "internal-destination",
    "http://127.0.0.1:27018/": "internal-destination",
    "http://[::1]:8081/": "internal-destination",
    "http://2130706433/": "internal-destination",
    "http://0x7f000001/": "internal-destination",
    "http://localhost:8084/": "internal-destination",
    "http://admin:pw@receiver.example.org/": "invalid-url",
    "http://[::ffff:127.0.0.1]/": "internal-destination",
}


async def test_internal_addresses_and_weak_secrets_are_refused_at_subscription(
    isolated_settings: Settings, notify_settings: NotifySettings, auth: Auth
) -> None:
    strict = notify_settings.model_copy(update={"webhook_allowed_networks": ""})
    admin = auth(Role.REGION_ADMIN)
    async with AsyncTestClient(create_app(isolated_settings, strict)) as client:

        async def subscribe(url: str, **extra: Any) -> httpx.Response:
            body = {"event_types": ["scoring.score_finalized"], "url": url, **extra}
            return await client.post("/subscriptions", json=body, headers=admin)

        for url, slug in INTERNAL.items():
            response = await subscribe(url)
            assert (response.status_code, response.json()["type"]) == (422, PROBLEM + slug), url
        # A public name (it resolves nowhere here: checked again, and refused, at delivery).
        public = await subscribe("https://simpeg.example.id/hooks")
        assert public.status_code == 201, public.text
        sub_id = public.json()["subscription_id"]
        moved = await client.patch(
            f"/subscriptions/{sub_id}", json={"url": "http://10.1.2.3/"}, headers=admin
        )
        assert (moved.status_code, moved.json()["type"]) == (422, PROBLEM + "internal-destination")

        weak = await subscribe("https://simpeg.example.id/hooks", secret="whsec-0123456789abcdef0123456789")
        assert (weak.status_code, weak.json()["type"]) == (422, PROBLEM + "weak-secret")
        short = await subscribe("https://simpeg.example.id/hooks", secret="0123456789abcdef")
        assert short.status_code == 400
        strong = await subscribe("https://simpeg.example.id/hooks", secret=SECRET)
        assert strong.status_code == 201, strong.text


async def test_an_allowed_network_is_accepted(
    isolated_settings: Settings, notify_settings: NotifySettings, auth: Auth
) -> None:
    on_premises = notify_settings.model_copy(update={"webhook_allowed_networks": "10.20.0.0/16"})
    async with AsyncTestClient(create_app(isolated_settings, on_premises)) as client:
        body = {"event_types": ["scoring.score_finalized"], "url": "http://10.20.3.4/hooks"}
        response = await client.post("/subscriptions", json=body, headers=auth(Role.REGION_ADMIN))
        assert response.status_code == 201, response.text


async def test_the_connection_is_checked_after_resolution_and_made_to_the_checked_address() -> None:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    # A name, not an address: what it resolves to is only known when the connection is made.
    url = f"http://localhost:{port}/hooks"
    async with server:
        strict = guarded_client()
        try:
            with pytest.raises(httpx.ConnectError, match="loopback address"):
                await strict.post(url, content=b"{}")
        finally:
            await strict.aclose()
        assert receiver.hits == [], "a refused destination must not be reached"
        allowed = guarded_client(parse_networks("127.0.0.0/8, ::1/128"))
        try:
            response = await allowed.post(url, content=b"{}")
        finally:
            await allowed.aclose()
        server.close()
    assert response.status_code == 200 and len(receiver.hits) == 1


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
        ("100.64.0.1", True),  # shared address space (carrier-grade NAT)
        ("192.168.1.1", True),
        ("fd00::1", True),
        ("fe80::1%eth0", True),
        ("224.0.0.1", True),
        ("0.0.0.0", True),
    ],
)
def test_address_rules(address: str, refused: bool) -> None:
    assert (address_problem(address) is not None) is refused


def test_secret_entropy_estimate() -> None:
    assert secret_problem("a" * 80) is not None  # long, but one character
    assert secret_problem("0123456789abcdef" * 2) is not None  # 128 bits of hex
    assert secret_problem("5f0c3b9e2a7d4c1f8e6b0a9d3c2e1f4a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e") is None
    assert secret_problem("Xq3vZk9_pL2mN8rT5wY1aB4cD7eF0gH6jK3sU9iO2uV") is None  # token_urlsafe(32)
