"""The main job's demo: four regions' cycles through the running services, then a summary.

Run by ``make run`` (tools/run.py) once the services answer; it talks to them only over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.auth import Role, issue_token
from shared.events.scoring import Predicate
from shared.settings import Settings
from tools.demo import (
    REGIONS,
    DemoDriver,
    RegionPlan,
    awaiting_approval,
    final_scores,
    plan_region,
    wait_for,
)
from tools.logins import logins

Say = Callable[[str], None]
PREDICATE_NAMES = {
    "sangat_baik": "Sangat Baik",
    "baik": "Baik",
    "butuh_perbaikan": "Butuh Perbaikan",
    "kurang": "Kurang",
    "sangat_kurang": "Sangat Kurang",
}


@contextlib.contextmanager
def mail_catcher(port: int = 1025) -> Iterator[list[Any]]:
    """A loopback SMTP server standing in for the region's mail relay during the demo."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[Any] = []

    class Catch(Message):  # type: ignore[misc]
        def handle_message(self, message: Any) -> None:
            received.append(message)

    controller = Controller(Catch(), hostname="127.0.0.1", port=port)
    try:
        controller.start()
    except OSError:
        yield received  # something already listens there: the notify service uses it
        return
    try:
        yield received
    finally:
        controller.stop()


def _headers(settings: Settings, role: Role, region: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, subject='demo', role=role, region=region)}"}


async def run_demo(settings: Settings, ports: dict[str, int], say: Say, mails: list[Any]) -> None:
    stamp = time.strftime("%m%d%H%M%S")
    started = datetime.now(UTC)
    clients = {
        name: httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
        for name, port in ports.items()
    }
    try:
        driver = DemoDriver(settings, clients["feedback"], log=say)
        plans = [plan_region(r, i, cycle_id=f"{r}-2026-demo{stamp}") for i, r in enumerate(REGIONS)]
        for plan in plans:
            say(f"{plan.region}: organisation, cycle {plan.cycle_id}, plans, reports and 360 feedback ...")
            await driver.run_region(plan)
        for plan in plans:
            await driver.close(plan)
            say(f"{plan.region}: cycle closed; waiting for final scores")
        scores = {
            plan.region: await final_scores(settings, clients["scoring"], plan, timeout=180) for plan in plans
        }
        say("final scores are in; waiting for recommendations and notifications")
        await asyncio.sleep(3)
        await summarise(settings, clients, plans, scores, mails, started)
    finally:
        for client in clients.values():
            await client.aclose()


async def open_web_cycles(settings: Settings, feedback_port: int, say: Say) -> None:
    """An open cycle per region for the web: plans approved and reported, one left for the
    supervisor's approval, no 360 feedback yet (so everyone has assessments to give)."""
    stamp = time.strftime("%m%d%H%M%S")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{feedback_port}", timeout=30) as feedback:
        driver = DemoDriver(settings, feedback)
        for i, region in enumerate(REGIONS):
            plan = plan_region(region, i, cycle_id=f"{region}-2026-web{stamp}")
            mine = {login.role: login for login in logins() if login.region == region}
            pending = awaiting_approval(plan, mine[Role.SUPERVISOR].nip, mine[Role.EMPLOYEE].nip)
            await driver.organise(plan)
            await driver.plans_and_reports(plan, leave_submitted=frozenset({pending.nip}))
            say(f"{region}: cycle {plan.cycle_id} is open for the web")


async def _recommendations(
    settings: Settings, career: httpx.AsyncClient, plan: RegionPlan, nip: str
) -> list[dict[str, Any]]:
    async def fetch() -> list[dict[str, Any]]:
        response = await career.get(
            "/recommendations",
            params={"nip": nip, "cycle_id": plan.cycle_id},
            headers=_headers(settings, Role.HR_ADMIN, plan.region),
        )
        items: list[dict[str, Any]] = response.json() if response.status_code == 200 else []
        return [r for r in items if r.get("final") and r.get("status") != "superseded"]

    result: list[dict[str, Any]] = await wait_for(fetch, timeout=20)
    return result or []


async def summarise(
    settings: Settings,
    clients: dict[str, httpx.AsyncClient],
    plans: list[RegionPlan],
    scores: dict[str, dict[str, dict[str, Any]]],
    mails: list[Any],
    since: datetime,
) -> None:
    """Print what the demo did; deliveries are those planned ``since`` it started, so that a stack
    reused across runs does not count earlier runs' too."""
    print("\n=== Kinerja demo: summary ===\n")
    header = (
        "region".ljust(10) + "".join(PREDICATE_NAMES[p.value].rjust(17) for p in Predicate) + "   employees"
    )
    print("Predicate distribution (final, before calibration)")
    print(header)
    for plan in plans:
        counts = Counter(s["predicate"] for s in scores[plan.region].values())
        row = plan.region.ljust(10) + "".join(str(counts.get(p.value, 0)).rjust(17) for p in Predicate)
        print(row + str(len(scores[plan.region])).rjust(12))
    print("\nA few employees")
    for plan in plans:
        for person in [p for p in plan.scored if p.supervisor != plan.people[0].nip][:2]:
            s = scores[plan.region].get(person.nip)
            if s is None:
                continue
            score = s["score"]
            print(
                f"  {plan.region:9} {person.nip} {person.name:22} results {score['results_score']:6.2f} "
                f"behaviour {score['behaviour_score']:6.2f}  {PREDICATE_NAMES[s['predicate']]}"
            )
            for rec in await _recommendations(settings, clients["career"], plan, person.nip):
                print(f"      -> {rec['kind']}: {rec['title']}")
    print("\nNotifications sent")
    for plan in plans:
        response = await clients["notify"].get(
            "/deliveries",
            params={"region": plan.region, "since": since.isoformat(), "limit": 1000},
            headers=_headers(settings, Role.REGION_ADMIN, plan.region),
        )
        rows = response.json() if response.status_code == 200 else []
        by = Counter(f"{r['channel']}:{r['status']}" for r in rows)
        print(f"  {plan.region:9} " + ", ".join(f"{k} {v}" for k, v in sorted(by.items())))
    print(f"  e-mails received by the demo mail catcher on 127.0.0.1:1025: {len(mails)}")
    print()
