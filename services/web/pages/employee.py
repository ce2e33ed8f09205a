"""The employee's pages: home, this cycle's progress reports, the final achievement, the score."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from services.web.access import SIGNED_IN, STAFF, person_of
from services.web.clients import ApiProblem
from services.web.forms import Form, form_of, lay_out, lines, number
from services.web.pages.params import FormBody, PagesDep, WebDep


def indicators(plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The plan's indicators in plan order, each with the title of its RHK."""
    if not plan:
        return []
    return [
        {**i, "result_title": r["title"]} for r in plan.get("results", []) for i in r.get("indicators", [])
    ]


@get("/", guards=[SIGNED_IN])
async def home(
    request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, cycle: FromQuery[str | None] = None
) -> Response[Any]:
    person = person_of(request)
    if person.hr:
        return Redirect("/hr/cycles")
    current = await web.cycle(person, cycle)
    plan = progress = todo = score = None
    if current and person.nip:
        plan = await web.plan(person, current["cycle_id"], person.nip)
        progress = await web.progress(person, current["cycle_id"], person.nip)
        try:
            todo = await web.to_do(person, current["cycle_id"])
        except ApiProblem:
            todo = None
        score = await web.score(person, current["cycle_id"], person.nip)
    return pages.page(
        request, "home.html", cycle=current, plan=plan, progress=progress or [], todo=todo, score=score
    )


class ProgressController(Controller):
    path = "/me/progress"
    guards = [STAFF]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        form: Form,
        status: int = 200,
        cycle: str | None = None,
    ) -> Response[Any]:
        person = person_of(request)
        current = await web.cycle(person, cycle)
        plan = reports = None
        if current and person.nip:
            plan = await web.plan(person, current["cycle_id"], person.nip)
            reports = await web.progress(person, current["cycle_id"], person.nip)
        return pages.page(
            request,
            "progress.html",
            status=status,
            cycle=current,
            plan=plan,
            indicators=indicators(plan),
            names={i["indicator_id"]: i["name"] for i in indicators(plan)},
            reports=reports or [],
            form=form,
            saved=request.query_params.get("saved") == "1",
        )

    @get("/")
    async def show(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        cycle: FromQuery[str | None] = None,
    ) -> Response[Any]:
        return await self._page(request, pages, web, Form(), cycle=cycle)

    @post("/")
    async def report(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        data: FormBody,
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        cycle_id = form.value("cycle_id")
        current = await web.cycle(person, cycle_id or None)
        plan = await web.plan(person, current["cycle_id"], person.nip or "") if current else None
        items = indicators(plan)
        gettext = pages.gettext(request)
        realisations = []
        for i in items:
            iid = i["indicator_id"]
            try:
                value = number(form.value(f"value_{iid}"))
            except ValueError:
                form.error(f"value_{iid}", gettext("Enter a number, such as 12 or 12,5."))
                continue
            if value is not None:
                realisations.append(
                    {"indicator_id": iid, "value": value, "evidence": lines(form.value(f"evidence_{iid}"))}
                )
        if not form.failed and not realisations:
            form.error(None, gettext("Enter a value for at least one indicator."))
        if not form.failed and current:
            body: dict[str, Any] = {"realisations": realisations}
            if note := form.value("note").strip():
                body["note"] = note
            try:
                await web.report_progress(person, current["cycle_id"], body)
            except ApiProblem as problem:
                sent = [r["indicator_id"] for r in realisations]
                lay_out(form, problem, lambda path: _field_of(path, sent), [(i, f"value_{i}") for i in sent])
            else:
                return Redirect(f"/me/progress?saved=1&cycle={current['cycle_id']}")
        return await self._page(request, pages, web, form, status=422, cycle=cycle_id or None)


def _field_of(path: str, sent: list[str]) -> str | None:
    """``realisations.<n>.value`` -> ``value_<indicator>``, ``note`` -> ``note``."""
    parts = path.split(".")
    if parts[0] == "realisations" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(sent):
        kind = "evidence" if len(parts) > 2 and parts[2] == "evidence" else "value"
        return f"{kind}_{sent[int(parts[1])]}"
    return "note" if parts[0] == "note" else None
