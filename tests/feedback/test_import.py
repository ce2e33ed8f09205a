"""Bulk import: good rows land (one upsert and one event each), bad rows are named with reasons."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.feedback.app import create_app
from services.feedback.domain import ImportRow, import_problems
from shared.auth import Role, issue_token
from shared.events.feedback import EMPLOYEES_TOPIC
from shared.settings import Settings
from tests.feedback.org import PROBLEM, read_events

Client = AsyncTestClient[Litestar]
COLUMNS = [
    "nip",
    "name",
    "position",
    "unit_id",
    "supervisor_nip",
    "team_id",
    "employment_type",
    "service_role",
]


def pns_nip(i: int) -> str:
    """A valid PNS NIP, distinct for each ``i`` below 10,000 (born 1960-1979, started 2000-2023)."""
    born = f"{1960 + i % 20}{1 + i % 12:02d}{1 + i % 28:02d}"
    return f"{born}{2000 + i % 24}{1 + i % 12:02d}{1 + i % 2}{i % 1000:03d}"


def rows(n: int) -> list[dict[str, str]]:
    """``n`` staff of unit dinkes; the first one supervises all the others."""
    first = pns_nip(0)
    return [
        {
            "nip": pns_nip(i),
            "name": f"Pegawai {i}",
            "position": "Staf",
            "unit_id": "dinkes",
            "supervisor_nip": "" if i == 0 else first,
            "team_id": "",
            "employment_type": "PNS",
            "service_role": "false",
        }
        for i in range(n)
    ]


def to_csv(records: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode()


async def test_ten_thousand_employees_with_three_bad_rows(
    isolated_settings: Settings, read_topic: Any, mongo: Any
) -> None:
    # On FerretDB SQLite an update costs time in proportion to the collection's size, and the
    # relay marks each published document with an update; a sweep during the import would hold
    # the database's write lock for minutes. Here the relay is only nudged, after the import
    # (production keeps the sweep, and the import is then slower: see docs/feedback.md).
    settings = isolated_settings.model_copy(update={"outbox_sweep_s": 3600.0})
    hr = {
        "Authorization": "Bearer " + issue_token(settings, subject="hr", role=Role.HR_ADMIN, region="marelan")
    }
    records = rows(10_000)
    assert len({r["nip"] for r in records}) == 10_000
    records[41]["nip"] = records[41]["nip"][:12] + "13" + records[41]["nip"][14:]  # month 13
    records[4999]["unit_id"] = "nowhere"
    records[9998]["name"] = ""
    async with AsyncTestClient(create_app(settings)) as client:
        await client.put("/regions/marelan/units/dinkes", json={"name": "Dinas Kesehatan"}, headers=hr)
        response = await client.post(
            "/regions/marelan/employee-imports",
            content=to_csv(records),
            headers={**hr, "Content-Type": "text/csv"},
            timeout=120,
        )
        # The relay publishes a batch, then marks it: the first 500 events arrive at once.
        events = await read_events(read_topic, settings.topic(EMPLOYEES_TOPIC), 500)
    assert response.status_code == 201, response.text[:500]
    report = response.json()
    assert report["accepted"] == 9_997
    bad = {r["row"]: r for r in report["rejected"]}
    assert sorted(bad) == [42, 5000, 9999]
    assert bad[42]["nip"] == records[41]["nip"] and "no valid month" in bad[42]["reasons"][0]
    assert "unit nowhere does not exist" in bad[5000]["reasons"]
    assert bad[9999]["reasons"][0].startswith("name")

    employees = mongo[settings.database("feedback")]["employees"]
    assert (
        await employees.count_documents({"region": "marelan", "name": {"$regex": "^Pegawai [0-9]"}}) == 9_997
    )
    assert (
        await employees.count_documents({"_id": {"$in": [records[i]["nip"] for i in (41, 4999, 9998)]}}) == 0
    )

    imported = {e["key"] for e in events} & {r["nip"] for r in records}
    assert len(imported) >= 500
    assert not imported & {records[i]["nip"] for i in (41, 4999, 9998)}


async def test_json_import_reports_bad_rows_and_applies_none_of_them(
    client: Client, auth: Any, seed: Any
) -> None:
    await seed(cycle=False)
    good = rows(3)
    body: list[Any] = [
        {k: v for k, v in good[0].items() if v and k != "service_role"},
        {**good[1], "supervisor_nip": "197001012000011009", "service_role": False},
        {**good[2], "employment_type": "PPPK", "nip": "12345", "service_role": True},
        "not an object",
        {**good[0], "service_role": False, "name": "Dup"},
    ]
    for row in body[1:3]:
        if isinstance(row, dict) and row.get("supervisor_nip") == "":
            row.pop("supervisor_nip")
        if isinstance(row, dict):
            row.pop("team_id", None)
    body[4].pop("team_id")
    body[4].pop("supervisor_nip")
    response = await client.post("/regions/marelan/employee-imports", json=body, headers=auth(Role.HR_ADMIN))
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["accepted"] == 1
    rejected = {r["row"]: r["reasons"] for r in report["rejected"]}
    assert sorted(rejected) == [2, 3, 4, 5]
    assert "is not an employee of the region" in rejected[2][0]
    assert "18 digits" in rejected[3][0]
    assert rejected[5] == ["the NIP appears earlier in the file"]
    listed = await client.get(f"/regions/marelan/employees/{good[1]['nip']}", headers=auth(Role.HR_ADMIN))
    assert listed.status_code == 404 and listed.json()["type"] == PROBLEM + "employee-not-found"


async def test_import_refuses_unknown_columns_and_media_types(client: Client, auth: Any, seed: Any) -> None:
    await seed(cycle=False)
    hr = auth(Role.HR_ADMIN)
    response = await client.post(
        "/regions/marelan/employee-imports",
        content=b"nip,salary\n1,2\n",
        headers={**hr, "Content-Type": "text/csv"},
    )
    assert response.status_code == 400 and response.json()["type"] == PROBLEM + "malformed-csv"
    response = await client.post(
        "/regions/marelan/employee-imports",
        content=b"<xml/>",
        headers={**hr, "Content-Type": "application/xml"},
    )
    assert response.status_code == 400 and response.json()["type"] == PROBLEM + "unsupported-media-type"
    response = await client.post("/regions/marelan/employee-imports", json=[{"nip": {"$gt": ""}}], headers=hr)
    assert response.status_code == 400 and response.json()["type"] == PROBLEM + "unsafe-key"


async def test_rows_are_refused_like_single_puts_and_an_unreadable_row_is_only_that_row(
    client: Client, auth: Any
) -> None:
    hr, plaju = auth(Role.HR_ADMIN), auth(Role.HR_ADMIN, region="plaju")
    for region, headers in (("marelan", hr), ("plaju", plaju)):
        unit = await client.put(f"/regions/{region}/units/dinkes", json={"name": "Dinkes"}, headers=headers)
        assert unit.status_code == 200
    elsewhere = pns_nip(50)
    body = {"name": "Pegawai Plaju", "position": "Staf", "unit_id": "dinkes", "employment_type": "PNS"}
    assert (
        await client.put(f"/regions/plaju/employees/{elsewhere}", json=body, headers=plaju)
    ).status_code == 200

    records = rows(6)
    head = records[0]["nip"]
    records[1]["name"] = "x" * 140_000  # over the csv module's field limit
    records[2]["supervisor_nip"] = records[1]["nip"]  # supervised by the unreadable row
    records[3]["nip"] = elsewhere  # Plaju's employee
    records[4]["supervisor_nip"] = elsewhere  # supervised by Plaju's employee
    records[5]["supervisor_nip"] = records[2]["nip"]  # supervised by a row refused above
    records[5]["name"] = '=HYPERLINK("http://evil","klik")'  # stored as typed; exports neutralise
    response = await client.post(
        "/regions/marelan/employee-imports",
        content=to_csv(records),
        headers={**hr, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text[:500]
    report = response.json()
    rejected = {r["row"]: r["reasons"] for r in report["rejected"]}
    assert report["accepted"] == 1 and sorted(rejected) == [2, 3, 4, 5, 6], rejected
    assert rejected[2][0].startswith("the row cannot be read as CSV: field larger than field limit")
    assert rejected[3] == [f"supervisor {records[1]['nip']} is not an employee of the region"]
    assert rejected[4] == ["the NIP belongs to another region"]
    assert rejected[5] == [f"supervisor {elsewhere} is not an employee of the region"]
    assert rejected[6] == [f"supervisor {records[2]['nip']} is not an employee of the region"]
    stored = await client.get(f"/regions/marelan/employees/{head}", headers=hr)
    assert stored.status_code == 200


def test_an_orphan_chain_is_refused_down_to_its_end() -> None:
    # a (supervisor: stored) <- b (refused: unknown unit) <- c <- d; e is stored already.
    def row(nip: str, supervisor: str | None, unit: str = "dinkes") -> ImportRow:
        return ImportRow(
            nip=nip, name="P", position="S", unit_id=unit, supervisor_nip=supervisor, employment_type="PNS"
        )

    a, b, c, d, e = (pns_nip(i) for i in range(5))
    rows = [(1, row(a, e)), (2, row(b, a, unit="nowhere")), (3, row(c, b)), (4, row(d, c))]
    problems = import_problems(rows, units={"dinkes"}, teams={}, stored={e}, foreign=set())
    assert problems[1] == [] and problems[2] == ["unit nowhere does not exist"]
    assert problems[3] == [f"supervisor {b} is not an employee of the region"]
    assert problems[4] == [f"supervisor {c} is not an employee of the region"]
