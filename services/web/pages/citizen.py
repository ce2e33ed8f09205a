"""The citizens' satisfaction form: public, no account, one per unit (and service desk), reached by
a QR code HR prints. The feedback service keeps its rate limit per citizen address."""

from __future__ import annotations

import io
from typing import Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from services.web.access import HR, person_of
from services.web.clients import ApiProblem
from services.web.forms import Form, form_of, lay_out
from services.web.pages.params import FormBody, PagesDep, SettingsDep, WebDep


class CitizenController(Controller):
    path = "/c/{region:str}/{unit_id:str}"

    async def _page(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        region: str,
        unit_id: str,
        form: Form,
        status: int = 200,
    ) -> Response[Any]:
        rubric = await web.rubric(region, "citizen")
        cycles = await web.open_cycles(region)
        return pages.page(
            request,
            "citizen.html",
            status=status,
            region=region,
            unit_id=unit_id,
            cycle=cycles[0] if cycles else None,
            criteria=rubric["criteria"],
            scale=rubric["choices"],
            form=form,
        )

    @get("/")
    async def show(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        region: FromPath[str],
        unit_id: FromPath[str],
        desk: FromQuery[str | None] = None,
    ) -> Response[Any]:
        form = Form(values={"desk": desk or ""})
        return await self._page(request, pages, web, region, unit_id, form)

    @post("/")
    async def submit(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        web: WebDep,
        region: FromPath[str],
        unit_id: FromPath[str],
        data: FormBody,
    ) -> Response[Any]:
        form = form_of(data)
        rubric = await web.rubric(region, "citizen")
        gettext = pages.gettext(request)
        ratings: dict[str, float] = {}
        for c in rubric["criteria"]:
            raw = form.value(f"rating_{c['criterion_id']}")
            if not raw:
                form.error(f"rating_{c['criterion_id']}", gettext("Choose a rating."))
                continue
            try:
                ratings[c["criterion_id"]] = float(raw)
            except ValueError:
                form.error(f"rating_{c['criterion_id']}", gettext("Choose a rating."))
        if not form.failed:
            comment = form.value("comment").strip()
            desk = form.value("desk").strip()
            if desk:
                comment = f"[{desk}] {comment}".strip()
            cycles = await web.open_cycles(region)
            body: dict[str, Any] = {
                "cycle_id": cycles[0]["cycle_id"] if cycles else "",
                "unit_id": unit_id,
                "ratings": ratings,
            }
            if comment:
                body["comment"] = comment
            client = request.client.host if request.client else "unknown"
            try:
                await web.submit_citizen(region, body, client)
            except ApiProblem as problem:
                if problem.status == 429:
                    form.error(
                        None, gettext("You have sent several forms in a short time. Please try again later.")
                    )
                else:
                    lay_out(form, problem, lambda path: "comment" if path == "comment" else None)
            else:
                return Redirect(f"/c/{region}/{unit_id}/thanks")
        return await self._page(request, pages, web, region, unit_id, form, status=422)

    @get("/thanks")
    async def thanks(
        self, request: Request[Any, Any, Any], pages: PagesDep, region: FromPath[str], unit_id: FromPath[str]
    ) -> Response[Any]:
        return pages.page(request, "citizen_thanks.html", region=region, unit_id=unit_id)

    @get("/poster", guards=[HR])
    async def poster(
        self,
        request: Request[Any, Any, Any],
        pages: PagesDep,
        settings: SettingsDep,
        region: FromPath[str],
        unit_id: FromPath[str],
        desk: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """A page HR prints and puts up at the unit (or desk): the QR code and the address."""
        url = f"{settings.base_url()}/c/{region}/{unit_id}" + (f"?desk={desk}" if desk else "")
        qr = f"/c/{region}/{unit_id}/qr.svg" + (f"?desk={desk}" if desk else "")
        return pages.page(
            request, "citizen_poster.html", region=region, unit_id=unit_id, url=url, qr=qr, desk=desk
        )

    @get("/qr.svg", guards=[HR])
    async def qr(
        self,
        request: Request[Any, Any, Any],
        settings: SettingsDep,
        region: FromPath[str],
        unit_id: FromPath[str],
        desk: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The QR code HR prints for the unit (and desk): it opens this form."""
        person = person_of(request)
        url = f"{settings.base_url()}/c/{person.region}/{unit_id}" + (f"?desk={desk}" if desk else "")
        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, title=url)
        return Response(out.getvalue(), media_type="image/svg+xml")
