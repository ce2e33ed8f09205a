"""Where a webhook may be sent: public addresses only, unless an operator allows a network.

A subscription names a URL and notify POSTs signed events to it from inside the region's network.
Without a check, anyone who may subscribe could make notify reach the cloud metadata service, the
database or another internal API (server-side request forgery). The rules, pure here and applied
by the subscription use cases and by the sender's connection guard
(:mod:`services.notify.channel.guard`):

- the URL is ``http`` or ``https`` with a host and without user information;
- the host is not a well-known metadata name;
- every address the host resolves to is globally routable: not loopback, private, link-local
  (169.254.0.0/16, where metadata services live), shared (100.64.0.0/10), multicast, reserved or
  unspecified, IPv4-mapped IPv6 judged by its IPv4 address;
- unless the address lies in a network the operator listed in ``KINERJA_WEBHOOK_ALLOWED_NETWORKS``
  (on-premises receivers, tests).
"""

from __future__ import annotations

import ipaddress
import math
import string
from collections.abc import Sequence
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_NAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)
MIN_SECRET_BITS = 256
"""Least estimated entropy of a subscription secret: an HMAC-SHA-256 key of 32 random bytes."""
MIN_SECRET_SYMBOLS = 10
"""Fewest distinct characters: a long run of one character has length but no entropy."""


def parse_networks(text: str) -> list[Network]:
    """Networks of ``KINERJA_WEBHOOK_ALLOWED_NETWORKS``: comma-separated CIDRs or addresses.

    :raises ValueError: an entry is not a network.
    """
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def url_problem(url: str) -> str | None:
    """Why ``url`` may not receive webhooks before any name is resolved, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{url!r} is not a valid URL"
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return f"{url!r} is not an http(s) URL"
    if parts.username is not None or parts.password is not None:
        return "webhook URLs may not carry user information; authenticate with the signature"
    if port == 0:
        return f"{url!r} names port 0"
    host = parts.hostname.rstrip(".").lower()
    if host in METADATA_NAMES:
        return f"{host} is a cloud metadata service"
    return None


def host_of(url: str) -> tuple[str, int]:
    """The host and port a webhook URL connects to (call after :func:`url_problem`)."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def address_problem(address: str, allowed: Sequence[Network] = ()) -> str | None:
    """Why a webhook may not connect to ``address`` (a resolved IP), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return None
    if ip.is_global and not ip.is_multicast:
        return None
    kind = next(
        (
            name
            for name, flag in (
                ("loopback", ip.is_loopback),
                ("link-local", ip.is_link_local),
                ("private", ip.is_private),
                ("multicast", ip.is_multicast),
                ("unspecified", ip.is_unspecified),
            )
            if flag
        ),
        "non-public",
    )
    return f"{address} is a {kind} address; webhooks go to public receivers only (or an allowed network)"


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` is too weak to key webhook signatures, or None.

    Entropy is estimated from the alphabet the secret draws on: 4 bits a character for hex, 6 for
    base64 / base64url, 6.5 for other printable ASCII. ``openssl rand -hex 32`` (64 characters)
    and ``secrets.token_urlsafe(32)`` (43) pass; a 16-character password does not.
    """
    alphabet = set(secret)
    if alphabet <= set(string.hexdigits):
        size = 16
    elif alphabet <= set(string.ascii_letters + string.digits + "-_+/="):
        size = 64
    else:
        size = 94
    bits = len(secret) * math.log2(size)
    if bits < MIN_SECRET_BITS or len(alphabet) < MIN_SECRET_SYMBOLS:
        return (
            f"the secret carries about {bits:.0f} bits; at least {MIN_SECRET_BITS} are needed "
            "(`openssl rand -hex 32`, or omit it and one is generated)"
        )
    return None
