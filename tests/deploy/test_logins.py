"""The demo logins (tools/logins.py) are people of the demo plan, and Dex's configuration carries them."""

from __future__ import annotations

import json
from pathlib import Path

import bcrypt
import pytest

from shared.auth import Role
from tests.deploy.support import ROOT
from tools.demo import REGIONS, plan_region
from tools.logins import DOMAIN, dex_config, login, logins, main, markdown_table

WEB_DOCS = ROOT / "docs" / "web.md"
ROLES = (Role.EMPLOYEE, Role.SUPERVISOR, Role.HR_ADMIN, Role.REGION_ADMIN)


def _claims(stored: dict[str, object]) -> tuple[object, ...]:
    return (stored["email"], stored["preferredUsername"], stored["name"], stored["groups"])


def test_every_region_has_one_login_per_role() -> None:
    assert [(e.region, e.role) for e in logins()] == [(r, role) for r in REGIONS for role in ROLES]
    assert len({e.email for e in logins()}) == len(logins())
    assert all(e.email.endswith(f"@{e.region}.{DOMAIN}") for e in logins())


def test_employee_and_supervisor_are_a_dinkes_staff_member_and_the_head_of_dinkes() -> None:
    for number, region in enumerate(REGIONS):
        people = {p.nip: p for p in plan_region(region, number).people}
        employee, supervisor = login(region, Role.EMPLOYEE), login(region, Role.SUPERVISOR)
        assert employee.nip in people and supervisor.nip in people
        staff, head = people[employee.nip], people[supervisor.nip]
        assert (staff.unit_id, head.unit_id) == ("dinkes", "dinkes")
        assert staff.supervisor == head.nip
        assert (employee.name, supervisor.name) == (staff.name, head.name)
        assert (employee.username, supervisor.username) == (staff.nip, head.nip)


def test_administrators_have_no_nip_and_sign_in_by_their_mailbox() -> None:
    admins = [e for e in logins() if e.role in {Role.HR_ADMIN, Role.REGION_ADMIN}]
    assert [e.nip for e in admins] == [None] * 8
    assert {e.username for e in admins} == {"bkpsdm", "admin"}


def test_dex_config_has_a_public_client_without_redirect_uris_and_the_logins_hashed() -> None:
    entries = [login("plaju", Role.EMPLOYEE), login("plaju", Role.HR_ADMIN)]

    config = dex_config(port=45556, client_id="web-under-test", entries=entries)

    assert config["issuer"] == "http://127.0.0.1:45556/dex"
    assert config["web"] == {"http": "127.0.0.1:45556"}
    assert config["staticClients"] == [{"id": "web-under-test", "name": "Kinerja web", "public": True}]
    assert config["oauth2"]["skipApprovalScreen"] is True
    assert config["oauth2"]["passwordConnector"] == "local"
    assert config["enablePasswordDB"] is True
    for entry, stored in zip(entries, config["staticPasswords"], strict=True):
        assert _claims(stored) == (entry.email, entry.username, entry.name, list(entry.groups))
        assert bcrypt.checkpw(entry.password.encode(), stored["hash"].encode())
        assert "password" not in stored


def test_the_command_writes_the_config_dex_reads(tmp_path: Path) -> None:
    out = tmp_path / "state" / "dex.yaml"

    assert main(["dex-config", str(out), "--port", "45557"]) == 0

    config = json.loads(out.read_text())  # JSON, which Dex's YAML reader takes
    assert [_claims(p)[0] for p in config["staticPasswords"]] == [e.email for e in logins()]
    assert out.stat().st_mode & 0o077 == 0


def test_docs_list_the_logins() -> None:
    assert markdown_table() in WEB_DOCS.read_text(encoding="utf-8")


def test_login_looks_up_by_region_and_role() -> None:
    assert login("siulak", "region_admin") == login("siulak", Role.REGION_ADMIN)
    with pytest.raises(KeyError):
        login("medan", Role.EMPLOYEE)
