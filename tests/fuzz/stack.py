"""The four services served by uvicorn in a background thread, and a seeded region for the fuzzers.

Schemathesis calls the APIs synchronously over real HTTP (``requests``), so the apps cannot share
pytest-asyncio's loop, which is idle while a synchronous test runs. They get their own loop in
their own thread, with their real lifespans: Kafka broker, outbox relay, consumers, FerretDB.

The seed is the demo cycle of ``make run`` for one region (tools/demo.py), driven through the
feedback API and carried over Kafka to the other services: units and employees, a closed cycle
with final scores, career recommendations, inbox messages; then a team, a second (open) cycle and
a webhook subscription. Fuzzed requests are steered towards these ids so that they get past
"not found" and into the services' logic.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from litestar import Litestar

from services.career.app import create_app as career_app
from services.feedback.app import create_app as feedback_app
from services.notify.app import create_app as notify_app
from services.notify.config import NotifySettings
from services.scoring.app import create_app as scoring_app
from shared.auth import Role, issue_token
from shared.settings import Settings
from tools.demo import DemoDriver, final_scores, plan_region, wait_for

REGION = "marelan"
OPEN_CYCLE = f"{REGION}-2027"
TEAM = "pkm"


def _closed_port() -> int:
    """A loopback port nothing listens on: e-mails fail at once instead of waiting for a relay."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def notify_settings() -> NotifySettings:
    """One quick attempt per e-mail and webhook: fuzzed subscriptions may point anywhere."""
    return NotifySettings(
        smtp_port=_closed_port(),
        smtp_timeout_s=1.0,
        email_attempts=1,
        webhook_attempts=1,
        webhook_timeout_s=1.0,
        # The seeded subscription points at a closed loopback port; nothing else non-public.
        webhook_allowed_networks="127.0.0.1/32",
        delivery_poll_s=0.5,
    )


def factories(settings: Settings) -> dict[str, Callable[[], Litestar]]:
    return {
        "feedback": lambda: feedback_app(settings),
        "scoring": lambda: scoring_app(settings),
        "career": lambda: career_app(settings),
        "notify": lambda: notify_app(settings, notify_settings()),
    }


class ServedStack:
    """The apps of ``factories`` served on loopback ports by one event loop in a daemon thread."""

    def __init__(self, apps: dict[str, Callable[[], Litestar]]) -> None:
        self._apps = apps
        self.urls: dict[str, str] = {}
        self._servers: list[uvicorn.Server] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fuzz-stack", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the thread that waits for the start
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        # The apps are built on this loop: their database clients bind to the loop of first use.
        for factory in self._apps.values():
            config = uvicorn.Config(factory(), host="127.0.0.1", port=0, log_config=None, access_log=False)
            self._servers.append(uvicorn.Server(config))
        tasks = [asyncio.create_task(s.serve()) for s in self._servers]
        while not all(s.started for s in self._servers):
            if failed := [t for t in tasks if t.done()]:
                failed[0].result()
                raise RuntimeError("a server stopped while starting")
            await asyncio.sleep(0.05)
        for name, server in zip(self._apps, self._servers, strict=True):
            port = server.servers[0].sockets[0].getsockname()[1]
            self.urls[name] = f"http://127.0.0.1:{port}"
        self._ready.set()
        await asyncio.gather(*tasks)

    def start(self, timeout: float = 60.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the services did not start in time")
        if self._error is not None:
            raise RuntimeError("the services did not start") from self._error

    def stop(self, timeout: float = 60.0) -> None:
        for server in self._servers:
            server.should_exit = True
        self._thread.join(timeout)


#: The seeded organisation (the demo's generator: the same NIPs on every run).
PLAN = plan_region(REGION, 0, staff_per_unit=4)
_HEADS = [p for p in PLAN.people if p.supervisor == PLAN.people[0].nip]
_STAFF = [p for p in PLAN.people if p.supervisor in {h.nip for h in _HEADS}]
EMPLOYEE = _STAFF[0]
SUPERVISOR = next(h for h in _HEADS if h.nip == EMPLOYEE.supervisor)
NIPS = [p.nip for p in PLAN.people[:3]] + [EMPLOYEE.nip, _STAFF[-1].nip]

#: Ids the seed creates whatever the run, by the parameter names that carry them; and valid
#: values of the body fields random data rarely gets right (ratings of the region's rubric, plans).
KNOWN_IDS: dict[str, list[Any]] = {
    "region": [REGION],
    "cycle_id": [PLAN.cycle_id, OPEN_CYCLE],
    "unit_id": sorted({p.unit_id for p in PLAN.people}),
    "team_id": [TEAM],
    "nip": NIPS,
    "ratee_nip": NIPS,
    "supervisor_nip": NIPS[:3],
    "owner": [EMPLOYEE.nip, SUPERVISOR.nip, f"hr:{REGION}"],
    "ratings": [
        {"pencapaian_target": 4, "kontribusi_tim": 3, "perilaku_profesional": 5},
        {"pencapaian_target": 3, "kontribusi_tim": 3, "perilaku_profesional": 3, "pelayanan": 2},
        {"pelayanan": 5},
    ],
    "unit_predicates": [{"dinkes": "Baik", "disdik": "Istimewa", "setda": "Butuh Perbaikan"}],
    "results": [
        [
            {
                "result_id": "rhk-1",
                "kind": "utama",
                "title": "Layanan publik",
                "indicators": [
                    {
                        "indicator_id": "iki-1",
                        "name": "Layanan selesai",
                        "aspect": "quantity",
                        "target": 100,
                        "unit": "berkas",
                    }
                ],
            }
        ]
    ],
    "realisations": [[{"indicator_id": "iki-1", "value": 80}], [{"indicator_id": "iki-2", "value": 5}]],
}


def callers(settings: Settings) -> dict[str, dict[str, str]]:
    """Authorization headers of the roles the fuzzers call as, by name (valid for a day)."""

    def bearer(role: Role, region: str | None = REGION, nip: str | None = None) -> dict[str, str]:
        token = issue_token(
            settings, subject=f"fuzz-{role}-{nip or region}", role=role, region=region, nip=nip, ttl_s=86400
        )
        return {"Authorization": f"Bearer {token}"}

    return {
        "anonymous": {},
        "employee": bearer(Role.EMPLOYEE, nip=EMPLOYEE.nip),
        "supervisor": bearer(Role.SUPERVISOR, nip=SUPERVISOR.nip),
        "hr": bearer(Role.HR_ADMIN),
        "admin": bearer(Role.REGION_ADMIN),
        "system": bearer(Role.SYSTEM, None),
    }


async def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(f"seed: {response.request.method} {response.url} -> {response.text[:500]}")
    return response.json() if response.content else None


async def seed(settings: Settings, urls: dict[str, str], timeout: float = 120.0) -> dict[str, list[str]]:
    """The demo cycle of one region through the public APIs, until every service has its share.

    Returns the ids only known once created: recommendations, notifications, the subscription.
    """
    headers = callers(settings)
    clients = {name: httpx.AsyncClient(base_url=url, timeout=30.0) for name, url in urls.items()}
    try:
        feedback = clients["feedback"]
        driver = DemoDriver(settings, feedback)
        await driver.run_region(PLAN)
        await driver.close(PLAN)
        region = f"/regions/{REGION}"
        team = {"name": "Puskesmas", "unit_id": EMPLOYEE.unit_id}
        await _ok(await feedback.put(f"{region}/teams/{TEAM}", json=team, headers=headers["hr"]))
        now = datetime.now(UTC)
        cycle = {
            "cycle_id": OPEN_CYCLE,
            "kind": "annual",
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
            "window_opens": (now - timedelta(hours=1)).isoformat(),
            "window_closes": (now + timedelta(days=1)).isoformat(),
        }
        await _ok(await feedback.post(f"{region}/cycles", json=cycle, headers=headers["hr"]))
        if not await final_scores(settings, clients["scoring"], PLAN, timeout=timeout):
            raise RuntimeError("seed: the scores did not become final")

        async def recommendations() -> list[str]:
            found = await _ok(
                await clients["career"].get(
                    "/recommendations", params={"region": REGION}, headers=headers["system"]
                )
            )
            return sorted(r["recommendation_id"] for r in found)

        async def inbox() -> list[str]:
            found = await _ok(
                await clients["notify"].get(f"/inbox/{EMPLOYEE.nip}/messages", headers=headers["employee"])
            )
            return sorted(m["notification_id"] for m in found)

        recommended = await _wait(recommendations, timeout)
        messages = await _wait(inbox, timeout)
        subscription = await _ok(
            await clients["notify"].post(
                "/subscriptions",
                json={"event_types": ["scoring.score_finalized"], "url": "http://127.0.0.1:9/hooks"},
                headers=headers["admin"],
            )
        )
    finally:
        for client in clients.values():
            await client.aclose()
    return {
        "recommendation_id": recommended[:4],
        "notification_id": messages[:4],
        "subscription_id": [subscription["subscription_id"]],
    }


async def _wait(fetch: Callable[[], Awaitable[list[str]]], timeout: float) -> list[str]:
    found: list[str] = await wait_for(fetch, timeout, interval=0.5)
    if not found:
        raise RuntimeError(f"seed: {fetch.__name__} stayed empty")
    return found
