"""The employee's plan (SKP): results (RHK), each linked to the supervisor's result it supports,
with indicators (IKI) and their targets. The form works without JavaScript: "add a result" and
"add an indicator" send the form back with one more blank block, keeping what was typed."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from services.web.access import STAFF, person_of
from services.web.clients import ApiProblem
from services.web.forms import Form, form_of, lay_out, number
from services.web.pages.params import FormBody, PagesDep, WebDep

ASPECTS = ("quantity", "quality", "time", "cost")
_RESULT = re.compile(r"^r(\d+)_(\w+)$")
_INDICATOR = re.compile(r"^r(\d+)i(\d+)_(\w+)$")


def values_of(plan: dict[str, Any] | None) -> dict[str, Any]:
    """A stored plan as form values: ``r<n>_<field>`` and ``r<n>i<m>_<field>``."""
    values: dict[str, Any] = {}
    for n, result in enumerate((plan or {}).get("results", [])):
        values.update(
            {
                f"r{n}_id": result["result_id"],
                f"r{n}_title": result["title"],
                f"r{n}_kind": result["kind"],
                f"r{n}_supports": result.get("supports") or "",
            }
        )
        for m, i in enumerate(result.get("indicators", [])):
            values.update(
                {
                    f"r{n}i{m}_id": i["indicator_id"],
                    f"r{n}i{m}_name": i["name"],
                    f"r{n}i{m}_aspect": i["aspect"],
                    f"r{n}i{m}_target": f"{i['target']:g}",
                    f"r{n}i{m}_unit": i["unit"],
                    f"r{n}i{m}_direction": i.get("direction", "higher"),
                }
            )
    return values


def shape(values: dict[str, Any]) -> list[int]:
    """How many indicator blocks each result block has, from the form's field names."""
    counts: dict[int, int] = {}
    for key in values:
        if m := _INDICATOR.match(key):
            counts[int(m[1])] = max(counts.get(int(m[1]), 0), int(m[2]) + 1)
        elif m := _RESULT.match(key):
            counts.setdefault(int(m[1]), 0)
    return [max(counts.get(n, 0), 1) for n in range(max(counts, default=-1) + 1)] or [1]


def results_of(form: Form, blocks: list[int], gettext: Any) -> list[dict[str, Any]]:
    """The plan's results from the form; blank blocks are left out, and a number that is not one
    is an error beside its field."""
    results = []
    used_ids: set[str] = set()
    for n, count in enumerate(blocks):
        title = str(form.value(f"r{n}_title")).strip()
        indicators = []
        for m in range(count):
            prefix = f"r{n}i{m}_"
            name = str(form.value(prefix + "name")).strip()
            if not name:
                continue
            try:
                target = number(str(form.value(prefix + "target")))
            except ValueError:
                form.error(prefix + "target", gettext("Enter a number, such as 12 or 12,5."))
                continue
            if target is None:
                form.error(prefix + "target", gettext("Enter the target."))
                continue
            iid = str(form.value(prefix + "id")) or f"iki-{n + 1}-{m + 1}"
            while iid in used_ids:
                iid += "b"
            used_ids.add(iid)
            indicators.append(
                {
                    "indicator_id": iid,
                    "name": name,
                    "aspect": form.value(prefix + "aspect") or "quantity",
                    "target": target,
                    "unit": str(form.value(prefix + "unit")).strip(),
                    "direction": form.value(prefix + "direction") or "higher",
                }
            )
        if not title and not indicators:
            continue
        result: dict[str, Any] = {
            "result_id": str(form.value(f"r{n}_id")) or f"rhk-{n + 1}",
            "kind": form.value(f"r{n}_kind") or "utama",
            "title": title,
            "indicators": indicators,
        }
        if supports := str(form.value(f"r{n}_supports")):
            result["supports"] = supports
        results.append(result)
    return results


def _field_of(path: str, blocks: list[dict[str, Any]]) -> str | None:
    """``results.0.indicators.1.target`` -> ``r0i1_target``; ``results.0.title`` -> ``r0_title``."""
    parts = path.split(".")
    if len(parts) >= 3 and parts[0] == "results" and parts[1].isdigit():
        n = int(parts[1])
        if parts[2] == "indicators" and len(parts) >= 5 and parts[3].isdigit():
            return f"r{n}i{parts[3]}_{parts[4]}"
        return f"r{n}_{parts[2]}"
    return None


class PlanController(Controller):
    path = "/me/plan"
    guards = [STAFF]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        form: Form | None,
        blocks: list[int] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        person = person_of(request)
        cycle = await web.cycle(person, request.query_params.get("cycle"))
        plan = await web.plan(person, cycle["cycle_id"], person.nip or "") if cycle else None
        me = await web.employee(person, person.nip or "")
        boss_plan = None
        if cycle and me.get("supervisor_nip"):
            try:
                boss_plan = await web.plan(person, cycle["cycle_id"], me["supervisor_nip"])
            except ApiProblem:
                boss_plan = None
        if form is None:
            form = Form(values=values_of(plan))
        blocks = blocks or shape(form.values)
        supports = [("", pages.gettext(request)("(none)"))]
        if boss_plan:
            supports += [
                (f"{boss_plan['plan_id']}/{r['result_id']}", r["title"]) for r in boss_plan["results"]
            ]
        return pages.page(
            request,
            "plan.html",
            status=status,
            cycle=cycle,
            plan=plan,
            form=form,
            blocks=blocks,
            supports=supports,
            aspects=ASPECTS,
            saved=request.query_params.get("saved") == "1",
        )

    @get("/")
    async def show(self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep) -> Response[Any]:
        return await self._page(request, pages, web, None)

    @post("/")
    async def submit(
        self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, data: FormBody
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        action = form.values.pop("action", "submit")
        blocks = shape(form.values)
        if action == "add_result":
            return await self._page(request, pages, web, form, [*blocks, 1])
        if isinstance(action, str) and action.startswith("add_indicator_"):
            n = int(action.removeprefix("add_indicator_") or 0)
            if 0 <= n < len(blocks):
                blocks[n] += 1
            return await self._page(request, pages, web, form, blocks)
        gettext = pages.gettext(request)
        results = results_of(form, blocks, gettext)
        cycle = await web.cycle(person, form.value("cycle_id") or None)
        if not form.failed and not results:
            form.error("r0_title", gettext("Write at least one result with an indicator."))
        if not form.failed and cycle:
            try:
                await web.submit_plan(person, cycle["cycle_id"], results)
            except ApiProblem as problem:
                lay_out(form, problem, lambda path: _field_of(path, results))
            else:
                return Redirect("/me/plan?saved=1")
        return await self._page(request, pages, web, form, blocks, status=422)
