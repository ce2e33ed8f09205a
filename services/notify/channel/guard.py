"""The webhook sender's connections: resolved, checked, then made to the checked address.

A receiver's name could resolve to a public address when the subscription is checked and to an
internal one when a delivery is made (DNS rebinding). So the check belongs where the connection is
made: :class:`GuardedBackend` is an httpcore network backend (httpcore's extension point for how
connections are opened) that resolves the host itself, refuses the connection when any address
fails :func:`~services.notify.domain.destination.address_problem`, and connects to the address it
checked. TLS still verifies the certificate against the URL's host name, since httpcore starts TLS
on the stream with the original host as server name.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore
import httpx

from services.notify.domain.destination import Network, address_problem


class RefusedDestination(httpcore.ConnectError):
    """The receiver's name resolved to an address webhooks may not reach."""


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, as the operating system resolves it (numeric forms such
    as ``2130706433`` or ``0x7f000001`` included)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def destination_problem(host: str, port: int, allowed: Sequence[Network]) -> str | None:
    """Why ``host`` may not receive webhooks now, or None; a name that does not resolve is None
    (the delivery checks again, and fails, while it does not)."""
    try:
        addresses = await resolve(host, port)
    except OSError:
        return None
    return next((p for a in addresses if (p := address_problem(a, allowed)) is not None), None)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's default backend, connecting only to addresses that pass the destination rules."""

    def __init__(self, allowed: Sequence[Network] = ()) -> None:
        self._allowed = list(allowed)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"{host} does not resolve: {exc}") from exc
        for address in addresses:
            if (problem := address_problem(address, self._allowed)) is not None:
                raise RefusedDestination(f"{host}: {problem}")
        return await self._inner.connect_tcp(
            addresses[0], port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedDestination("webhooks are not sent to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_client(allowed: Sequence[Network] = ()) -> httpx.AsyncClient:
    """The HTTP client of webhook deliveries: no redirects, no proxies from the environment, and
    every connection through :class:`GuardedBackend`."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx builds its httpcore pool without a way to pass a network backend; the pool below has
    # httpx's defaults otherwise (its SSL context, HTTP/1.1). tests/notify/test_webhook_destination.py
    # fails if an httpx upgrade stops routing connections through it.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=GuardedBackend(allowed),
    )
    return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False)


__all__ = ["GuardedBackend", "RefusedDestination", "destination_problem", "guarded_client"]
