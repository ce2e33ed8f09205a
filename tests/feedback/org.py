"""The seeded organisation's NIPs and small request builders the feedback tests share."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

HEAD = "197801012005011001"
SUP = "198001012005011002"
A = "198503122010011002"
B = "198604152011012003"
C = "198705202012011004"
D = "198806252013012005"
E = "199001012015011006"
F = "202301012023210001"


def employee_body(unit: str = "dinkes", **fields: Any) -> dict[str, Any]:
    """A valid employee record; ``fields`` override."""
    body = {"name": "Pegawai", "position": "Staf", "unit_id": unit, "employment_type": "PNS"}
    return body | fields


def people() -> list[tuple[str, dict[str, Any]]]:
    """The seeded organisation: each employee's NIP and record. HEAD heads the unit; SUP reports
    to HEAD and supervises A-D (team ``pkm``, A in a service role); E reports to HEAD; F is PPPK
    with no supervisor."""
    rows = [
        (HEAD, None, None, "PNS", False),
        (SUP, HEAD, None, "PNS", False),
        (A, SUP, "pkm", "PNS", True),
        (B, SUP, "pkm", "PNS", False),
        (C, SUP, "pkm", "PNS", False),
        (D, SUP, "pkm", "PNS", False),
        (E, HEAD, None, "PNS", False),
        (F, None, None, "PPPK", False),
    ]
    return [
        (
            nip,
            employee_body(
                name=f"Pegawai {nip[-3:]}",
                supervisor_nip=sup,
                team_id=team,
                employment_type=kind,
                service_role=serves,
            ),
        )
        for nip, sup, team, kind, serves in rows
    ]


def cycle_body(
    cycle_id: str, *, opens_in: timedelta = timedelta(days=-1), lasts: timedelta = timedelta(days=2)
) -> dict[str, Any]:
    """A cycle whose submission window starts ``opens_in`` from now and lasts ``lasts``."""
    opens = datetime.now(UTC) + opens_in
    return {
        "cycle_id": cycle_id,
        "kind": "annual",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "window_opens": opens.isoformat(),
        "window_closes": (opens + lasts).isoformat(),
    }


def plan_body(*, supports: str | None = None, indicators: tuple[str, ...] = ("iki-1",)) -> dict[str, Any]:
    """A plan with one main result (``rhk-1``) carrying ``indicators``."""
    return {
        "results": [
            {
                "result_id": "rhk-1",
                "kind": "utama",
                "title": "Pelayanan pasien",
                "supports": supports,
                "indicators": [
                    {
                        "indicator_id": i,
                        "name": "Pasien terlayani",
                        "aspect": "quantity",
                        "target": 100,
                        "unit": "pasien",
                    }
                    for i in indicators
                ],
            }
        ]
    }


PROBLEM = "https://kinerja.example.id/problems/"


async def read_events(read_topic: Any, topic: str, count: int) -> list[dict[str, Any]]:
    """At least ``count`` distinct events of ``topic``, in order, repeats dropped.

    The outbox publishes at least once (a sweep may race the nudge), and consumers drop repeats
    by event id; the tests do the same.
    """
    wanted = count
    for _ in range(5):
        seen: dict[str, dict[str, Any]] = {}
        for record in await read_topic(topic, wanted):
            event = json.loads(record.value)
            seen.setdefault(event["event_id"], event)
        if len(seen) >= count:
            break
        wanted += count - len(seen)
    return list(seen.values())
