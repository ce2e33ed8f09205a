"""Chromium signs in on the local Dex's own login page and lands on the client's callback.

The smoke test of the browser toolchain (Debian's Chromium driven by Playwright) against a real
provider: the web's browser tests build on the same launch (tests/browser/chromium.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from shared.auth import Role
from tests.browser.chromium import chromium, screenshot_on_failure
from tests.oidc import authorize, callback_params, discovery, exchange, verified_claims
from tools.logins import login


class _Callback(BaseHTTPRequestHandler):
    """The client's redirect URI: answers a page and remembers the paths it was asked for."""

    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        # An icon of its own, so that Chromium asks for no /favicon.ico.
        body = b'<!doctype html><title>Kinerja</title><link rel=icon href="data:,"><p id=done>Signed in</p>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def callback() -> Iterator[tuple[str, list[str]]]:
    """A callback server on a free loopback port: its URL and the paths it served."""
    seen: list[str] = []
    handler = type("Handler", (_Callback,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/auth/callback", seen
    finally:
        server.shutdown()
        server.server_close()


async def test_chromium_signs_in_on_dex_and_lands_on_the_callback(
    callback: tuple[str, list[str]], request: pytest.FixtureRequest
) -> None:
    url, seen = callback
    supervisor = login("plaju", Role.SUPERVISOR)
    async with httpx.AsyncClient(timeout=10) as client:
        endpoints = await discovery(client)
        auth = authorize(endpoints["authorization_endpoint"], url)

        async with chromium() as browser:
            page = await browser.new_page()
            async with screenshot_on_failure(page, request.node.name):
                await page.goto(auth.url)
                await page.fill("#login", supervisor.email)
                await page.fill("#password", supervisor.password)
                await page.click("#submit-login")
                await page.wait_for_url(f"{url}?*")
                assert await page.text_content("#done") == "Signed in"
                landed = callback_params(page.url)

        assert landed["state"] == auth.state and landed["code"]
        assert [path.partition("?")[0] for path in seen] == ["/auth/callback"]
        tokens = await exchange(client, endpoints["token_endpoint"], auth, landed["code"])
        claims = await verified_claims(client, endpoints["jwks_uri"], tokens["id_token"], auth.nonce)
    assert claims["preferred_username"] == supervisor.nip
    assert claims["groups"] == ["role:supervisor", "region:plaju"]


async def test_a_failing_browser_test_leaves_a_screenshot(request: pytest.FixtureRequest) -> None:
    name = f"{request.node.name}-{id(request)}"
    async with chromium() as browser:
        page = await browser.new_page()
        await page.set_content("<h1>Kinerja</h1>")
        with pytest.raises(AssertionError):
            async with screenshot_on_failure(page, name) as path:
                raise AssertionError("the page was not what the test wanted")
    try:
        assert (await asyncio.to_thread(path.read_bytes)).startswith(b"\x89PNG")
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)
