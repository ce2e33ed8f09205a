"""A generated appraisal cycle as the feedback service would publish it, for scale tests.

Deterministic for a seed: the same seed gives the same events, ids included, so that two runs
of the pipeline can be compared score by score.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from shared.events.base import Event
from shared.events.feedback import (
    AchievementReported,
    CycleClosed,
    CycleOpened,
    Employee,
    EmployeeUpserted,
    FeedbackSubmitted,
    Indicator,
    PlanApproved,
    Realisation,
    Source,
    WorkResult,
)
from shared.plugins.manager import build_registry

REGIONS = ("marelan", "plaju", "asemrowo", "siulak")
UNITS = ("dinkes", "disdik")


def cycle_id(region: str) -> str:
    return f"{region}-2026"


def nip(region_no: int, unit_no: int, i: int) -> str:
    return f"1985{region_no + 1:02d}{unit_no + 1:02d}2010{i % 2 + 1}1{i:04d}"[:18].ljust(18, "0")


HR_OFFICER = "199912312020121999"
"""The HR officer who records the unit heads' assessments; no employee has this NIP."""


class GeneratedCycle:
    def __init__(self, per_unit: int = 20, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.ids = random.Random(seed + 1)
        self.registry = build_registry()
        self.per_unit = per_unit
        self.at = datetime(2026, 12, 1, tzinfo=UTC)
        self.employees: dict[str, Employee] = {}
        self.region_of: dict[str, str] = {}

    def _env(self, region: str, key: str) -> dict[str, object]:
        return {
            "event_id": uuid.UUID(int=self.ids.getrandbits(128), version=4),
            "occurred_at": self.at,
            "region": region,
            "correlation_id": "generated",
            "producer": "feedback",
            "key": key,
        }

    def directory(self) -> list[Event]:
        events: list[Event] = []
        for r, region in enumerate(REGIONS):
            for u, unit in enumerate(UNITS):
                boss = nip(r, u, 0)
                for i in range(self.per_unit):
                    who = nip(r, u, i)
                    employee = Employee(
                        nip=who,
                        name=f"Pegawai {who[-4:]}",
                        position="Staf",
                        unit_id=unit,
                        supervisor_nip=None if i == 0 else boss,
                        team_id=f"{unit}-t{i % 3}",
                        employment_type="PNS",
                        service_role=(unit == "dinkes" and i % 2 == 1),
                    )
                    self.employees[who], self.region_of[who] = employee, region
                    events.append(EmployeeUpserted.build(**self._env(region, who), employee=employee))
            events.append(
                CycleOpened.build(
                    **self._env(region, cycle_id(region)),
                    cycle_id=cycle_id(region),
                    kind="annual",
                    period_start=date(2026, 1, 1),
                    period_end=date(2026, 12, 31),
                    window_opens=self.at - timedelta(days=300),
                    window_closes=self.at + timedelta(days=30),
                )
            )
        return events

    def inputs(self) -> list[Event]:
        events: list[Event] = []
        for who, employee in sorted(self.employees.items()):
            region = self.region_of[who]
            events.extend(self._results(region, who))
            colleagues = [
                n
                for n, e in self.employees.items()
                if e.unit_id == employee.unit_id and self.region_of[n] == region and n != who
            ]
            raters = [(Source.SELF, who)] + [(Source.PEER, p) for p in self.rng.sample(sorted(colleagues), 3)]
            # A head's assessment is recorded by HR for the official one level up (docs/feedback.md);
            # without one the head's final score would be held (docs/scoring.md).
            raters.append((Source.SUPERVISOR, employee.supervisor_nip or HR_OFFICER))
            for source, rater in raters:
                event = self._feedback(region, who, source, rater, employee.service_role)
                if event is not None:
                    events.append(event)
        return events

    def _results(self, region: str, who: str) -> list[Event]:
        cid = cycle_id(region)
        indicators = [
            Indicator(
                indicator_id="iki-1", name="Layanan selesai", aspect="quantity", target=100, unit="berkas"
            ),
            Indicator(
                indicator_id="iki-2",
                name="Hari proses izin",
                aspect="time",
                target=5,
                unit="hari",
                direction="lower",
                standard=7,
            ),
        ]
        plan = PlanApproved.build(
            **self._env(region, who),
            cycle_id=cid,
            plan_id=f"plan-{who}",
            nip=who,
            approved_by=who,
            results=[WorkResult(result_id="rhk-1", kind="utama", title="Layanan", indicators=indicators)],
        )
        achieved = AchievementReported.build(
            **self._env(region, who),
            cycle_id=cid,
            nip=who,
            realisations=[
                Realisation(indicator_id="iki-1", value=self.rng.choice([70, 90, 100, 115, 130])),
                Realisation(indicator_id="iki-2", value=self.rng.choice([3, 5, 6, 8])),
            ],
        )
        return [plan, achieved]

    def _feedback(
        self, region: str, who: str, source: Source, rater: str, service_role: bool
    ) -> Event | None:
        spec = self.registry.for_region(region)
        criteria = [
            c for c in spec.criteria if source in c.sources and (service_role or not c.service_role_only)
        ]
        if not criteria:
            return None
        ratings = {c.criterion_id: float(self.rng.choice([2, 3, 3, 4, 4, 5])) for c in criteria}
        return FeedbackSubmitted.build(
            **self._env(region, who),
            cycle_id=cycle_id(region),
            submission_id=f"{source.value}:{rater}:{who}",
            source=source,
            ratee_nip=who,
            rater_nip=rater,
            rubric_id=spec.rubric_id,
            ratings=ratings,
        )

    def closes(self) -> list[Event]:
        return [
            CycleClosed.build(
                **self._env(region, cycle_id(region)),
                cycle_id=cycle_id(region),
                unit_predicates={"dinkes": "Baik", "disdik": "Istimewa"},
            )
            for region in REGIONS
        ]
