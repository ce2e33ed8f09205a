"""HR's pages, the exports and the printable evaluation document, on the real services.

The suite's services run as processes on the real stack (tests/web/suite.py) with the marelan demo
region seeded; the web runs in this process (Litestar's test client) against them, with sessions
made from claims as a sign-in would make them (``signin.person_from_claims``), so that each role is one
line away and the module's page sizes can be made small to walk several pages.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from html import unescape
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from services.web.app import create_app, session_config
from services.web.config import WebSettings
from services.web.pages import admin
from services.web.signin import person_from_claims
from tests.web.suite import REGION, Seeded, Suite, oidc_issuer
from tests.web.test_pages import Page
from tools.demo import wait_for

Client = AsyncTestClient[Any]
SignIn = Callable[..., Awaitable[Client]]
#: The Indonesian word of each predicate, in its label in either language ("Good (Baik)", "Baik").
PREDICATE_WORDS = {
    "sangat_baik": "Sangat Baik",
    "baik": "Baik",
    "butuh_perbaikan": "Butuh Perbaikan",
    "kurang": "Kurang",
    "sangat_kurang": "Sangat Kurang",
}
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def web_settings(suite: Suite) -> WebSettings:
    return WebSettings(
        jwt_secret=suite.settings.jwt_secret,
        jwt_issuer=suite.settings.jwt_issuer,
        oidc_issuer=oidc_issuer(),
        feedback_url=suite.url("feedback"),
        scoring_url=suite.url("scoring"),
        career_url=suite.url("career"),
        notify_url=suite.url("notify"),
    )


@pytest.fixture
async def sign_in(web_settings: WebSettings) -> AsyncIterator[SignIn]:
    """Clients of the in-process web, each with the session of the person the claims name."""
    opened: list[Client] = []

    async def as_(role: str, nip: str | None = None, region: str = REGION, name: str = "") -> Client:
        claims = {
            "sub": nip or role,
            "name": name or nip or role,
            "email": f"{role}@{region}.kinerja.test",
            "groups": [f"role:{role}", f"region:{region}"],
            **({"preferred_username": nip} if nip else {}),
        }
        client: Client = AsyncTestClient(
            create_app(web_settings), session_config=session_config(web_settings)
        )
        await client.__aenter__()
        opened.append(client)
        await client.set_session_data({"person": person_from_claims(web_settings, claims).to_session()})
        return client

    yield as_
    for client in opened:
        await client.__aexit__(None, None, None)


async def csrf(client: Client, path: str) -> str:
    """The CSRF token of the form on ``path`` (its cookie stays with the client)."""
    page = await client.get(path)
    assert page.status_code == 200, (path, page.status_code, page.text[:300])
    found = _CSRF.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


async def api_scores(suite: Suite, cycle_id: str) -> dict[str, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=suite.url("scoring"), timeout=30) as api:
        got = await api.get(
            f"/cycles/{cycle_id}/scores", params={"limit": 1000}, headers=suite.token("hr_admin")
        )
    assert got.status_code == 200, got.text
    return {i["nip"]: i for i in got.json()["items"]}


@pytest.fixture(scope="module")
async def scored(suite: Suite, seeded: Seeded) -> dict[str, dict[str, Any]]:
    """The cycle's scores once every approved plan's employee is scored and the count holds."""
    approved = {p.nip for p in seeded.plan.scored} - {seeded.pending.nip}
    seen: list[int] = []

    async def settled() -> dict[str, dict[str, Any]] | None:
        scores = await api_scores(suite, seeded.plan.cycle_id)
        seen.append(len(scores))
        steady = len(seen) > 2 and seen[-1] == seen[-2] == seen[-3]
        return scores if approved <= set(scores) and steady else None

    scores = await wait_for(settled, timeout=120, interval=1)
    assert scores, f"scores never settled: {seen[-5:]}"
    return dict(scores)


async def proposed(suite: Suite, least: int = 2) -> list[dict[str, Any]]:
    async def some() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=suite.url("career"), timeout=30) as api:
            got = await api.get(
                "/recommendations",
                params={"status": "proposed", "limit": 1000},
                headers=suite.token("hr_admin"),
            )
        found: list[dict[str, Any]] = got.json() if got.status_code == 200 else []
        return found if len(found) >= least else []

    found: list[dict[str, Any]] = await wait_for(some, timeout=120, interval=1)
    assert found, "career proposed no recommendations"
    return found


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def nip(birth: str, seq: int) -> str:
    """A PNS NIP: born ``birth`` (YYYYMMDD), CPNS from January 2015, male, sequence ``seq``."""
    return f"{birth}2015011{seq:03d}"


# ------------------------------------------------------------------ employees and their import


async def test_the_import_report_names_each_refused_row_and_keeps_the_accepted(
    suite: Suite, seeded: Seeded, sign_in: SignIn
) -> None:
    hr = await sign_in("hr_admin")
    hr.cookies.set("lang", "en")
    good = [nip("19900101", 901), nip("19900102", 902)]
    rows = [
        f"{good[0]},Rina Import,Analis,setda,,,PNS,id,,false,true",
        "12345,Salah NIP,Analis,setda,,,PNS,id,,false,true",
        f"{nip('19900103', 903)},Unit Asing,Analis,nowhere,,,PNS,id,,false,true",
        f"{good[1]},=Budi Import,Analis,setda,{good[0]},,PNS,en,,false,true",
    ]
    body = ",".join(admin.IMPORT_COLUMNS) + "\n"
    token = await csrf(hr, "/hr/employees/import")
    done = await hr.post(
        "/hr/employees/import",
        data={"_csrf_token": token},
        files={"file": ("staff.csv", (body + "\n".join(rows) + "\n").encode(), "text/csv")},
    )
    assert done.status_code == 200, done.text[:800]
    page = unescape(done.text)
    assert "2 rows were imported" in page, page[:2000]
    refused = re.findall(
        r'<tr class="rejected"><td>(\d+)</td><td class="nip">([^<]*)</td><td>(.*?)</td></tr>', page
    )
    assert [(row, who) for row, who, _ in refused] == [("2", "12345"), ("3", nip("19900103", 903))]
    assert "a NIP has exactly 18 digits" in refused[0][2]
    assert "unit nowhere does not exist" in refused[1][2]

    async with httpx.AsyncClient(base_url=suite.url("feedback"), timeout=30) as api:
        for landed in good:
            got = await api.get(f"/regions/{REGION}/employees/{landed}", headers=suite.token("hr_admin"))
            assert got.status_code == 200, got.text
        assert (
            await api.get(
                f"/regions/{REGION}/employees/{nip('19900103', 903)}", headers=suite.token("hr_admin")
            )
        ).status_code == 404


async def test_an_import_without_a_file_or_with_unknown_columns_says_so_beside_the_file(
    sign_in: SignIn,
) -> None:
    hr = await sign_in("hr_admin")
    token = await csrf(hr, "/hr/employees/import")
    empty = await hr.post(
        "/hr/employees/import", data={"_csrf_token": token}, files={"file": ("x.csv", b"", "text/csv")}
    )
    assert empty.status_code == 422
    assert 'id="file-error"' in empty.text and 'href="#file"' in empty.text
    odd = await hr.post(
        "/hr/employees/import",
        data={"_csrf_token": token},
        files={"file": ("x.csv", b"nip,colour\n1,red\n", "text/csv")},
    )
    assert odd.status_code == 422
    assert "unknown CSV columns: colour" in unescape(odd.text.split('id="file-error"')[1][:300])


async def test_the_employee_list_pages_by_nip_with_next_links(
    suite: Suite, seeded: Seeded, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "EMPLOYEES_PAGE", 4)
    hr = await sign_in("hr_admin")
    listed: list[str] = []
    path: str | None = "/hr/employees"
    while path:
        page = await hr.get(path)
        assert page.status_code == 200, page.text[:500]
        listed += re.findall(r'<span class="muted nip">(\d{18})</span>', page.text)
        found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        path = unescape(found.group(1)) if found else None
        assert path is None or ("after=" in path and "offset" not in path)
    async with httpx.AsyncClient(base_url=suite.url("feedback"), timeout=30) as api:
        everyone = await api.get(
            f"/regions/{REGION}/employees", params={"limit": 1000}, headers=suite.token("hr_admin")
        )
    assert listed == [e["nip"] for e in everyone.json()]
    assert len(listed) > 8  # more than two pages were walked


# ------------------------------------------------------------------ recommendations


async def test_a_rejection_without_a_reason_comes_back_beside_the_reason_field(
    suite: Suite, seeded: Seeded, scored: dict[str, Any], sign_in: SignIn
) -> None:
    waiting = await proposed(suite)
    hr = await sign_in("hr_admin")
    page = await hr.get("/hr/recommendations")
    assert page.status_code == 200
    shown = re.findall(r'action="/hr/recommendations/(rec-[0-9a-f]+)/decision"', page.text)
    assert shown and set(shown) <= {r["recommendation_id"] for r in waiting}
    first, second = shown[0], shown[-1]
    token = _CSRF.search(page.text).group(1)  # type: ignore[union-attr]

    refused = await hr.post(
        f"/hr/recommendations/{first}/decision",
        data={"_csrf_token": token, "decision": "rejected", f"reason_{first}": "  "},
    )
    assert refused.status_code == 422, refused.text[:500]
    beside = re.search(rf'<p class="field-error" id="reason_{first}-error">([^<]+)</p>', refused.text)
    assert beside, refused.text[:3000]
    assert f'href="#reason_{first}"' in refused.text  # the summary leads to the field

    rejected = await hr.post(
        f"/hr/recommendations/{first}/decision",
        data={"_csrf_token": token, "decision": "rejected", f"reason_{first}": "Sudah mengikuti tahun lalu."},
        follow_redirects=False,
    )
    assert rejected.status_code in (302, 303), rejected.text[:500]
    assert "done=rejected" in rejected.headers["location"]
    async with httpx.AsyncClient(base_url=suite.url("career"), timeout=30) as api:
        got = (await api.get(f"/recommendations/{first}", headers=suite.token("hr_admin"))).json()
    assert (got["status"], got["decision_reason"]) == ("rejected", "Sudah mengikuti tahun lalu.")
    after = await hr.get("/hr/recommendations")
    assert f"/hr/recommendations/{first}/decision" not in after.text
    if second != first:
        kind = next(r["kind"] for r in waiting if r["recommendation_id"] == second)
        filtered = await hr.get("/hr/recommendations", params={"kind": kind})
        kinds = {r["recommendation_id"]: r["kind"] for r in waiting}
        listed = re.findall(r'action="/hr/recommendations/(rec-[0-9a-f]+)/decision"', filtered.text)
        assert second in listed and {kinds.get(r, kind) for r in listed} == {kind}


# ------------------------------------------------------------------ audit


async def test_the_audit_log_pages_back_by_page_key(
    seeded: Seeded, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "AUDIT_PAGE", 5)
    hr = await sign_in("hr_admin")
    first = await hr.get("/hr/audit")
    assert first.status_code == 200
    assert "employee.imported" in first.text or "cycle.opened" in first.text or "plan." in first.text
    older = re.search(r'<a href="(/hr/audit\?before=[^"]+)" rel="next">', first.text)
    assert older, "a full page links to the older entries"
    second = await hr.get(unescape(older.group(1)))
    assert second.status_code == 200
    times = re.findall(r'<time datetime="([^"]+)">', first.text) + re.findall(
        r'<time datetime="([^"]+)">', second.text
    )
    assert len(times) == 10 and times == sorted(times, reverse=True)


# ------------------------------------------------------------------ exports


async def test_the_csv_and_excel_exports_hold_every_score_with_nips_as_text(
    suite: Suite, seeded: Seeded, scored: dict[str, Any], sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "EXPORT_PAGE", 4)  # several pages of scoring's API per file
    hr = await sign_in("hr_admin")
    cycle_id = seeded.plan.cycle_id
    hr_page = await hr.get(f"/hr/cycles/{cycle_id}")
    assert (
        f"/hr/cycles/{cycle_id}/export.csv" in hr_page.text
        and f"/hr/cycles/{cycle_id}/export.xlsx" in hr_page.text
    )

    exported = await hr.get(f"/hr/cycles/{cycle_id}/export.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    raw = exported.content.decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(raw.removeprefix("\ufeff"))))
    expected = await api_scores(suite, cycle_id)
    assert sorted(r["nip"] for r in rows) == sorted(expected) and len(rows) == len(expected)
    for r in rows:
        assert f'"{r["nip"]}"' in raw  # quoted: a spreadsheet reads it as text
        assert r["predicate"] == expected[r["nip"]]["predicate"]
        assert PREDICATE_WORDS[r["predicate"]] in r["predicate_label"]

    book = await hr.get(f"/hr/cycles/{cycle_id}/export.xlsx")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content), read_only=True).worksheets[0]
    header, *cells = list(sheet.iter_rows(values_only=True))
    assert header[1] == "nip"
    nips = [c[1] for c in cells]
    assert all(isinstance(n, str) and len(n) == 18 for n in nips), nips
    assert sorted(nips) == sorted(expected)  # type: ignore[type-var]


async def test_an_export_of_another_regions_cycle_is_not_found(seeded: Seeded, sign_in: SignIn) -> None:
    other = await sign_in("hr_admin", region="plaju")
    assert (await other.get(f"/hr/cycles/{seeded.plan.cycle_id}/export.csv")).status_code == 404


# ------------------------------------------------------------------ the printable document


async def test_the_evaluation_document_names_the_employee_the_predicate_and_the_appraiser(
    seeded: Seeded, scored: dict[str, Any], sign_in: SignIn
) -> None:
    cycle_id, me = seeded.plan.cycle_id, seeded.employee.nip
    assert me is not None
    predicate = scored[me]["predicate"]
    person = next(p for p in seeded.plan.people if p.nip == me)
    boss = next(p for p in seeded.plan.people if p.nip == person.supervisor)

    employee = await sign_in("employee", nip=me)
    score_page = await employee.get("/me/score")
    assert f"/print/{cycle_id}/{me}.pdf" in score_page.text
    own = await employee.get(f"/print/{cycle_id}/{me}.pdf")
    assert own.status_code == 200, own.text[:500]
    assert own.headers["content-type"] == "application/pdf" and own.content.startswith(b"%PDF")
    text = text_of(own.content)
    assert person.name in text and me in text
    assert PREDICATE_WORDS[predicate] in text
    assert "pejabat penilai" in text.lower()
    assert "Layanan publik" in text and "Layanan selesai" in text  # the plan's RHK and indicator
    assert boss.nip in text  # the appraiser's NIP, though an employee may not read their record

    supervisor = await sign_in("supervisor", nip=boss.nip)
    member_page = await supervisor.get(f"/team/{me}")
    assert f"/print/{cycle_id}/{me}.pdf" in member_page.text
    theirs = await supervisor.get(f"/print/{cycle_id}/{me}.pdf")
    assert theirs.status_code == 200
    assert boss.name in text_of(theirs.content)  # the appraiser reads their own record

    hr = await sign_in("hr_admin")
    assert (await hr.get(f"/print/{cycle_id}/{me}.pdf")).content.startswith(b"%PDF")


async def test_a_document_or_an_hr_page_out_of_reach_is_refused(seeded: Seeded, sign_in: SignIn) -> None:
    cycle_id, me = seeded.plan.cycle_id, seeded.employee.nip
    other_region = await sign_in("hr_admin", region="plaju")
    refused = await other_region.get(f"/print/{cycle_id}/{me}.pdf")
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")

    colleague = next(p.nip for p in seeded.plan.scored if p.nip != me and p.unit_id == "disdik")
    employee = await sign_in("employee", nip=me)
    assert (await employee.get(f"/print/{cycle_id}/{colleague}.pdf")).status_code == 403
    for path in ("/hr/employees", "/hr/employees/import", "/hr/recommendations", "/hr/audit"):
        assert (await employee.get(path)).status_code == 403, path
    assert (await employee.get(f"/hr/cycles/{cycle_id}/export.csv")).status_code == 403


# ------------------------------------------------------------------ both languages


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_every_hr_page_renders_in_both_languages_with_a_label_for_every_field(
    seeded: Seeded, sign_in: SignIn, lang: str
) -> None:
    hr = await sign_in("hr_admin")
    hr.cookies.set("lang", lang)
    for path in ("/hr/employees", "/hr/employees/import", "/hr/recommendations", "/hr/audit"):
        response = await hr.get(path)
        assert response.status_code == 200, (path, response.status_code)
        page = Page()
        page.feed(response.text)
        assert page.lang == lang, path
        assert not [f for f in page.fields if f not in page.labels], path
        assert not page.inline_script, path
