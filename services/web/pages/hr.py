"""HR and region admin: cycles (open, close with unit predicates, reopen), and per unit the
distribution curve and the talent 9-box with the entry of potentials."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from services.web.access import HR, person_of
from services.web.clients import ApiProblem
from services.web.forms import Form, form_of, lay_out
from services.web.pages.params import FormBody, PagesDep, WebDep

#: The organisation predicates a unit is closed with (PermenPANRB 6/2022).
UNIT_PREDICATES = ("Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
PREDICATES = ("sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")
POTENTIALS = ("rendah", "menengah", "tinggi")


def _day_start(day: str) -> str:
    return datetime.combine(datetime.fromisoformat(day).date(), time(0, 0), tzinfo=UTC).isoformat()


def _day_end(day: str) -> str:
    return datetime.combine(datetime.fromisoformat(day).date(), time(23, 59, 59), tzinfo=UTC).isoformat()


class CycleController(Controller):
    path = "/hr/cycles"
    guards = [HR]

    async def _list(
        self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, form: Form, status: int = 200
    ) -> Response[Any]:
        person = person_of(request)
        return pages.page(
            request, "hr_cycles.html", status=status, cycles=await web.cycles(person), form=form
        )

    @get("/")
    async def cycles(self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep) -> Response[Any]:
        return await self._list(request, pages, web, Form(values={"kind": "annual"}))

    @post("/")
    async def open_cycle(
        self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, data: FormBody
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        gettext = pages.gettext(request)
        dates = {}
        for name in ("period_start", "period_end", "window_opens", "window_closes"):
            try:
                datetime.fromisoformat(form.value(name))
                dates[name] = form.value(name)
            except ValueError:
                form.error(name, gettext("Enter a date."))
        if not form.failed:
            body = {
                "cycle_id": form.value("cycle_id").strip(),
                "kind": form.value("kind"),
                "period_start": dates["period_start"],
                "period_end": dates["period_end"],
                "window_opens": _day_start(dates["window_opens"]),
                "window_closes": _day_end(dates["window_closes"]),
            }
            try:
                await web.open_cycle(person, body)
            except ApiProblem as problem:
                lay_out(form, problem, lambda path: path if path in body else None)
            else:
                return Redirect(f"/hr/cycles/{body['cycle_id']}")
        return await self._list(request, pages, web, form, status=422)

    async def _cycle(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        cycle_id: str,
        form: Form,
        status: int = 200,
    ) -> Response[Any]:
        person = person_of(request)
        cycle = await web.cycle(person, cycle_id)
        units = await web.units(person)
        return pages.page(
            request,
            "hr_cycle.html",
            status=status,
            cycle=cycle,
            units=units,
            unit_predicates=[(p, p) for p in UNIT_PREDICATES],
            form=form,
        )

    @get("/{cycle_id:str}")
    async def cycle(
        self, request: Request[Any, Any, Any], pages: PagesDep, web: WebDep, cycle_id: FromPath[str]
    ) -> Response[Any]:
        return await self._cycle(request, pages, web, cycle_id, Form())

    @post("/{cycle_id:str}/close")
    async def close(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        cycle_id: FromPath[str],
        data: FormBody,
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        predicates = {
            k.removeprefix("unit_"): v for k, v in form.values.items() if k.startswith("unit_") and v
        }
        try:
            await web.close_cycle(person, cycle_id, predicates)
        except ApiProblem as problem:
            lay_out(
                form,
                problem,
                lambda path: (
                    f"unit_{path.rsplit('.', 1)[-1]}" if path.startswith("unit_predicates.") else None
                ),
            )
            return await self._cycle(request, pages, web, cycle_id, form, status=422)
        return Redirect(f"/hr/cycles/{cycle_id}?closed=1")

    @post("/{cycle_id:str}/reopen")
    async def reopen(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        cycle_id: FromPath[str],
        data: FormBody,
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        gettext = pages.gettext(request)
        try:
            closes = _day_end(form.value("window_closes"))
        except ValueError:
            form.error("window_closes", gettext("Enter a date."))
            return await self._cycle(request, pages, web, cycle_id, form, status=422)
        try:
            await web.reopen_cycle(person, cycle_id, form.value("reason").strip(), closes)
        except ApiProblem as problem:
            lay_out(form, problem, lambda path: path if path in ("reason", "window_closes") else None)
            return await self._cycle(request, pages, web, cycle_id, form, status=422)
        return Redirect(f"/hr/cycles/{cycle_id}")


class UnitController(Controller):
    path = "/hr/cycles/{cycle_id:str}/units/{unit_id:str}"
    guards = [HR]

    async def _unit(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        cycle_id: str,
        unit_id: str,
        form: Form,
        status: int = 200,
    ) -> Response[Any]:
        person = person_of(request)
        distribution = await web.distribution(person, cycle_id, unit_id)
        team = await web.team(person, cycle_id, unit=unit_id)
        people = team.get("members", [])
        grid = await web.talent_grid(person, cycle_id, people)
        counts = (distribution or {}).get("predicates", {})
        top = max([1, *counts.values()])
        return pages.page(
            request,
            "hr_unit.html",
            status=status,
            cycle_id=cycle_id,
            unit_id=unit_id,
            distribution=distribution,
            bars=[(p, counts.get(p, 0), round(100 * counts.get(p, 0) / top)) for p in PREDICATES],
            grid=grid,
            people_options=[(p["nip"], f"{p['name']} ({p['nip']})") for p in people],
            potentials=POTENTIALS,
            form=form,
        )

    @get("/")
    async def unit(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        cycle_id: FromPath[str],
        unit_id: FromPath[str],
    ) -> Response[Any]:
        return await self._unit(request, pages, web, cycle_id, unit_id, Form())

    @post("/potentials")
    async def potential(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        cycle_id: FromPath[str],
        unit_id: FromPath[str],
        data: FormBody,
    ) -> Response[Any]:
        person = person_of(request)
        form = form_of(data)
        nip = form.value("nip")
        body = {
            "level": form.value("level"),
            "method": form.value("method").strip() or "talent review",
            "assessment_id": form.value("assessment_id").strip() or f"{cycle_id}-{nip}",
        }
        try:
            await web.record_potential(person, nip, cycle_id, body)
        except ApiProblem as problem:
            lay_out(form, problem, lambda path: path if path in body else None)
            return await self._unit(request, pages, web, cycle_id, unit_id, form, status=422)
        return Redirect(f"/hr/cycles/{cycle_id}/units/{unit_id}#talent")
