"""Every page, in Bahasa Indonesia and English, for the role it serves: it renders, every field has
a label, nothing is left untranslated, and HTML + CSS + JavaScript stay under 150 KB."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.web.suite import Seeded, Suite, signed_in
from tools.logins import Login

WEB = Path(__file__).resolve().parents[2] / "services" / "web"
BUDGET = 150 * 1024
TITLES = {"id": "Siklus", "en": "Cycle"}


class Page(HTMLParser):
    """What the checks read off a page: its language, fields, labels and assets."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.fields: list[str] = []
        self.labels: set[str] = set()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.fields.append(a.get("id") or f"<{tag} name={a.get('name')} without id>")
        elif tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")
        elif tag == "script":
            if a.get("src"):
                self.scripts.append(a["src"] or "")
            else:
                self.inline_script = True
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.styles.append(a.get("href") or "")


def pages_of(seeded: Seeded) -> dict[str, tuple[Login, list[str]]]:
    cycle = seeded.plan.cycle_id
    nip = seeded.employee.nip
    return {
        "employee": (
            seeded.employee,
            [
                "/",
                "/me/plan",
                "/me/progress",
                "/me/achievement",
                "/todo",
                "/me/score",
                "/me/inbox",
                f"/rate/{seeded.pending.nip}?source=peer",
            ],
        ),
        "supervisor": (seeded.supervisor, ["/", "/team", f"/team/{nip}", f"/rate/{nip}?source=supervisor"]),
        "hr": (
            seeded.hr,
            [
                "/hr/cycles",
                f"/hr/cycles/{cycle}",
                f"/hr/cycles/{cycle}/units/dinkes",
                "/c/marelan/dinkes/poster",
            ],
        ),
    }


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_every_page_renders_in_both_languages_with_labels_and_within_budget(
    suite: Suite, seeded: Seeded, lang: str
) -> None:
    checked = 0
    public = ["/c/marelan/dinkes", "/c/marelan/dinkes/thanks"]
    async with httpx.AsyncClient(base_url=suite.web, timeout=30) as anonymous:
        clients = [(anonymous, public)]
        for who, paths in pages_of(seeded).values():
            clients.append((await signed_in(suite, who), paths))
        for client, paths in clients:
            client.cookies.set("lang", lang)
            for path in paths:
                response = await client.get(path)
                assert response.status_code == 200, (path, response.status_code, response.text[:500])
                page = Page()
                page.feed(response.text)
                assert page.lang == lang, path
                unlabeled = [f for f in page.fields if f not in page.labels]
                assert not unlabeled, (path, unlabeled)
                assert not page.inline_script, path
                size = len(response.content)
                for asset in page.scripts + page.styles:
                    size += len((await client.get(asset)).content)
                assert size < BUDGET, (path, size)
                checked += 1
            if client is not anonymous:
                await client.aclose()
    assert checked == len(public) + sum(len(p) for _, p in pages_of(seeded).values())


def test_the_indonesian_catalogue_translates_every_message() -> None:
    """Bahasa Indonesia is the default: every message the templates and pages use (extracted here,
    as ``pybabel extract`` does) has its translation, so none falls back to its English id."""
    extracted = extract_from_dir(
        str(WEB),
        method_map=[("**/templates/**.html", "jinja2"), ("**.py", "python")],
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    ids = {m[2] if isinstance(m[2], str) else m[2][0] for m in extracted}
    assert len(ids) > 100, "the extraction finds the pages' messages"
    with (WEB / "locale" / "id" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalogue
        if m.id and (all(m.string) if isinstance(m.string, tuple | list) else m.string)
    }
    assert not sorted(ids - translated), sorted(ids - translated)


async def test_the_web_is_scraped_like_the_services(suite: Suite, seeded: Seeded) -> None:
    """Prometheus reads the web's requests by route template and status (docs/operations.md)."""
    async with httpx.AsyncClient(base_url=suite.web, timeout=30) as client:
        assert (await client.get("/c/marelan/dinkes")).status_code == 200
        metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    lines = [line for line in metrics.text.splitlines() if line.startswith("kinerja_http_requests_total{")]
    assert any('service="web"' in line and "/c/{region}/{unit_id}" in line for line in lines), lines[:5]


async def test_pages_send_a_strict_policy_and_the_session_cookie_stays_out_of_scripts(
    suite: Suite, seeded: Seeded
) -> None:
    client = await signed_in(suite, seeded.employee)
    try:
        page = await client.get("/me/progress")
        policy = page.headers["content-security-policy"]
        assert (
            "script-src 'self'" in policy
            and "'unsafe-inline'" not in policy
            and "form-action 'self'" in policy
        )
        assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
        cookies = {c.name: c for c in client.cookies.jar}
        session = [c for name, c in cookies.items() if name.startswith("kinerja_session")]
        assert session and all(c.has_nonstandard_attr("HttpOnly") for c in session)
        assert all(str(c.get_nonstandard_attr("SameSite")).lower() == "lax" for c in session)
        assert cookies["kinerja_csrf"].has_nonstandard_attr("HttpOnly")
        # A form without the CSRF token is refused; error pages carry the policy too.
        forged = await client.post("/me/progress", data={"value_iki-1": "99"})
        assert forged.status_code == 403 and forged.headers["content-security-policy"] == policy
        missing = await client.get("/no-such-page")
        assert missing.status_code == 404 and missing.headers["content-security-policy"] == policy
        assert missing.headers["cache-control"] == "no-store"
        # Signing out ends the session: the next page asks the provider again.
        token = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        await client.post("/auth/logout", data={"_csrf_token": token})
        again = await client.get("/me/progress")
        assert "dex" in str(again.url)
    finally:
        await client.aclose()


@pytest.mark.parametrize(("lang", "title"), [("id", "Halaman tidak ditemukan"), ("en", "Page not found")])
async def test_the_error_page_speaks_the_visitors_language(suite: Suite, lang: str, title: str) -> None:
    async with httpx.AsyncClient(base_url=suite.web, timeout=30, cookies={"lang": lang}) as client:
        missing = await client.get("/c/marelan/dinkes/no-such-page")
    assert missing.status_code == 404
    page = Page()
    page.feed(missing.text)
    assert page.lang == lang and f"<h1>{title}</h1>" in missing.text
