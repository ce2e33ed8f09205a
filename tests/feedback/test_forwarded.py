"""The citizen rate limit counts the peer address; forwarding headers only from configured proxies.

uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise, which let any local
client pick the address the limit counts. These run the real server process, as deployed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.faults.harness import free_port

URL = "/public/regions/marelan/citizen-feedback"
BODY = {"cycle_id": "no-such-cycle", "unit_id": "dinkes", "ratings": {"pelayanan": 4}}


def _serve(env: dict[str, str], proxies: str) -> Iterator[str]:
    port = free_port()
    env = {**env, "KINERJA_HTTP_PORT": str(port), "KINERJA_TRUSTED_PROXIES": proxies}
    process = subprocess.Popen([sys.executable, "-m", "services.feedback"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the feedback service exited"
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def untrusting(settings_env: dict[str, str]) -> Iterator[str]:
    yield from _serve(settings_env, "")


@pytest.fixture
def behind_proxy(settings_env: dict[str, str]) -> Iterator[str]:
    yield from _serve(settings_env, "127.0.0.1")


def _statuses(base: str, count: int) -> list[int]:
    with httpx.Client(base_url=base, timeout=10) as client:
        return [
            client.post(URL, json=BODY, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(count)
        ]


def test_forwarded_for_does_not_reset_the_citizen_limit_by_default(untrusting: str) -> None:
    statuses = _statuses(untrusting, 30)
    # 10 per window from one address: the rest are refused, whatever the header says.
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429] * 20, statuses


def test_a_configured_proxy_is_believed(behind_proxy: str) -> None:
    statuses = _statuses(behind_proxy, 12)
    assert 429 not in statuses, statuses
