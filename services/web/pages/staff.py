"""Pages of everyone with a NIP: the to-do list and the rating form, the final achievement report,
my feedback as the API pools it, my score with its explanation and history, my recommendations
and my inbox."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from services.web.access import STAFF, NotForYou, person_of
from services.web.clients import ApiProblem
from services.web.forms import Form, form_of, lay_out, lines, number
from services.web.pages.auth import safe_next
from services.web.pages.employee import indicators
from services.web.pages.params import FormBody, PagesDep, WebDep

SOURCES = ("self", "supervisor", "peer", "subordinate")


class ToDoController(Controller):
    path = "/todo"
    guards = [STAFF]

    @get("/")
    async def to_do(self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep) -> Response[Any]:
        person = person_of(request)
        cycle = await web.cycle(person, request.query_params.get("cycle"))
        todo = await web.to_do(person, cycle["cycle_id"]) if cycle else None
        return pages.page(request, "todo.html", cycle=cycle, todo=todo, done=request.query_params.get("done"))


class RateController(Controller):
    """Rate a colleague as self, supervisor, peer or subordinate (the service checks the relation)."""

    path = "/rate/{nip:str}"
    guards = [STAFF]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        nip: str,
        source: str,
        form: Form,
        status: int = 200,
    ) -> Response[Any]:
        person = person_of(request)
        cycle, ratee = await self._ratee(request, web, nip, source, form.value("cycle_id") or None)
        rubric = await web.rubric(person.region, source, service_role=bool(ratee.get("service_role")))
        return pages.page(
            request,
            "rate.html",
            status=status,
            cycle=cycle,
            ratee=ratee,
            source=source,
            criteria=rubric["criteria"],
            scale=[f"{v:g}" for v in rubric["choices"]],
            form=form,
            back=safe_next(form.value("back") or request.query_params.get("back") or "/todo"),
        )

    async def _ratee(
        self, request: Request[Any, Any, Any], web: WebDep, nip: str, source: str, chosen: str | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """The cycle and the person to assess, as the caller's to-do list names them (a colleague's
        record is not the caller's to read); someone not on the list is not theirs to assess."""
        person = person_of(request)
        cycle = await web.cycle(person, request.query_params.get("cycle") or chosen)
        todo = await web.to_do(person, cycle["cycle_id"]) if cycle else {"items": []}
        for item in todo["items"]:
            if item["nip"] == nip and item["source"] == source:
                return cycle, item
        raise NotForYou(source)

    @get("/")
    async def show(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        nip: FromPath[str],
        source: FromQuery[str] = "peer",
    ) -> Response[Any]:
        return await self._page(request, pages, web, nip, source if source in SOURCES else "peer", Form())

    @post("/")
    async def rate(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        nip: FromPath[str],
        data: FormBody,
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        source = form.value("source") if form.value("source") in SOURCES else "peer"
        gettext = pages.gettext(request)
        _, ratee = await self._ratee(request, web, nip, source, form.value("cycle_id") or None)
        rubric = await web.rubric(person.region, source, service_role=bool(ratee.get("service_role")))
        ratings: dict[str, float] = {}
        for c in rubric["criteria"]:
            raw = form.value(f"rating_{c['criterion_id']}")
            if not raw:
                form.error(f"rating_{c['criterion_id']}", gettext("Choose a rating."))
            else:
                try:
                    ratings[c["criterion_id"]] = float(raw)
                except ValueError:
                    form.error(f"rating_{c['criterion_id']}", gettext("Choose a rating."))
        cycle = await web.cycle(person, form.value("cycle_id") or None)
        if not form.failed and cycle:
            body: dict[str, Any] = {"source": source, "ratings": ratings}
            if comment := form.value("comment").strip():
                body["comment"] = comment
            try:
                await web.rate(person, cycle["cycle_id"], nip, body)
            except ApiProblem as problem:
                lay_out(form, problem, lambda path: "comment" if path == "comment" else None)
            else:
                back = safe_next(form.value("back") or "/todo")
                return Redirect(f"{back}{'&' if '?' in back else '?'}done={nip}")
        return await self._page(request, pages, web, nip, source, form, status=422)


class AchievementController(Controller):
    path = "/me/achievement"
    guards = [STAFF]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        form: Form | None,
        status: int = 200,
    ) -> Response[Any]:
        person = person_of(request)
        cycle = await web.cycle(person, request.query_params.get("cycle"))
        plan = achievement = None
        if cycle and person.nip:
            plan = await web.plan(person, cycle["cycle_id"], person.nip)
            achievement = await web.achievement(person, cycle["cycle_id"], person.nip)
        if form is None:
            form = Form(
                values={
                    **{
                        f"value_{r['indicator_id']}": f"{r['value']:g}"
                        for r in (achievement or {}).get("realisations", [])
                    },
                    **{
                        f"evidence_{r['indicator_id']}": "\n".join(r.get("evidence", []))
                        for r in (achievement or {}).get("realisations", [])
                    },
                }
            )
        return pages.page(
            request,
            "achievement.html",
            status=status,
            cycle=cycle,
            plan=plan,
            indicators=indicators(plan),
            achievement=achievement,
            form=form,
            saved=request.query_params.get("saved") == "1",
        )

    @get("/")
    async def show(self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep) -> Response[Any]:
        return await self._page(request, pages, web, None)

    @post("/")
    async def report(
        self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, data: FormBody
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        cycle = await web.cycle(person, form.value("cycle_id") or None)
        plan = await web.plan(person, cycle["cycle_id"], person.nip or "") if cycle else None
        gettext = pages.gettext(request)
        realisations = []
        for i in indicators(plan):
            iid = i["indicator_id"]
            try:
                value = number(form.value(f"value_{iid}"))
            except ValueError:
                form.error(f"value_{iid}", gettext("Enter a number, such as 12 or 12,5."))
                continue
            if value is None:
                form.error(f"value_{iid}", gettext("The final report needs a value for every indicator."))
                continue
            evidence = lines(form.value(f"evidence_{iid}"))
            realisations.append({"indicator_id": iid, "value": value, "evidence": evidence})
        if not form.failed and cycle:
            try:
                await web.report_achievement(person, cycle["cycle_id"], {"realisations": realisations})
            except ApiProblem as problem:
                sent = [r["indicator_id"] for r in realisations]
                lay_out(form, problem, lambda path: None, [(i, f"value_{i}") for i in sent])
            else:
                return Redirect("/me/achievement?saved=1")
        return await self._page(request, pages, web, form, status=422)


@get("/me/score", guards=[STAFF])
async def my_score(request: Request[Any, Any, Any], pages: PagesDep, web: WebDep) -> Response[Any]:
    person = person_of(request)
    nip = person.nip or ""
    cycle = await web.cycle(person, request.query_params.get("cycle"))
    score = await web.score(person, cycle["cycle_id"], nip) if cycle else None
    pooled = None
    if cycle:
        try:
            pooled = await web.pooled_feedback(person, cycle["cycle_id"], nip)
        except ApiProblem:
            pooled = None
    history = await web.score_history(person, nip)
    recommendations = await web.recommendations(person, nip=nip)
    return pages.page(
        request,
        "score.html",
        cycle=cycle,
        score=score,
        pooled=pooled,
        history=history,
        recommendations=recommendations,
    )


class InboxController(Controller):
    path = "/me/inbox"
    guards = [STAFF]

    @get("/")
    async def inbox(self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep) -> Response[Any]:
        person = person_of(request)
        messages = await web.inbox(person, person.nip or "")
        return pages.page(request, "inbox.html", messages=messages)

    @post("/{notification_id:str}/read")
    async def read(
        self, request: Request[Any, Any, Any], web: WebDep, notification_id: FromPath[str]
    ) -> Redirect:
        person = person_of(request)
        await web.mark_read(person, person.nip or "", notification_id)
        return Redirect("/me/inbox")
