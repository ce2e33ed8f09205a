"""Server-rendered pages: Jinja2 templates in Bahasa Indonesia or English, from gettext catalogues.

One Jinja environment per language, each with its catalogue installed (``services/web/locale/
<lang>/LC_MESSAGES/messages.po``, read with Babel at start-up, so no compiled file is committed).
The language is the ``lang`` cookie, else the configured default (Indonesian).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.utils.scope.state import ScopeState

from services.web.signin import Person

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
LOCALES = HERE / "locale"
LANGUAGES = ("id", "en")
LANG_COOKIE = "lang"
HTML = "text/html; charset=utf-8"


def translations(lang: str) -> Translations:
    """The catalogue of ``lang`` as gettext translations."""
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def _environment(lang: str, catalogue: Translations) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    locale = "id_ID" if lang == "id" else "en_GB"

    def when(value: Any, style: str = "medium") -> str:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return str(value)
        if isinstance(value, datetime):
            return format_datetime(value, style, locale=locale)
        if isinstance(value, date):
            return format_date(value, style, locale=locale)
        return ""

    def day(value: Any) -> str:
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return format_date(value, "long", locale=locale) if isinstance(value, date) else ""

    def number(value: Any, digits: int = 2) -> str:
        if value is None or value == "":
            return "-"
        return str(
            format_decimal(value, format=f"#,##0.{'#' * digits}" if digits else "#,##0", locale=locale)
        )

    env.filters.update(when=when, day=day, number=number)
    env.globals["lang"] = lang
    return env


class Pages:
    """Renders templates for a request in its language."""

    def __init__(self, default_language: str = "id") -> None:
        self.default = default_language
        self.catalogues = {lang: translations(lang) for lang in LANGUAGES}
        self.envs = {lang: _environment(lang, self.catalogues[lang]) for lang in LANGUAGES}

    def language(self, request: Request[Any, Any, Any]) -> str:
        chosen = request.cookies.get(LANG_COOKIE, "")
        return chosen if chosen in self.envs else self.default

    def gettext(self, request: Request[Any, Any, Any]) -> Callable[[str], str]:
        """The request's language's gettext, for messages the controllers write."""
        return self.catalogues[self.language(request)].gettext

    def html(self, request: Request[Any, Any, Any], template: str, **context: Any) -> str:
        env = self.envs[self.language(request)]
        person = Person.from_session(request.session.get("person")) if "session" in request.scope else None
        base: Mapping[str, Any] = {
            "person": person,
            "path": request.url.path,
            "query": request.url.query,
            "csrf_token": csrf
            if isinstance(csrf := ScopeState.from_scope(request.scope).csrf_token, str)
            else "",
            "htmx": request.headers.get("hx-request") == "true",
        }
        return env.get_template(template).render({**base, **context})

    def page(
        self,
        request: Request[Any, Any, Any],
        template: str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **context: Any,
    ) -> Response[str]:
        return Response(
            self.html(request, template, **context),
            status_code=status,
            media_type=HTML,
            headers=dict(headers or {}),
        )
