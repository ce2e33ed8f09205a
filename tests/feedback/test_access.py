"""Every endpoint against every role, no token, and a token of another region (table-driven).

The endpoint list comes from the app's routes: a new endpoint without a row here fails
:func:`test_every_endpoint_has_a_row`. "Allowed" means the request got past authentication and the
role and region gates (any answer but 401 and those gates' 403s); data rules (own plan, own team,
who may rate whom) answer with their own problem types and are tested in the other modules.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from shared.auth import Role
from tests.feedback.org import PROBLEM, SUP, A, cycle_body, employee_body, plan_body

Client = AsyncTestClient[Litestar]
#: The problems of the role and region gates; data rules (own plan, own team) answer with others.
GATE = {PROBLEM + slug for slug in ("role", "other-region", "missing-token", "invalid-token")}
ALL = frozenset({"employee", "supervisor", "hr_admin", "region_admin", "system"})
ADMINS = frozenset({"hr_admin", "region_admin", "system"})
HR = frozenset({"hr_admin", "system"})
PUBLIC = frozenset({*ALL, "anonymous", "other_region"})
NOTE = {"text": "Bagus."}
FEEDBACK = {"source": "supervisor", "ratings": {"pencapaian_target": 4}}
PROGRESS = {"realisations": [{"indicator_id": "iki-1", "value": 1}]}
CITIZEN = {"cycle_id": "marelan-2026", "unit_id": "dinkes", "ratings": {"pelayanan": 5}}

R = "/regions/{region:str}"
C = R + "/cycles/{cycle_id:str}"
#: (method, route path) -> (who is allowed, JSON body). Employees act as A, supervisors as SUP.
TABLE: dict[tuple[str, str], tuple[frozenset[str], Any]] = {
    ("GET", "/health/live"): (PUBLIC, None),
    ("GET", "/health/ready"): (PUBLIC, None),
    ("GET", "/metrics"): (PUBLIC, None),
    ("GET", R + "/units"): (ALL, None),
    ("PUT", R + "/units/{unit_id:str}"): (ADMINS, {"name": "Dinas Kesehatan"}),
    ("GET", R + "/teams"): (ALL, None),
    ("PUT", R + "/teams/{team_id:str}"): (ADMINS, {"name": "Puskesmas 1", "unit_id": "dinkes"}),
    ("GET", R + "/employees"): (ALL, None),
    ("GET", R + "/employees/{nip:str}"): (ALL, None),
    ("PUT", R + "/employees/{nip:str}"): (
        HR,
        employee_body(supervisor_nip=SUP, team_id="pkm", service_role=True),
    ),
    ("PATCH", R + "/employees/{nip:str}"): (HR, {"position": "Perawat"}),
    ("POST", R + "/employee-imports"): (HR, []),
    ("GET", R + "/cycles"): (ALL, None),
    ("POST", R + "/cycles"): (ADMINS, cycle_body("marelan-extra")),
    ("GET", C): (ALL, None),
    ("POST", C + "/close"): (ADMINS, {}),
    ("POST", C + "/reopen"): (ADMINS, {"reason": "koreksi", "window_closes": "2099-01-01T00:00:00Z"}),
    ("GET", C + "/plans/{nip:str}"): (ALL, None),
    ("PUT", C + "/plans/{nip:str}"): ({"employee", "supervisor"}, plan_body()),
    # HR passes the role gate; the data rule (heads only) answers for A with not-supervisor.
    ("POST", C + "/plans/{nip:str}/approve"): ({"supervisor", "hr_admin"}, None),
    ("POST", C + "/plans/{nip:str}/return"): ({"supervisor", "hr_admin"}, {"reason": "kurang jelas"}),
    ("GET", C + "/team"): ({"supervisor", *ADMINS}, None),
    ("GET", C + "/to-do"): ({"employee", "supervisor"}, None),
    ("GET", C + "/progress/{nip:str}"): (ALL, None),
    ("POST", C + "/progress/{nip:str}"): ({"employee", "supervisor"}, PROGRESS),
    ("GET", C + "/achievements/{nip:str}"): (ALL, None),
    ("PUT", C + "/achievements/{nip:str}"): ({"employee", "supervisor"}, PROGRESS),
    ("GET", C + "/feedback/{nip:str}"): (ALL, None),
    ("PUT", C + "/feedback/{nip:str}"): ({"employee", "supervisor", "hr_admin"}, FEEDBACK),
    ("POST", "/public/regions/{region:str}/citizen-feedback"): (PUBLIC, CITIZEN),
    ("GET", "/public/regions/{region:str}/rubric"): (PUBLIC, None),
    ("GET", "/public/regions/{region:str}/open-cycles"): (PUBLIC, None),
    ("GET", R + "/employees/{nip:str}/notes"): (ALL, None),
    ("POST", R + "/employees/{nip:str}/notes"): ({"supervisor"}, NOTE),
    ("GET", R + "/audit"): (ADMINS, None),
}
PARAMS = {
    "{region:str}": "marelan",
    "{unit_id:str}": "dinkes",
    "{team_id:str}": "pkm",
    "{cycle_id:str}": "marelan-2026",
    "{nip:str}": A,
}


def endpoints(app: Litestar) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute) and not route.path.startswith("/schema"):
            found |= {(m, route.path) for m in route.methods - {"OPTIONS", "HEAD"}}
    return found


def test_every_endpoint_has_a_row(app: Litestar) -> None:
    assert endpoints(app) == set(TABLE), "add a row to TABLE for each new endpoint (and drop stale ones)"


def concrete(path: str) -> str:
    for placeholder, value in PARAMS.items():
        path = path.replace(placeholder, value)
    return path


async def test_every_endpoint_with_every_role(client: Client, app: Litestar, auth: Any, seed: Any) -> None:
    await seed()
    callers = {
        "employee": auth(Role.EMPLOYEE, nip=A),
        "supervisor": auth(Role.SUPERVISOR, nip=SUP),
        "hr_admin": auth(Role.HR_ADMIN),
        "region_admin": auth(Role.REGION_ADMIN),
        "system": auth(Role.SYSTEM, region=None),
        "anonymous": {},
        "other_region": auth(Role.HR_ADMIN, "plaju"),
    }
    wrong: list[str] = []
    for (method, path), (allowed, body) in sorted(TABLE.items()):
        for who, headers in callers.items():
            response = await client.request(method, concrete(path), json=body, headers=headers)
            problem = response.json().get("type") if response.status_code >= 400 else None
            if who in allowed:
                ok = response.status_code != 401 and problem not in GATE
            elif who == "anonymous":
                ok = response.status_code == 401 and problem == PROBLEM + "missing-token"
            elif who == "other_region":
                ok = response.status_code == 403 and problem == PROBLEM + "other-region"
            else:
                ok = response.status_code == 403 and problem == PROBLEM + "role"
            if not ok:
                wrong.append(f"{method} {path} as {who}: {response.status_code} {problem}")
    assert not wrong, "\n".join(wrong)


async def test_the_openapi_document_is_served_without_a_token(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/regions/{region}/cycles/{cycle_id}/feedback/{nip}" in response.json()["paths"]


async def test_a_forged_or_expired_token_is_refused(client: Client, auth: Any) -> None:
    response = await client.get("/regions/marelan/units", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401 and response.json()["type"] == PROBLEM + "invalid-token"
