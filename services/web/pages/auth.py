"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect

from services.web.pages.params import OidcDep, PagesDep, SettingsDep
from services.web.render import LANG_COOKIE, LANGUAGES
from services.web.signin import SignInRefused, person_from_claims

log = logging.getLogger("kinerja.web.signin")
CALLBACK = "/auth/callback"


def safe_next(target: str | None) -> str:
    """A local path to return to after sign-in; anything else (another site) is the home page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


class AuthController(Controller):
    path = "/auth"

    @get("/login", name="login")
    async def login(
        self,
        request: Request[Any, Any, Any],
        oidc: OidcDep,
        settings: SettingsDep,
        next_: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Redirect:
        url, pending = await oidc.begin(settings.base_url() + CALLBACK)
        request.session["oidc"] = {**pending, "next": safe_next(next_)}
        return Redirect(url)

    @get("/callback")
    async def callback(
        self,
        request: Request[Any, Any, Any],
        oidc: OidcDep,
        settings: SettingsDep,
        pages: PagesDep,
        code: FromQuery[str | None] = None,
        oidc_state: Annotated[str | None, QueryParameter(name="state")] = None,
        error: FromQuery[str | None] = None,
    ) -> Response[Any]:
        pending = request.session.pop("oidc", None) or {}
        try:
            if error or not code or not oidc_state:
                raise SignInRefused("provider", error or "no code")
            claims = await oidc.finish(settings.base_url() + CALLBACK, pending, code, oidc_state)
            person = person_from_claims(settings, claims)
        except SignInRefused as refused:
            log.warning("sign-in refused: %s %s", refused.reason, refused.detail)
            return pages.page(request, "signin_refused.html", status=403, reason=refused.reason)
        request.session["person"] = person.to_session()
        log.info("signed in", extra={"role": person.role.value, "region": person.region})
        return Redirect(safe_next(pending.get("next")))

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/")


@get("/lang/{lang:str}")
async def choose_language(
    lang: FromPath[str], next_: Annotated[str | None, QueryParameter(name="next")] = None
) -> Response[Any]:
    response: Response[Any] = Redirect(safe_next(next_))
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
    return response
