"""The stream the fault tests push through the pipeline: valid inputs with 1% poison mixed in.

Valid events are the feedback service's inputs with the shapes ``tests/scale/cycle.py`` gives
them (an approved plan, achievement reports, self, peer and supervisor feedback per employee),
built in linear time and deterministic for a seed, ids included. Each employee gets
``per_employee`` inputs: besides the plan, achievement reports and feedback are resubmitted in
rising versions through the cycle (as the feedback service publishes every change), so that a
large stream does not need thousands of employees. That keeps the work downstream of scoring
(career and notify, whose queries on FerretDB scan their collections) within the time a test
has, while scoring still stores every one of the events.

Poison records are what :mod:`shared.consumer` dead-letters at decoding: bytes that are not
JSON, JSON that is not an event, events of an unknown type, events of a schema version from the
future, and events that fail their schema. Each poison record is unique (it carries its own
index), so the dead-letter topic can be counted by value.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
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
UNIT_SIZE = 10
AT = datetime(2026, 6, 1, tzinfo=UTC)
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
POISON_KINDS = ("not-json", "not-an-event", "unknown-type", "future-version", "invalid-event")


def cycle_id(region: str) -> str:
    return f"{region}-2026"


HR_OFFICER = 9_999_999
"""The index of the HR officer who records the unit heads' assessments; no employee has it."""


def nip(region_no: int, i: int) -> str:
    """18 digits, unique per (region, i)."""
    return f"1986{region_no + 1:02d}2011{i % 2 + 1}{i:07d}"


@dataclass(frozen=True)
class Record:
    """One record for the inputs topic: the partition key, the value, and what it is."""

    key: bytes
    value: bytes
    event_id: str | None  # the id of a valid event; None for poison
    poison: str | None = None  # the poison kind


@dataclass
class Stream:
    """``valid`` input events, ``per_employee`` for each employee, and ``poison`` records among them.

    Employees follow one another (all of one employee's inputs, then the next one's), spread over
    :data:`REGIONS` in turn; a poison record follows every ``1000 / poison_per_mille`` valid ones.
    """

    valid: int
    per_employee: int = 200
    poison_per_mille: int = 10
    seed: int = 11
    events: list[Event] = field(init=False, default_factory=list)
    employees: list[tuple[str, Employee]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.ids = random.Random(self.seed + 1)
        registry = build_registry()
        self._criteria = {
            (region, source, role): [
                c.criterion_id
                for c in registry.for_region(region).criteria
                if source in c.sources and (role or not c.service_role_only)
            ]
            for region in REGIONS
            for source in Source
            for role in (False, True)
        }
        self._rubric = {region: registry.for_region(region).rubric_id for region in REGIONS}
        count = -(-self.valid // self.per_employee)
        people = [(r, region, i // len(REGIONS)) for i, (r, region) in enumerate(self._regions(count))]
        for r, region, i in people:
            self.employees.append((region, self._employee(r, i)))
            self.events.extend(self._inputs(r, region, i))
        del self.events[self.valid :]
        self._directory = [
            EmployeeUpserted.build(**self._env(region, emp.nip), employee=emp)
            for region, emp in self.employees
        ]
        self._directory += [self._opened(region) for region in REGIONS]
        self._closes = [self._closed(region) for region in REGIONS]
        self._records = self._mix()

    @staticmethod
    def _regions(count: int) -> list[tuple[int, str]]:
        return [(n % len(REGIONS), REGIONS[n % len(REGIONS)]) for n in range(count)]

    def _env(self, region: str, key: str) -> dict[str, object]:
        return {
            "event_id": uuid.UUID(int=self.ids.getrandbits(128), version=4),
            "occurred_at": AT,
            "region": region,
            "correlation_id": "faults",
            "producer": "feedback",
            "key": key,
        }

    @staticmethod
    def _employee(r: int, i: int) -> Employee:
        boss = (i // UNIT_SIZE) * UNIT_SIZE
        unit = f"unit{i // UNIT_SIZE:04d}"
        return Employee(
            nip=nip(r, i),
            name=f"Pegawai {i:07d}",
            position="Staf",
            unit_id=unit,
            supervisor_nip=None if i == boss else nip(r, boss),
            team_id=f"{unit}-t{i % 3}",
            employment_type="PNS",
            service_role=i % 2 == 1,
        )

    # ------------------------------------------------------------------ valid events
    def _inputs(self, r: int, region: str, i: int) -> list[Event]:
        """The plan, then rounds of resubmissions (each rater's feedback and an achievement report)."""
        who, cid = nip(r, i), cycle_id(region)
        first = (i // UNIT_SIZE) * UNIT_SIZE
        raters = [(Source.SELF, who)]
        raters += [(Source.PEER, nip(r, first + (i - first + k) % UNIT_SIZE)) for k in (1, 2, 3)]
        # A head's assessment is recorded by HR for the official one level up (docs/feedback.md);
        # without one the head's final score would be held (docs/scoring.md).
        raters.append((Source.SUPERVISOR, nip(r, first) if i != first else nip(r, HR_OFFICER)))
        raters = [(s, rater) for s, rater in raters if self._criteria[(region, s, i % 2 == 1)]]
        events: list[Event] = [
            PlanApproved.build(
                **self._env(region, who),
                cycle_id=cid,
                plan_id=f"plan-{who}",
                nip=who,
                approved_by=who,
                results=[WorkResult(result_id="rhk-1", kind="utama", title="Layanan", indicators=INDICATORS)],
            )
        ]
        version = 0
        while len(events) < self.per_employee:
            version += 1
            events.append(self._achievement(region, who, version))
            for source, rater in raters:
                events.append(self._feedback(region, who, i, source, rater, version))
        return events[: self.per_employee]

    def _achievement(self, region: str, who: str, version: int) -> AchievementReported:
        event: AchievementReported = AchievementReported.build(
            **self._env(region, who),
            cycle_id=cycle_id(region),
            nip=who,
            version=version,
            realisations=[
                Realisation(indicator_id="iki-1", value=self.rng.choice([70, 90, 100, 115, 130])),
                Realisation(indicator_id="iki-2", value=self.rng.choice([3, 5, 6, 8])),
            ],
        )
        return event

    def _feedback(
        self, region: str, who: str, i: int, source: Source, rater: str, version: int
    ) -> FeedbackSubmitted:
        criteria = self._criteria[(region, source, i % 2 == 1)]
        event: FeedbackSubmitted = FeedbackSubmitted.build(
            **self._env(region, who),
            cycle_id=cycle_id(region),
            submission_id=f"{source.value}:{rater}:{who}",
            version=version,
            source=source,
            ratee_nip=who,
            rater_nip=rater,
            rubric_id=self._rubric[region],
            ratings={c: float(self.rng.choice([2, 3, 3, 4, 4, 5])) for c in criteria},
        )
        return event

    def _opened(self, region: str) -> CycleOpened:
        event: CycleOpened = CycleOpened.build(
            **self._env(region, cycle_id(region)),
            cycle_id=cycle_id(region),
            kind="annual",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            window_opens=AT - timedelta(days=150),
            window_closes=AT + timedelta(days=180),
        )
        return event

    def _closed(self, region: str) -> CycleClosed:
        event: CycleClosed = CycleClosed.build(
            **self._env(region, cycle_id(region)),
            cycle_id=cycle_id(region),
            unit_predicates={f"unit{u:04d}": "Baik" for u in range(100)},
        )
        return event

    # ------------------------------------------------------------------ what the tests send
    def directory(self) -> list[Event]:
        """One EmployeeUpserted per employee, then one CycleOpened per region."""
        return list(self._directory)

    def closes(self) -> list[Event]:
        """One CycleClosed per region: scoring finalises once it has handled the inputs before it."""
        return list(self._closes)

    def records(self) -> list[Record]:
        """The valid events in order, with one poison record after every ``1000 / per_mille``."""
        return list(self._records)

    def _mix(self) -> list[Record]:
        every = 1000 // self.poison_per_mille if self.poison_per_mille else 0
        out: list[Record] = []
        for n, event in enumerate(self.events, start=1):
            out.append(Record(event.key.encode(), event.to_bytes(), str(event.event_id)))
            if every and n % every == 0:
                out.append(self._poison(n // every - 1, event))
        return out

    def _poison(self, index: int, beside: Event) -> Record:
        kind = POISON_KINDS[index % len(POISON_KINDS)]
        tag = f"poison-{self.seed}-{index}"
        data = json.loads(beside.to_bytes())
        data["event_id"] = str(uuid.UUID(int=self.ids.getrandbits(128), version=4))
        data["correlation_id"] = tag
        if kind == "not-json":
            value = b"\x80\x81 " + tag.encode() + b" {"
        elif kind == "not-an-event":
            value = json.dumps([tag, 1, 2]).encode()
        elif kind == "unknown-type":
            value = json.dumps({**data, "type": "feedback.from_the_future"}).encode()
        elif kind == "future-version":
            value = json.dumps({**data, "schema_version": 99}).encode()
        else:  # a known type and version whose fields break the schema
            value = json.dumps({**data, "region": None, "key": 12345, "nip": "not-a-nip"}).encode()
        return Record(beside.key.encode(), value, None, kind)
