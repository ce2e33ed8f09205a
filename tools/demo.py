"""The demo appraisal cycle of ``make run``: a generated organisation driven through the public API.

Everything goes through the services' HTTP APIs with tokens of the right roles, as a region's
staff would: units and employees, a cycle, plans and their approval, progress and achievement
reports, 360 feedback, then the cycle's close. The same driver feeds tests/e2e.

Each generated employee has a profile that decides their inputs, so the outcome is predictable:
``strong`` (targets beaten, fives), ``average`` (targets met, threes), ``weak`` (targets missed,
ones and twos) and ``misconduct`` (targets beaten, behaviour rated one).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.auth import Role, issue_token
from shared.events.feedback import Source
from shared.plugins.manager import RubricRegistry, build_registry
from shared.settings import Settings

REGIONS = ("marelan", "plaju", "asemrowo", "siulak")
PROFILES = ("strong", "average", "weak", "misconduct")
_RATING = {"strong": (5, 5), "average": (3, 3), "weak": (1, 2), "misconduct": (5, 1)}  # (results, behaviour)
_ACHIEVED = {"strong": 1.3, "average": 1.0, "weak": 0.5, "misconduct": 1.3}
Log = Callable[[str], None]


@dataclass
class Person:
    nip: str
    name: str
    unit_id: str
    supervisor: str | None
    profile: str
    service_role: bool = False


@dataclass
class RegionPlan:
    region: str
    cycle_id: str
    people: list[Person] = field(default_factory=list)

    @property
    def scored(self) -> list[Person]:
        return [p for p in self.people if p.supervisor is not None]


def _nip(region_no: int, unit_no: int, seq: int) -> str:
    # PNS layout: born 19YYMMDD, CPNS start 2010MM, sex digit, 3-digit sequence.
    birth = f"19{80 + region_no:02d}{unit_no + 1:02d}{10 + seq % 18:02d}"
    return f"{birth}2010{unit_no + 1:02d}{1 + seq % 2}{seq:03d}"


def plan_region(
    region: str, region_no: int, staff_per_unit: int = 6, seed: int = 2026, cycle_id: str | None = None
) -> RegionPlan:
    """The organisation of one region: a secretary, two units with a head and their staff."""
    rng = random.Random(f"{seed}:{region}")
    plan = RegionPlan(region, cycle_id or f"{region}-2026")
    secretary = Person(_nip(region_no, 8, 0), f"Sekda {region.title()}", "setda", None, "average")
    plan.people.append(secretary)
    for unit_no, unit in enumerate(("dinkes", "disdik")):
        head = Person(_nip(region_no, unit_no, 1), f"Kepala {unit}", unit, secretary.nip, "strong")
        plan.people.append(head)
        for i in range(staff_per_unit):
            profile = PROFILES[i] if i < len(PROFILES) else rng.choice(PROFILES[:3])
            plan.people.append(
                Person(
                    _nip(region_no, unit_no, 10 + i),
                    f"Pegawai {unit} {i + 1}",
                    unit,
                    head.nip,
                    profile,
                    service_role=unit == "dinkes",
                )
            )
    return plan


def awaiting_approval(plan: RegionPlan, supervisor_nip: str | None, employee_nip: str | None) -> Person:
    """The supervisor's team member whose plan the web's demo leaves for approval (not the demo
    employee, who reports progress on an approved plan)."""
    team = [p for p in plan.scored if p.supervisor == supervisor_nip and p.nip != employee_nip]
    return next(p for p in team if p.profile == "average")


class DemoDriver:
    """Drives one region's cycle through the feedback API."""

    def __init__(
        self,
        settings: Settings,
        feedback: httpx.AsyncClient,
        registry: RubricRegistry | None = None,
        log: Log = lambda _: None,
    ) -> None:
        self.settings = settings
        self.api = feedback
        self.registry = registry or build_registry()
        self.log = log

    def _auth(self, role: Role, region: str, nip: str | None = None) -> dict[str, str]:
        token = issue_token(
            self.settings, subject=nip or f"{role.value}@{region}", role=role, region=region, nip=nip
        )
        return {"Authorization": f"Bearer {token}"}

    async def _call(self, method: str, url: str, headers: Mapping[str, str], **kwargs: Any) -> Any:
        response = await self.api.request(method, url, headers=dict(headers), **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url} -> {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    async def organise(self, plan: RegionPlan) -> None:
        hr = self._auth(Role.HR_ADMIN, plan.region)
        r = f"/regions/{plan.region}"
        for unit, name in (
            ("setda", "Sekretariat Daerah"),
            ("dinkes", "Dinas Kesehatan"),
            ("disdik", "Dinas Pendidikan"),
        ):
            await self._call("PUT", f"{r}/units/{unit}", hr, json={"name": name})
        rows = [
            {
                "nip": p.nip,
                "name": p.name,
                "position": "Kepala" if p.supervisor is None else "Staf",
                "unit_id": p.unit_id,
                "supervisor_nip": p.supervisor,
                "employment_type": "PNS",
                "service_role": p.service_role,
                "language": "id" if i % 3 else "en",
                "email": f"{p.nip}@{plan.region}.example.id",
            }
            for i, p in enumerate(plan.people)
        ]
        report = await self._call("POST", f"{r}/employee-imports", hr, json=rows)
        self.log(f"{plan.region}: imported {len(rows)} employees ({report})" if report else plan.region)
        now = datetime.now(UTC)
        await self._call(
            "POST",
            f"{r}/cycles",
            hr,
            json={
                "cycle_id": plan.cycle_id,
                "kind": "annual",
                "period_start": "2026-01-01",
                "period_end": "2026-12-31",
                "window_opens": (now - timedelta(hours=1)).isoformat(),
                "window_closes": (now + timedelta(days=1)).isoformat(),
            },
        )

    async def plans_and_reports(
        self, plan: RegionPlan, leave_submitted: frozenset[str] = frozenset()
    ) -> None:
        """Every plan submitted, approved and reported; those of ``leave_submitted`` only submitted
        (the web's demo leaves one for the supervisor to approve)."""
        c = f"/regions/{plan.region}/cycles/{plan.cycle_id}"
        for p in plan.scored:
            me = self._auth(Role.EMPLOYEE, plan.region, p.nip)
            results = [
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
                        },
                        {
                            "indicator_id": "iki-2",
                            "name": "Hari proses",
                            "aspect": "time",
                            "target": 5,
                            "unit": "hari",
                            "direction": "lower",
                            "standard": 5,
                        },
                    ],
                }
            ]
            await self._call("PUT", f"{c}/plans/{p.nip}", me, json={"results": results})
            if p.nip in leave_submitted:
                continue
            boss = self._auth(Role.SUPERVISOR, plan.region, p.supervisor)
            await self._call("POST", f"{c}/plans/{p.nip}/approve", boss)
            factor = _ACHIEVED[p.profile]
            await self._call(
                "POST",
                f"{c}/progress/{p.nip}",
                me,
                json={
                    "realisations": [{"indicator_id": "iki-1", "value": round(50 * factor)}],
                    "note": "Semester 1",
                },
            )
            await self._call(
                "PUT",
                f"{c}/achievements/{p.nip}",
                me,
                json={
                    "realisations": [
                        {
                            "indicator_id": "iki-1",
                            "value": round(100 * factor),
                            "evidence": [f"https://arsip.{plan.region}.example.id/{p.nip}/laporan.pdf"],
                        },
                        {"indicator_id": "iki-2", "value": round(5 / factor, 1)},
                    ]
                },
            )

    def _ratings(self, region: str, source: Source, ratee: Person) -> dict[str, float]:
        spec = self.registry.for_region(region)
        results, behaviour = _RATING[ratee.profile]
        out: dict[str, float] = {}
        for c in spec.criteria:
            if source in c.sources and (ratee.service_role or not c.service_role_only):
                out[c.criterion_id] = float(results if c.component.value == "results" else behaviour)
        return out

    async def feedback(self, plan: RegionPlan) -> int:
        c = f"/regions/{plan.region}/cycles/{plan.cycle_id}"
        sent = 0
        for ratee in plan.scored:
            peers = [p for p in plan.scored if p.supervisor == ratee.supervisor and p.nip != ratee.nip]
            raters: list[tuple[Source, Person, Role]] = [(Source.SELF, ratee, Role.EMPLOYEE)]
            raters += [
                (
                    Source.SUPERVISOR,
                    next(p for p in plan.people if p.nip == ratee.supervisor),
                    Role.SUPERVISOR,
                )
            ]
            raters += [(Source.PEER, p, Role.EMPLOYEE) for p in peers[:4]]
            raters += [
                (Source.SUBORDINATE, p, Role.EMPLOYEE) for p in plan.people if p.supervisor == ratee.nip
            ][:4]
            for source, rater, role in raters:
                ratings = self._ratings(plan.region, source, ratee)
                if not ratings:
                    continue  # the region's rubric does not ask this source
                await self._call(
                    "PUT",
                    f"{c}/feedback/{ratee.nip}",
                    self._auth(role, plan.region, rater.nip),
                    json={"source": source.value, "ratings": ratings, "comment": "Umpan balik demo"},
                )
                sent += 1
        return sent

    async def close(self, plan: RegionPlan) -> None:
        hr = self._auth(Role.HR_ADMIN, plan.region)
        await self._call(
            "POST",
            f"/regions/{plan.region}/cycles/{plan.cycle_id}/close",
            hr,
            json={"unit_predicates": {"dinkes": "Baik", "disdik": "Istimewa", "setda": "Baik"}},
        )

    async def run_region(self, plan: RegionPlan) -> None:
        await self.organise(plan)
        await self.plans_and_reports(plan)
        sent = await self.feedback(plan)
        self.log(
            f"{plan.region}: {len(plan.scored)} plans approved and reported, {sent} feedback submissions"
        )


async def wait_for(check: Callable[[], Awaitable[Any]], timeout: float, interval: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)


async def final_scores(
    settings: Settings, scoring: httpx.AsyncClient, plan: RegionPlan, timeout: float = 120
) -> dict[str, dict[str, Any]]:
    """Each scored employee's score from the scoring API, once all of them are final."""
    token = issue_token(settings, subject="demo", role=Role.HR_ADMIN, region=plan.region)
    headers = {"Authorization": f"Bearer {token}"}

    async def fetch() -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for p in plan.scored:
            response = await scoring.get(f"/cycles/{plan.cycle_id}/scores/{p.nip}", headers=headers)
            if response.status_code != 200 or response.json()["status"] != "final":
                return {}
            found[p.nip] = response.json()
        return found

    result: dict[str, dict[str, Any]] = await wait_for(fetch, timeout)
    return result
