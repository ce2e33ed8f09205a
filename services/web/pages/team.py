"""The supervisor's pages: the team overview, updated live while staff report (HTMX polls a
fragment; without JavaScript the page has a refresh link), and per member: approve or return the
plan, rate, continuous notes, and calibrate the predicate with a reason."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from services.web.access import SUPERVISOR, person_of
from services.web.clients import ApiProblem
from services.web.forms import Form, form_of, lay_out
from services.web.pages.employee import indicators
from services.web.pages.hr import PREDICATES
from services.web.pages.params import FormBody, PagesDep, WebDep

#: How often the team page asks for the latest reports (seconds).
POLL_S = 10


class TeamController(Controller):
    path = "/team"
    guards = [SUPERVISOR]

    async def _team(self, request: Request[Any, Any, Any], web: WebDep) -> dict[str, Any]:
        person = person_of(request)
        cycle = await web.cycle(person, request.query_params.get("cycle"))
        team = await web.team(person, cycle["cycle_id"]) if cycle else {"members": []}
        return {"cycle": cycle, "team": team, "poll_s": POLL_S}

    @get("/")
    async def overview(self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep) -> Response[Any]:
        return pages.page(request, "team.html", **await self._team(request, web))

    @get("/live")
    async def live(self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep) -> Response[Any]:
        """The team table alone, which the overview's HTMX swaps in every few seconds."""
        return pages.page(request, "_team_table.html", **await self._team(request, web))

    async def _member(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        nip: str,
        form: Form | None = None,
        status: int = 200,
    ) -> Response[Any]:
        person = person_of(request)
        cycle = await web.cycle(person, request.query_params.get("cycle"))
        member = await web.employee(person, nip)
        plan = reports = score = None
        if cycle:
            plan = await web.plan(person, cycle["cycle_id"], nip)
            reports = await web.progress(person, cycle["cycle_id"], nip)
            score = await web.score(person, cycle["cycle_id"], nip)
        notes = await web.notes(person, nip)
        return pages.page(
            request,
            "member.html",
            status=status,
            cycle=cycle,
            member=member,
            plan=plan,
            indicators=indicators(plan),
            names={i["indicator_id"]: i["name"] for i in indicators(plan)},
            reports=reports or [],
            score=score,
            notes=notes,
            predicates=PREDICATES,
            form=form or Form(),
            done=request.query_params.get("done"),
        )

    @get("/{nip:str}")
    async def member(
        self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, nip: FromPath[str]
    ) -> Response[Any]:
        return await self._member(request, pages, web, nip)

    @post("/{nip:str}/plan")
    async def decide(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        nip: FromPath[str],
        data: FormBody,
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        approve = form.value("decision") == "approve"
        if not approve and not form.value("reason").strip():
            form.error("reason", pages.gettext(request)("Say why the plan is returned."))
            return await self._member(request, pages, web, nip, form, status=422)
        try:
            await web.decide_plan(person, form.value("cycle_id"), nip, approve, form.value("reason").strip())
        except ApiProblem as problem:
            lay_out(form, problem, lambda path: "reason" if path == "reason" else None)
            return await self._member(request, pages, web, nip, form, status=422)
        return Redirect(f"/team/{nip}?done={'approved' if approve else 'returned'}")

    @post("/{nip:str}/notes")
    async def note(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        nip: FromPath[str],
        data: FormBody,
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        text = form.value("text").strip()
        if not text:
            form.error("text", pages.gettext(request)("Write the note."))
            return await self._member(request, pages, web, nip, form, status=422)
        try:
            await web.write_note(person, nip, text, form.value("cycle_id") or None)
        except ApiProblem as problem:
            lay_out(form, problem, lambda path: "text" if path == "text" else None)
            return await self._member(request, pages, web, nip, form, status=422)
        return Redirect(f"/team/{nip}?done=note#notes")

    @post("/{nip:str}/calibration")
    async def calibrate(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        nip: FromPath[str],
        data: FormBody,
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        body: dict[str, Any] = {
            "decision": form.value("decision"),
            "reason": form.value("calibration_reason").strip(),
        }
        if body["decision"] == "overridden":
            body["predicate"] = form.value("predicate")
        try:
            await web.calibrate(person, form.value("cycle_id"), nip, body)
        except ApiProblem as problem:
            fields = {"reason": "calibration_reason", "predicate": "predicate"}
            lay_out(form, problem, lambda path: fields.get(path), [("reason", "calibration_reason")])
            return await self._member(request, pages, web, nip, form, status=422)
        return Redirect(f"/team/{nip}?done=calibrated#score")
