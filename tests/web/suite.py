"""The whole suite as processes for the web tests: feedback, scoring, career, notify and the web,
each ``python -m services.<name>`` on a free port of 127.0.0.1, on the real Kafka and FerretDB
(their own databases and topics), signing in against the local stack's Dex.

The region ``marelan`` is seeded through the feedback API as ``make run``'s demo does: its
organisation (tools/demo.py), an open cycle, every plan approved and reported, the 360 feedback,
but for one employee whose plan waits for the supervisor's approval (:attr:`Seeded.pending`).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from shared.auth import issue_token
from shared.settings import Settings
from tools.demo import REGIONS, DemoDriver, Person, RegionPlan, awaiting_approval, plan_region
from tools.logins import Login, logins
from tools.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
REGION = "marelan"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def oidc_issuer() -> str:
    return f"http://127.0.0.1:{os.environ.get('KINERJA_OIDC_PORT', '5556')}/dex"


@dataclass
class Seeded:
    plan: RegionPlan
    employee: Login
    supervisor: Login
    hr: Login
    pending: Person
    """A member of the supervisor's team whose plan is submitted, not yet approved."""


class Suite:
    """The five processes; :meth:`start` waits until each answers ``/health/ready``."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.ports = {name: free_port() for name in (*SERVICES, "web")}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def web(self) -> str:
        return self.url("web")

    def token(self, role: str, nip: str | None = None) -> dict[str, str]:
        """Bearer headers for checking what the services hold after a journey."""
        token = issue_token(self.settings, subject=nip or role, role=role, region=REGION, nip=nip)
        return {"Authorization": f"Bearer {token}"}

    def _env(self, name: str) -> dict[str, str]:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        for key, value in self.settings.model_dump().items():
            env[f"KINERJA_{key.upper()}"] = str(value)
        env["KINERJA_HTTP_PORT"] = str(self.ports[name])
        # The web sends citizens' forms on with their address (docs/web.md, "Citizen form").
        env["KINERJA_TRUSTED_PROXIES"] = "127.0.0.1"
        env.update(
            KINERJA_WEB_PORT=str(self.ports["web"]),
            KINERJA_WEB_OIDC_ISSUER=oidc_issuer(),
            KINERJA_WEB_LOG_LEVEL="WARNING",
            # The provider knows every demo region's people; this web serves marelan alone.
            KINERJA_WEB_REGIONS=REGION,
            **{f"KINERJA_WEB_{s.upper()}_URL": self.url(s) for s in SERVICES},
        )
        return env

    async def start(self, timeout: float = 90) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for name in (*SERVICES, "web"):
            log = (self.logs / f"{name}.log").open("ab")
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=ROOT,
                env=self._env(name),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=3) as client:
            for name, proc in self.procs.items():
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with {proc.returncode}: see {self.logs / name}.log"
                        )
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(self.url(name) + "/health/ready")).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{name} not ready in {timeout:.0f} s: see {self.logs / name}.log")
                    await asyncio.sleep(0.3)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    @contextlib.contextmanager
    def running(self) -> Iterator[Suite]:
        try:
            yield self
        finally:
            self.stop()


async def seed(suite: Suite) -> Seeded:
    """The demo region's organisation and open cycle; one plan left for the supervisor to approve."""
    plan = plan_region(REGION, REGIONS.index(REGION))
    mine = {login.role: login for login in logins() if login.region == REGION}
    employee, supervisor = mine["employee"], mine["supervisor"]
    pending = awaiting_approval(plan, supervisor.nip, employee.nip)
    async with httpx.AsyncClient(base_url=suite.url("feedback"), timeout=30) as api:
        driver = DemoDriver(suite.settings, api)
        await driver.organise(plan)
        await driver.plans_and_reports(plan, leave_submitted=frozenset({pending.nip}))
        await driver.feedback(plan)
    return Seeded(plan, employee, supervisor, mine["hr_admin"], pending)


_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.I)


async def signed_in(suite: Suite, who: Login) -> httpx.AsyncClient:
    """A client with the web's session of ``who``, signed in through Dex's login form as a browser
    does (the web's redirect, Dex's form, the code back to the web)."""
    client = httpx.AsyncClient(base_url=suite.web, timeout=30, follow_redirects=True)
    form = await client.get("/auth/login?next=/")
    action = _FORM.search(form.text)
    assert action and "dex" in str(form.url), f"no Dex login form at {form.url}"
    done = await client.post(
        urljoin(str(form.url), html.unescape(action.group(1))),
        data={"login": who.email, "password": who.password},
    )
    assert done.status_code == 200 and str(done.url).startswith(suite.web), (done.status_code, done.url)
    return client
