"""Readiness probe for the local stack: the broker accepts a produce, the database answers a ping,
and Dex (when asked with ``--oidc``) serves its discovery document for the expected issuer.

Run by deploy/local/stack.sh after the ports open; exits non-zero when the deadline passes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from pymongo import MongoClient
from pymongo.errors import PyMongoError

logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

READY_TOPIC = "_kinerja.stack.ready"


async def kafka_ready(bootstrap: str, deadline: float) -> None:
    last: Exception | None = None
    while time.monotonic() < deadline:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=5000)
        try:
            await producer.start()
            await producer.send_and_wait(READY_TOPIC, b"ready")
            return
        except (KafkaError, OSError) as exc:
            last = exc
            await asyncio.sleep(0.5)
        finally:
            await producer.stop()
    raise TimeoutError(f"kafka at {bootstrap} did not accept a produce: {last!r}")


def mongo_ready(url: str, deadline: float) -> None:
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with MongoClient(url, serverSelectionTimeoutMS=2000) as client:
                client.admin.command("ping")
                return
        except PyMongoError as exc:
            last = exc
            time.sleep(0.5)
    raise TimeoutError(f"database at {url} did not answer a ping: {last!r}")


def oidc_ready(issuer: str, deadline: float) -> None:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200 and response.json().get("issuer") == issuer:
                return
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        except (httpx.HTTPError, ValueError) as exc:
            last = exc
        time.sleep(0.5)
    raise TimeoutError(f"the OIDC provider at {issuer} did not serve its discovery document: {last!r}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--mongo", required=True)
    parser.add_argument("--oidc", help="issuer URL of the OIDC provider to wait for")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    deadline = time.monotonic() + max(args.timeout, 5)
    try:
        mongo_ready(args.mongo, deadline)
        asyncio.run(kafka_ready(args.kafka, deadline))
        if args.oidc:
            oidc_ready(args.oidc, deadline)
    except TimeoutError as exc:
        print(f"[stack] {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
