"""``kinerja employees import`` and ``kinerja cycle open|close`` against the real feedback API.

The feedback app runs in this process under uvicorn on 127.0.0.1 (the ``feedback_api`` fixture),
on this test's databases and topics; the CLI reaches it over HTTP like an operator would.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from typer.testing import Result

from shared.auth import Role, decode_token, issue_token
from shared.events.feedback import CYCLES_TOPIC
from shared.settings import Settings
from tools.cli.base import CliState

Invoke = Callable[..., Awaitable[Result]]
ReadTopic = Callable[..., Awaitable[list[Any]]]

HEAD = "198503122010011002"
STAFF = "199001012015031001"
OTHER = "198812252012122001"
CSV = (
    "nip,name,position,unit_id,supervisor_nip,employment_type\n"
    f"{HEAD},Siti Rahma,Kepala Dinas,dinkes,,PNS\n"
    f"{STAFF},Budi Santoso,Perawat,dinkes,{HEAD},PNS\n"
    "12345,Tanpa NIP,Perawat,dinkes,,PNS\n"
    f"{OTHER},Ani,Guru,dishub,,PNS\n"
)


async def api_call(settings: Settings, base: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    token = issue_token(settings, subject="test", role=Role.HR_ADMIN, region="marelan")
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        return await client.request(method, path, **kwargs)


async def with_unit(settings: Settings, base: str) -> None:
    response = await api_call(settings, base, "PUT", "/regions/marelan/units/dinkes", json={"name": "Dinkes"})
    assert response.status_code == 200, response.text


async def test_import_prints_what_landed_and_every_rejected_row(
    invoke: Invoke, feedback_api: str, isolated_settings: Settings, tmp_path: Path
) -> None:
    await with_unit(isolated_settings, feedback_api)
    file = tmp_path / "pegawai.csv"
    file.write_text(CSV, encoding="utf-8")

    result = await invoke(
        "--api", feedback_api, "--as", "hr_admin", "employees", "import", str(file), "--region", "marelan"
    )

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["2 landed, 2 rejected", "row 3 (NIP 12345): a NIP has exactly 18 digits"]
    assert lines[2].startswith(f"row 4 (NIP {OTHER}): ") and "dishub" in lines[2]
    listed = await api_call(isolated_settings, feedback_api, "GET", "/regions/marelan/employees")
    assert sorted(e["nip"] for e in listed.json()) == [HEAD, STAFF]


async def test_import_of_json_with_a_token_from_the_environment(
    invoke: Invoke, feedback_api: str, isolated_settings: Settings, tmp_path: Path
) -> None:
    await with_unit(isolated_settings, feedback_api)
    file = tmp_path / "pegawai.json"
    row = {"nip": HEAD, "name": "Siti", "position": "Kepala", "unit_id": "dinkes", "employment_type": "PNS"}
    file.write_text(json.dumps([row]), encoding="utf-8")
    token = issue_token(isolated_settings, subject="ops", role=Role.HR_ADMIN, region="marelan")

    result = await invoke(
        "--api",
        feedback_api,
        "employees",
        "import",
        str(file),
        "--region",
        "marelan",
        env={"KINERJA_TOKEN": token},
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "1 landed, 0 rejected\n"


async def test_import_needs_a_token_and_a_role_the_api_accepts(
    invoke: Invoke, feedback_api: str, tmp_path: Path
) -> None:
    file = tmp_path / "pegawai.csv"
    file.write_text(CSV, encoding="utf-8")
    args = ("employees", "import", str(file), "--region", "marelan")

    no_token = await invoke("--api", feedback_api, *args)
    no_nip = await invoke("--api", feedback_api, "--as", "supervisor", *args)
    wrong_role = await invoke(
        "--api", feedback_api, "--as", "supervisor", "--nip", "198001012005011002", *args
    )

    assert no_token.exit_code == 2 and "give --token" in no_token.stderr
    assert no_nip.exit_code == 2 and "--as supervisor needs --nip" in no_nip.stderr
    assert wrong_role.exit_code == 3 and "error: 403 role: " in wrong_role.stderr


def test_a_minted_employee_token_names_the_nip() -> None:
    settings = Settings()
    cli = CliState(
        settings=settings, api="http://x", role=Role.EMPLOYEE, region="marelan", nip="198503122010011002"
    )
    principal = decode_token(settings, cli.bearer(None))
    assert (principal.role, principal.region, principal.nip) == (
        Role.EMPLOYEE,
        "marelan",
        "198503122010011002",
    )


async def test_open_then_close_a_cycle_with_unit_predicates(
    invoke: Invoke, feedback_api: str, isolated_settings: Settings, read_topic: ReadTopic
) -> None:
    await with_unit(isolated_settings, feedback_api)
    closes = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    admin = ("--api", feedback_api, "--as", "region_admin")
    open_args = (
        "cycle",
        "open",
        "marelan-2026",
        "--region",
        "marelan",
        "--kind",
        "annual",
        "--period-start",
        "2026-01-01",
        "--period-end",
        "2026-12-31",
        "--window-closes",
        closes.isoformat(),
    )

    opened = await invoke(*admin, *open_args)
    again = await invoke(*admin, *open_args)
    closed = await invoke(
        *admin, "cycle", "close", "marelan-2026", "--region", "marelan", "--unit-predicate", "dinkes=Baik"
    )

    assert opened.exit_code == 0, opened.output
    assert opened.stdout.startswith(
        "cycle marelan-2026 (annual) in marelan: open; period 2026-01-01 to 2026-12-31"
    )
    assert again.exit_code == 3 and "error: 409 cycle-exists: " in again.stderr
    assert closed.exit_code == 0, closed.output
    assert closed.stdout.startswith("cycle marelan-2026 (annual) in marelan: closed;")
    records = await read_topic(isolated_settings.topic(CYCLES_TOPIC), 2)
    events = [json.loads(r.value) for r in records]
    assert [e["type"] for e in events] == ["feedback.cycle_opened", "feedback.cycle_closed"]
    assert events[1]["unit_predicates"] == {"dinkes": "Baik"}


async def test_close_names_what_the_api_refused(
    invoke: Invoke, feedback_api: str, isolated_settings: Settings
) -> None:
    await with_unit(isolated_settings, feedback_api)
    closes = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    admin = ("--api", feedback_api, "--as", "hr_admin")
    await invoke(
        *admin,
        "cycle",
        "open",
        "marelan-2027",
        "--region",
        "marelan",
        "--kind",
        "periodic",
        "--period-start",
        "2027-01-01",
        "--period-end",
        "2027-03-31",
        "--window-closes",
        closes,
    )

    result = await invoke(
        *admin, "cycle", "close", "marelan-2027", "--region", "marelan", "--unit-predicate", "dishub=Baik"
    )

    assert result.exit_code == 3
    assert "- unit dishub does not exist" in result.stderr.splitlines()


async def test_cycle_options_are_checked_before_any_request(invoke: Invoke) -> None:
    # No --api server runs here: these must fail on their own.
    naive = await invoke(
        "--as",
        "hr_admin",
        "cycle",
        "open",
        "x-2026",
        "--region",
        "marelan",
        "--kind",
        "annual",
        "--period-start",
        "2026-01-01",
        "--period-end",
        "2026-12-31",
        "--window-closes",
        "2026-12-31T23:59:00",
    )
    malformed = await invoke(
        "--as", "hr_admin", "cycle", "close", "x-2026", "--region", "marelan", "--unit-predicate", "dinkes"
    )

    assert naive.exit_code == 2 and "no timezone offset" in naive.stderr
    assert malformed.exit_code == 2 and "is not UNIT=PREDICATE" in malformed.stderr
