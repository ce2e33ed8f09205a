"""The generator: an organisation, its inputs and its cycles, deterministic for a seed (see
:mod:`tools.workload`)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

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
from shared.plugins import Component, RubricSpec
from shared.plugins.manager import build_registry

REGIONS = ("marelan", "plaju", "asemrowo", "siulak")
UNIT_SIZE = 50
AT = datetime(2026, 12, 1, tzinfo=UTC)
"""When every generated event happened; the cycles' windows are open around it."""
HR_OFFICER = 9_999_999
"""The index of the HR officer who records the unit heads' assessments; no employee has it."""
COMMENT = (
    "Catatan penilaian: pegawai menyelesaikan layanan tepat waktu, berkoordinasi baik dengan tim, "
    "dan menindaklanjuti keluhan warga. Perlu meningkatkan dokumentasi bukti kinerja dan berbagi "
    "pengetahuan dengan rekan kerja di unit. Rekomendasi: pelatihan pelayanan prima tahun depan. "
    "Secara umum kinerja sesuai ekspektasi dengan beberapa capaian di atas target bulanan."
)
INDICATORS = [
    Indicator(indicator_id="iki-1", name="Layanan selesai", aspect="quantity", target=100, unit="berkas"),
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


def cycle_id(region: str) -> str:
    return f"{region}-2026"


def nip(region_no: int, i: int) -> str:
    """18 digits, unique per (region, i) for i < 10**7."""
    return f"1985{region_no + 1:02d}2010{i % 2 + 1}{i:07d}"


def unit_of(i: int, unit_size: int = UNIT_SIZE) -> str:
    return f"unit{i // unit_size:04d}"


@dataclass(frozen=True)
class Profile:
    """What the inputs say: each value is drawn (seeded) from its choices; one choice fixes it."""

    served: tuple[float, ...] = (70, 90, 100, 115, 130)
    """Realised files of iki-1 (target 100)."""
    days: tuple[float, ...] = (3, 5, 6, 8)
    """Realised days of iki-2 (target 5, standard 7, lower is better)."""
    results: tuple[float, ...] = (2, 3, 3, 4, 4, 5)
    """Ratings of the rubric's results criteria."""
    behaviour: tuple[float, ...] = (2, 3, 3, 4, 4, 5)
    """Ratings of its behaviour criteria."""
    comment: str | None = None
    """Each feedback's comment."""


COMMENTED = Profile(comment=COMMENT)
"""Spread values, and a comment that brings the average input event close to 1 KB of JSON."""
STEADY = Profile(served=(110,), days=(5,), results=(4,), behaviour=(3,))
"""110% and 100% of target, results criteria rated 4 and behaviour criteria 3 of 5 by everyone:
in Marelan, results above expectation and behaviour as expected, so Baik (docs/scoring.md)."""


@dataclass
class Cycle:
    """One appraisal cycle per region, as the feedback service publishes it.

    ``employees`` in all, over ``regions`` in turn, in units of ``unit_size``. ``per_employee``
    None gives each employee one round of inputs: a plan, an achievement report, and each rater's
    feedback. A number gives exactly that many: after the plan, rounds of the report and the
    feedback resubmitted in rising versions, as the feedback service publishes every change.
    ``profile`` values the inputs; ``unit_predicates`` go to each region's units in turn when it
    closes; ``seed`` draws the ids and values; every event happened ``at`` and carries
    ``correlation``.
    """

    employees: int
    regions: tuple[str, ...] = REGIONS
    unit_size: int = UNIT_SIZE
    per_employee: int | None = None
    profile: Profile = Profile()
    unit_predicates: tuple[str, ...] = ("Baik",)
    seed: int = 7
    at: datetime = AT
    correlation: str = "generated"
    rng: random.Random = field(init=False, repr=False)
    ids: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.ids = random.Random(self.seed + 1)
        registry = build_registry()
        self._specs: dict[str, RubricSpec] = {region: registry.for_region(region) for region in self.regions}

    # ------------------------------------------------------------------ the organisation
    def people(self) -> Iterator[tuple[int, str, int]]:
        """(region number, region, index within the region) of every employee, the regions in turn."""
        for n in range(self.employees):
            r = n % len(self.regions)
            yield r, self.regions[r], n // len(self.regions)

    def count(self, r: int) -> int:
        """The employees of region number ``r``."""
        return max(0, -(-(self.employees - r) // len(self.regions)))

    def employee(self, r: int, i: int) -> Employee:
        boss = i - i % self.unit_size
        return Employee(
            nip=nip(r, i),
            name=f"Pegawai {i:07d}",
            position="Staf",
            unit_id=unit_of(i, self.unit_size),
            supervisor_nip=None if i == boss else nip(r, boss),
            team_id=f"{unit_of(i, self.unit_size)}-t{i % 3}",
            employment_type="PNS",
            service_role=i % 2 == 1,
        )

    def raters(self, r: int, i: int) -> list[tuple[Source, str]]:
        """Self, the next three of the same unit (fewer in a smaller unit) and the appraising
        official: the unit head, or for the head the HR officer."""
        first = i - i % self.unit_size
        size = min(self.unit_size, self.count(r) - first)
        peers = dict.fromkeys(first + (i - first + k) % size for k in (1, 2, 3))
        out = [(Source.SELF, nip(r, i))]
        out += [(Source.PEER, nip(r, peer)) for peer in peers if peer != i]
        out.append((Source.SUPERVISOR, nip(r, first) if i != first else nip(r, HR_OFFICER)))
        return out

    # ------------------------------------------------------------------ the events
    def directory(self) -> list[Event]:
        """One EmployeeUpserted per employee, then one CycleOpened per region."""
        events: list[Event] = [
            EmployeeUpserted.build(**self._env(region, nip(r, i)), employee=self.employee(r, i))
            for r, region, i in self.people()
        ]
        return events + [self._opened(region) for region in self.regions]

    def inputs(self) -> list[Event]:
        """Every employee's inputs (:meth:`inputs_of`), employee after employee."""
        return [event for r, region, i in self.people() for event in self.inputs_of(r, region, i)]

    def inputs_of(self, r: int, region: str, i: int) -> list[Event]:
        """The plan, then rounds of an achievement report and each rater's feedback."""
        who = nip(r, i)
        raters = [(s, rater) for s, rater in self.raters(r, i) if self._criteria(region, s, i)]
        events: list[Event] = [
            PlanApproved.build(
                **self._env(region, who),
                cycle_id=cycle_id(region),
                plan_id=f"plan-{who}",
                nip=who,
                approved_by=who,
                results=[WorkResult(result_id="rhk-1", kind="utama", title="Layanan", indicators=INDICATORS)],
            )
        ]
        version = 0
        while version == 0 or len(events) < (self.per_employee or 0):
            version += 1
            events.append(self._achievement(region, who, version))
            events += [self._feedback(region, who, i, source, rater, version) for source, rater in raters]
        return events[: self.per_employee]

    def closes(self) -> list[Event]:
        """One CycleClosed per region, with a predicate for each of its units."""
        events: list[Event] = []
        for r, region in enumerate(self.regions):
            units = range(-(-self.count(r) // self.unit_size))
            predicates = self.unit_predicates
            events.append(
                CycleClosed.build(
                    **self._env(region, cycle_id(region)),
                    cycle_id=cycle_id(region),
                    unit_predicates={f"unit{u:04d}": predicates[u % len(predicates)] for u in units},
                )
            )
        return events

    def _env(self, region: str, key: str) -> dict[str, Any]:
        return {
            "event_id": uuid.UUID(int=self.ids.getrandbits(128), version=4),
            "occurred_at": self.at,
            "region": region,
            "correlation_id": self.correlation,
            "producer": "feedback",
            "key": key,
        }

    def _criteria(self, region: str, source: Source, i: int) -> list[tuple[str, Component]]:
        return [
            (c.criterion_id, c.component)
            for c in self._specs[region].criteria
            if source in c.sources and (i % 2 == 1 or not c.service_role_only)
        ]

    def _opened(self, region: str) -> CycleOpened:
        event: CycleOpened = CycleOpened.build(
            **self._env(region, cycle_id(region)),
            cycle_id=cycle_id(region),
            kind="annual",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            window_opens=self.at - timedelta(days=300),
            window_closes=self.at + timedelta(days=30),
        )
        return event

    def _achievement(self, region: str, who: str, version: int) -> AchievementReported:
        event: AchievementReported = AchievementReported.build(
            **self._env(region, who),
            cycle_id=cycle_id(region),
            nip=who,
            version=version,
            realisations=[
                Realisation(indicator_id="iki-1", value=self.rng.choice(self.profile.served)),
                Realisation(indicator_id="iki-2", value=self.rng.choice(self.profile.days)),
            ],
        )
        return event

    def _feedback(
        self, region: str, who: str, i: int, source: Source, rater: str, version: int
    ) -> FeedbackSubmitted:
        p = self.profile
        event: FeedbackSubmitted = FeedbackSubmitted.build(
            **self._env(region, who),
            cycle_id=cycle_id(region),
            submission_id=f"{source.value}:{rater}:{who}",
            version=version,
            source=source,
            ratee_nip=who,
            rater_nip=rater,
            rubric_id=self._specs[region].rubric_id,
            ratings={
                c: float(self.rng.choice(p.results if kind == Component.RESULTS else p.behaviour))
                for c, kind in self._criteria(region, source, i)
            },
            comment=p.comment,
        )
        return event
