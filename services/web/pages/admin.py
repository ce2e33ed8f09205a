"""HR and region admin: the region's employees and their import from a CSV file, the
recommendations waiting for HR's decision, the audit log, and a cycle's scores as CSV or Excel.

Every list pages by key as the services do (a NIP, a recommendation id, an audit page key): a
"next page" link carries the last key of the page, never an offset.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream

from services.web.access import HR, person_of
from services.web.clients import ApiProblem
from services.web.export import Workbook, csv_header, csv_rows, score_row
from services.web.forms import Form, form_of, lay_out
from services.web.pages.params import FormBody, PagesDep, UploadBody, WebDep
from services.web.signin import Person
from shared.auth import Role

#: Rows per page of the lists; scores per request of an export (the API allows up to 1000).
EMPLOYEES_PAGE = 50
RECOMMENDATIONS_PAGE = 20
AUDIT_PAGE = 50
EXPORT_PAGE = 500
#: The import's columns, as feedback reads them (docs/feedback.md, ``POST R/employee-imports``).
IMPORT_COLUMNS = (
    "nip",
    "name",
    "position",
    "unit_id",
    "supervisor_nip",
    "team_id",
    "employment_type",
    "language",
    "email",
    "service_role",
    "active",
)


def kind_names(gettext: Callable[[str], str]) -> dict[str, str]:
    """Career's kinds of recommendation (shared/events/career.py) as the reader calls them."""
    return {
        "training": gettext("Training"),
        "seminar": gettext("Seminar"),
        "scholarship": gettext("Scholarship"),
        "promotion_readiness": gettext("Promotion readiness"),
        "reward": gettext("Reward"),
        "allowance": gettext("Performance allowance"),
        "sanction": gettext("Sanction"),
        "team_award": gettext("Team award"),
        "talent_box": gettext("Talent 9-box"),
    }


KINDS = tuple(kind_names(str))


def address(path: str, query: dict[str, str]) -> str:
    """``path`` with the query parameters that have a value."""
    given = {k: v for k, v in query.items() if v}
    return f"{path}?{urlencode(given)}" if given else path


def next_link(path: str, query: dict[str, str], key: str, last: str | None) -> str | None:
    """The next page's address: this page's filters with ``key`` set to the last key read, or None
    when this page was the last (shorter than a page)."""
    return address(path, {**query, key: last}) if last else None


class EmployeeController(Controller):
    path = "/hr/employees"
    guards = [HR]

    @get("/")
    async def employees(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        after: FromQuery[str | None] = None,
    ) -> Response[Any]:
        person = person_of(request)
        rows = await web.employees(person, after, EMPLOYEES_PAGE)
        cycle = await web.cycle(person)
        last = rows[-1]["nip"] if len(rows) == EMPLOYEES_PAGE else None
        return pages.page(
            request,
            "hr_employees.html",
            employees=rows,
            cycle=cycle,
            after=after,
            next_page=next_link("/hr/employees", {}, "after", last),
        )

    def _import(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        form: Form,
        report: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        return pages.page(
            request,
            "hr_import.html",
            status=status,
            form=form,
            report=report,
            columns=IMPORT_COLUMNS,
        )

    @get("/import")
    async def import_form(self, request: Request[Any, Any, Any], pages: PagesDep) -> Response[Any]:
        return self._import(request, pages, Form())

    @post("/import")
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        data: UploadBody,
    ) -> Response[Any]:
        person = person_of(request)
        upload = data.get("file")
        form = form_of({k: v for k, v in data.items() if k != "file"})
        gettext = pages.gettext(request)
        content = await upload.read() if isinstance(upload, UploadFile) else b""
        if not content:
            form.error("file", gettext("Choose a CSV file with a header row."))
            return self._import(request, pages, form, status=422)
        try:
            report = await web.import_employees(person, content)
        except ApiProblem as problem:
            if problem.status not in (400, 413, 415, 422):
                raise
            # Whatever feedback says of the body (columns, encoding, size) is about the file.
            for _, message in problem.field_errors() or [("", problem.detail)]:
                form.error("file", message)
            return self._import(request, pages, form, status=422)
        # The report is the answer to this upload: shown now, not kept (feedback's audit keeps it).
        return self._import(request, pages, Form(), report=report)


class RecommendationController(Controller):
    """Proposed recommendations, with HR's accept or reject; career decides what is valid."""

    path = "/hr/recommendations"
    guards = [HR]

    async def _list(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        query: dict[str, str],
        form: Form,
        status: int = 200,
    ) -> Response[Any]:
        person = person_of(request)
        found = await web.recommendations(
            person,
            status="proposed",
            kind=query.get("kind"),
            cycle_id=query.get("cycle"),
            after=query.get("after"),
            limit=RECOMMENDATIONS_PAGE,
        )
        last = found[-1]["recommendation_id"] if len(found) == RECOMMENDATIONS_PAGE else None
        filters = {"kind": query.get("kind", ""), "cycle": query.get("cycle", "")}
        return pages.page(
            request,
            "hr_recommendations.html",
            status=status,
            recommendations=found,
            filters=Form(values=filters),
            kind_names=kind_names(pages.gettext(request)),
            cycles=[(c["cycle_id"], c["cycle_id"]) for c in await web.cycles(person)],
            after=query.get("after", ""),
            next_page=next_link("/hr/recommendations", filters, "after", last),
            first_page=address("/hr/recommendations", filters) if query.get("after") else None,
            can_decide=person.role is Role.HR_ADMIN,
            form=form,
            done=request.query_params.get("done"),
        )

    @get("/")
    async def proposed(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        kind: FromQuery[str | None] = None,
        cycle: FromQuery[str | None] = None,
        after: FromQuery[str | None] = None,
    ) -> Response[Any]:
        query = {"kind": kind if kind in KINDS else "", "cycle": cycle or "", "after": after or ""}
        return await self._list(request, pages, web, query, Form())

    @post("/{recommendation_id:str}/decision")
    async def decide(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        recommendation_id: FromPath[str],
        data: FormBody,
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        query = {k: str(form.value(k)) for k in ("kind", "cycle", "after")}
        reason_field = f"reason_{recommendation_id}"
        body: dict[str, Any] = {"status": form.value("decision")}
        if reason := str(form.value(reason_field)).strip():
            body["reason"] = reason
        try:
            await web.decide_recommendation(person, recommendation_id, body)
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            self._explain(form, problem, reason_field, pages.gettext(request))
            return await self._list(request, pages, web, query, form, status=problem.status)
        return Redirect(address("/hr/recommendations", {**query, "done": str(body["status"])}))

    @staticmethod
    def _explain(form: Form, problem: ApiProblem, reason_field: str, gettext: Callable[[str], str]) -> None:
        """Career's refusal beside the field it is about, in the reader's language when it is one
        the page knows."""
        known = {
            "rejection-reason": (reason_field, gettext("Say why the recommendation is rejected.")),
            "recommendation-not-proposed": (
                None,
                gettext("This recommendation was decided or replaced meanwhile; the list is fresh now."),
            ),
            "stale-write": (
                None,
                gettext("Someone changed this recommendation at the same time; try again."),
            ),
        }
        if problem.slug in known:
            form.error(*known[problem.slug])
            return
        lay_out(form, problem, lambda path: reason_field if path == "reason" else None)


@get("/hr/audit", guards=[HR])
async def audit_log(
    request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, before: FromQuery[str | None] = None
) -> Response[Any]:
    person = person_of(request)
    entries = await web.audit(person, before, AUDIT_PAGE)
    last = entries[-1]["page_key"] if len(entries) == AUDIT_PAGE else None
    return pages.page(
        request,
        "hr_audit.html",
        entries=entries,
        before=before,
        next_page=next_link("/hr/audit", {}, "before", last),
    )


class ExportController(Controller):
    """A cycle's scores as a file, read from scoring a page at a time."""

    path = "/hr/cycles/{cycle_id:str}"
    guards = [HR]

    @staticmethod
    async def _pages(
        web: WebDep, person: Person, cycle_id: str, first: dict[str, Any]
    ) -> AsyncIterator[list[dict[str, Any]]]:
        page = first
        while True:
            yield page.get("items", [])
            if not page.get("next"):
                return
            page = await web.cycle_scores(person, cycle_id, page["next"], EXPORT_PAGE)

    @staticmethod
    def _labels(pages: PagesDep, request: Request[Any, Any, Any]) -> Callable[[str], str]:
        gettext = pages.gettext(request)
        names = {
            "sangat_baik": gettext("Outstanding (Sangat Baik)"),
            "baik": gettext("Good (Baik)"),
            "butuh_perbaikan": gettext("Needs improvement (Butuh Perbaikan)"),
            "kurang": gettext("Poor (Kurang)"),
            "sangat_kurang": gettext("Very poor (Sangat Kurang)"),
        }
        return lambda predicate: names.get(predicate, predicate)

    async def _first(self, request: Request[Any, Any, Any], web: WebDep, cycle_id: str) -> dict[str, Any]:
        """The cycle (a cycle of another region is not found) and the first page of its scores,
        read before the answer starts, so that a refusal is an error page and not a broken file."""
        person = person_of(request)
        await web.cycle(person, cycle_id)
        return await web.cycle_scores(person, cycle_id, None, EXPORT_PAGE)

    @get("/export.csv")
    async def csv(
        self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, cycle_id: FromPath[str]
    ) -> Stream:
        person = person_of(request)
        first = await self._first(request, web, cycle_id)
        label = self._labels(pages, request)

        async def body() -> AsyncIterator[str]:
            yield csv_header()
            async for items in self._pages(web, person, cycle_id, first):
                yield csv_rows(score_row(i, label) for i in items)

        return Stream(
            body(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="scores-{cycle_id}.csv"'},
        )

    @get("/export.xlsx")
    async def xlsx(
        self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, cycle_id: FromPath[str]
    ) -> Response[bytes]:
        person = person_of(request)
        first = await self._first(request, web, cycle_id)
        label = self._labels(pages, request)
        book = Workbook(cycle_id)
        async for items in self._pages(web, person, cycle_id, first):
            book.append(score_row(i, label) for i in items)
        content = await anyio.to_thread.run_sync(book.save)
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": f'attachment; filename="scores-{cycle_id}.xlsx"'},
        )
