"""Generated, valid input events and stored scoring inputs, deterministic for a seed.

Modelled on ``tests/scale/cycle.py`` (same shapes: a plan, an achievement report and self, peer and
supervisor feedback per employee), but linear in the number of employees so that tens of
thousands can be generated in a second or two, and with a comment on each feedback so that the
average input event is close to 1 KB of JSON.
"""

from __future__ import annotations

import json
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
from shared.plugins.manager import build_registry

REGIONS = ("marelan", "plaju", "asemrowo", "siulak")
UNIT_SIZE = 50
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


HR_OFFICER = 9_999_999
"""The index of the HR officer who records the unit heads' assessments; no employee has it."""


def unit_of(i: int) -> str:
    return f"unit{i // UNIT_SIZE:04d}"


@dataclass
class Workload:
    """``employees`` employees spread over ``regions`` regions, units of :data:`UNIT_SIZE`."""

    employees: int
    regions: tuple[str, ...] = REGIONS
    seed: int = 7
    rng: random.Random = field(init=False)
    ids: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.ids = random.Random(self.seed + 1)
        self.registry = build_registry()
        self.at = datetime(2026, 12, 1, tzinfo=UTC)

    def people(self) -> Iterator[tuple[int, str, int]]:
        """(region number, region, index within the region) of every employee."""
        per_region = -(-self.employees // len(self.regions))
        count = 0
        for i in range(per_region):
            for r, region in enumerate(self.regions):
                if count == self.employees:
                    return
                count += 1
                yield r, region, i

    def _env(self, region: str, key: str, correlation: str = "bench") -> dict[str, Any]:
        return {
            "event_id": uuid.UUID(int=self.ids.getrandbits(128), version=4),
            "occurred_at": self.at,
            "region": region,
            "correlation_id": correlation,
            "producer": "feedback",
            "key": key,
        }

    def employee(self, r: int, i: int) -> Employee:
        boss = (i // UNIT_SIZE) * UNIT_SIZE
        return Employee(
            nip=nip(r, i),
            name=f"Pegawai {i:07d}",
            position="Staf",
            unit_id=unit_of(i),
            supervisor_nip=None if i == boss else nip(r, boss),
            team_id=f"{unit_of(i)}-t{i % 3}",
            employment_type="PNS",
            service_role=i % 2 == 1,
        )

    def directory(self) -> list[Event]:
        """Employees, then one CycleOpened per region."""
        events: list[Event] = [
            EmployeeUpserted.build(**self._env(region, nip(r, i)), employee=self.employee(r, i))
            for r, region, i in self.people()
        ]
        for region in self.regions:
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

    def results(self, r: int, region: str, i: int) -> list[Event]:
        who = nip(r, i)
        plan = PlanApproved.build(
            **self._env(region, who),
            cycle_id=cycle_id(region),
            plan_id=f"plan-{who}",
            nip=who,
            approved_by=who,
            results=[WorkResult(result_id="rhk-1", kind="utama", title="Layanan", indicators=INDICATORS)],
        )
        achieved = AchievementReported.build(
            **self._env(region, who),
            cycle_id=cycle_id(region),
            nip=who,
            realisations=[
                Realisation(indicator_id="iki-1", value=self.rng.choice([70, 90, 100, 115, 130])),
                Realisation(indicator_id="iki-2", value=self.rng.choice([3, 5, 6, 8])),
            ],
        )
        return [plan, achieved]

    def raters(self, r: int, i: int) -> list[tuple[Source, str]]:
        """Self, three peers of the same unit and the appraising official: the supervisor, or for
        a unit head (who has none in the region) the HR officer recording the assessment of the
        official one level up (docs/feedback.md)."""
        first = (i // UNIT_SIZE) * UNIT_SIZE
        size = min(UNIT_SIZE, max(2, -(-self.employees // len(self.regions)) - first))
        out = [(Source.SELF, nip(r, i))]
        for k in (1, 2, 3):
            peer = first + (i - first + k) % size
            if peer != i:
                out.append((Source.PEER, nip(r, peer)))
        out.append((Source.SUPERVISOR, nip(r, first) if i != first else nip(r, HR_OFFICER)))
        return out

    def feedback(
        self, r: int, region: str, i: int, source: Source, rater: str, correlation: str = "bench"
    ) -> FeedbackSubmitted | None:
        who = nip(r, i)
        spec = self.registry.for_region(region)
        criteria = [
            c for c in spec.criteria if source in c.sources and (i % 2 == 1 or not c.service_role_only)
        ]
        if not criteria:
            return None
        event: FeedbackSubmitted = FeedbackSubmitted.build(
            **self._env(region, who, correlation),
            cycle_id=cycle_id(region),
            submission_id=f"{source.value}:{rater}:{who}",
            source=source,
            ratee_nip=who,
            rater_nip=rater,
            rubric_id=spec.rubric_id,
            ratings={c.criterion_id: float(self.rng.choice([2, 3, 3, 4, 4, 5])) for c in criteria},
            comment=COMMENT,
        )
        return event

    def inputs(self) -> list[Event]:
        """Every employee's plan, achievement and feedback, employee after employee."""
        events: list[Event] = []
        for r, region, i in self.people():
            events.extend(self.results(r, region, i))
            for source, rater in self.raters(r, i):
                fb = self.feedback(r, region, i, source, rater)
                if fb is not None:
                    events.append(fb)
        return events


def stored_inputs(employees: int, region: str = "marelan", seed: int = 11) -> Iterator[list[dict[str, Any]]]:
    """Scoring's ``employees`` and ``inputs`` documents of one cycle, in chunks of 1000 pairs.

    The entries are built by the scoring service's own mapping functions from real events for one
    unit, then copied with each employee's NIP, ids and ratings, so that 100,000 employees take
    seconds rather than the minute that building 700,000 validated events would take.
    """
    from services.scoring.mapping import achievement_entry, feedback_entry, plan_entry, stored_row

    work = Workload(UNIT_SIZE * 4, regions=(region,), seed=seed)
    rng = random.Random(seed)
    ratings_by_source: dict[tuple[str, bool], list[str]] = {}
    template: dict[str, Any] = {}
    for _, _, i in work.people():
        plan, achieved = work.results(0, region, i)
        template["plan"] = json.loads(plan_entry(plan))  # type: ignore[arg-type]
        template.setdefault("achievements", []).append(json.loads(achievement_entry(achieved)))  # type: ignore[arg-type]
        for source, rater in work.raters(0, i):
            fb = work.feedback(0, region, i, source, rater)
            if fb is not None:
                entry = json.loads(feedback_entry(fb))
                ratings_by_source.setdefault((source.value, i % 2 == 1), []).append(entry["ratings"])
    plan_indicators = template["plan"]["indicators"]
    achievements = [a["values"] for a in template["achievements"]]
    cid = cycle_id(region)
    chunk: list[dict[str, Any]] = []
    for i in range(employees):
        who = nip(0, i)
        employee = work.employee(0, i).model_dump(mode="json") | {"_id": who, "region": region}
        doc: dict[str, Any] = {
            "_id": f"{cid}|{who}",
            "cycle_id": cid,
            "nip": who,
            "region": region,
            "plans": {
                (pid := str(uuid.UUID(int=rng.getrandbits(128), version=4))): stored_row(
                    {
                        "event_id": pid,
                        "plan_id": f"plan-{who}",
                        "at": work.at.isoformat(),
                        "indicators": plan_indicators,
                    }
                )
            },
        }
        aid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        doc["achievements"] = {
            aid: stored_row({"event_id": aid, "version": 1, "values": rng.choice(achievements)})
        }
        feedback: dict[str, Any] = {}
        for source, rater in work.raters(0, i % (UNIT_SIZE * 4)):
            options = ratings_by_source.get((source.value, i % 2 == 1))
            if not options:
                continue
            rater_nip = nip(0, (i // UNIT_SIZE) * UNIT_SIZE + int(rater[-7:]) % UNIT_SIZE)
            fid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            feedback[fid] = stored_row(
                {
                    "event_id": fid,
                    "submission_id": f"{source.value}:{rater_nip}:{who}",
                    "version": 1,
                    "source": source.value,
                    "rater_nip": rater_nip,
                    "ratee_nip": who,
                    "rubric_id": region,
                    "ratings": rng.choice(options),
                }
            )
        doc["feedback"] = feedback
        chunk.append({"employee": employee, "inputs": doc})
        if len(chunk) == 1000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def provisional_scores(employees: int, region: str = "marelan") -> Iterator[list[dict[str, Any]]]:
    """Scoring's ``scores`` documents as the input events leave them before a close: one
    provisional score per employee of :func:`stored_inputs`, in chunks of 1000. Each carries one
    real score's JSON, so that the documents finalisation overwrites have a real one's size."""
    from services.scoring.domain import DEFAULT_RULES, RaterStats, compute_score
    from services.scoring.mapping import to_cycle_inputs

    first = next(stored_inputs(1, region))[0]
    registry = build_registry()
    score = compute_score(
        to_cycle_inputs(first["inputs"], first["employee"]),
        registry.for_region(region),
        registry.score,
        RaterStats(),
        DEFAULT_RULES,
        revision=1,
    )
    text = score.model_dump_json()
    cid = cycle_id(region)
    chunk: list[dict[str, Any]] = []
    for i in range(employees):
        who = nip(0, i)
        chunk.append(
            {
                "_id": f"{cid}|{who}",
                "cycle_id": cid,
                "nip": who,
                "region": region,
                "unit_id": unit_of(i),
                "team_id": None,
                "status": "provisional",
                "revision": 1,
                "digest": "provisional",
                "predicate": score.predicate.value,
                "score": text,
            }
        )
        if len(chunk) == 1000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def closing(employees: int, region: str = "marelan") -> CycleClosed:
    units = sorted({unit_of(i) for i in range(employees)})
    event: CycleClosed = CycleClosed.build(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        region=region,
        correlation_id="bench-finalize",
        producer="feedback",
        key=cycle_id(region),
        cycle_id=cycle_id(region),
        unit_predicates={u: ("Baik" if k % 2 else "Istimewa") for k, u in enumerate(units)},
    )
    return event
