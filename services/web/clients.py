"""The four services' HTTP APIs, called with the signed-in person's token.

The web keeps no data: every page reads and writes through these. A refusal comes back as
:class:`ApiProblem`, the service's RFC 9457 problem, which the pages show beside the form field it
names and in the error summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from services.web.config import WebSettings

Json = dict[str, Any]


def seg(value: str) -> str:
    """``value`` as one path segment: what a person typed or a query named (``../employees``) can
    never point a call at another resource."""
    return quote(value, safe="")


@dataclass
class ApiProblem(Exception):
    """A service refused: its status and problem document."""

    status: int
    problem: Json = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return str(self.problem.get("type", "")).rsplit("/", 1)[-1]

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or f"HTTP {self.status}")

    def field_errors(self) -> list[tuple[str, str]]:
        """(field path, message) of each invalid parameter the problem names (Litestar's
        validation errors carry ``key`` and ``message``)."""
        out = []
        for error in self.problem.get("errors") or []:
            if isinstance(error, Mapping):
                out.append((str(error.get("key") or ""), str(error.get("message") or "")))
        # The services' own rules list what broke in ``problems``, each led by what it is about.
        for problem in self.problem.get("problems") or []:
            out.append(("", str(problem)))
        return out

    def __str__(self) -> str:
        return f"{self.status} {self.slug}: {self.detail}"


class Unavailable(Exception):
    """A service did not answer."""


class Api:
    """One service's API."""

    def __init__(self, pool: Services, base_url: str) -> None:
        self.pool = pool
        self.base_url = base_url.rstrip("/")

    async def call(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.pool.http.request(
                method, self.base_url + path, json=json, params=query, content=content, headers=sent
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"{self.base_url}: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase}
            raise ApiProblem(response.status_code, problem if isinstance(problem, dict) else {})
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, token: str | None, **params: Any) -> Any:
        return await self.call("GET", path, token, params=params)

    async def find(self, path: str, token: str | None, **params: Any) -> Json | None:
        """The resource at ``path``, or None where the service answers 404 (none yet)."""
        try:
            found: Json = await self.get(path, token, **params)
        except ApiProblem as problem:
            if problem.status == 404:
                return None
            raise
        return found


class Services:
    """The APIs of feedback, scoring, career and notify over one connection pool."""

    def __init__(self, settings: WebSettings) -> None:
        self.timeout = settings.api_timeout_s
        self.http = httpx.AsyncClient(timeout=self.timeout)
        self.feedback = Api(self, settings.feedback_url)
        self.scoring = Api(self, settings.scoring_url)
        self.career = Api(self, settings.career_url)
        self.notify = Api(self, settings.notify_url)

    async def open(self) -> None:
        """A fresh connection pool (the app starts again after a shutdown in tests)."""
        if self.http.is_closed:
            self.http = httpx.AsyncClient(timeout=self.timeout)

    def all(self) -> dict[str, Api]:
        return {
            "feedback": self.feedback,
            "scoring": self.scoring,
            "career": self.career,
            "notify": self.notify,
        }

    async def ready(self) -> bool:
        """Whether each service answers (the web's readiness)."""
        for api in self.all().values():
            try:
                if (await self.http.get(api.base_url + "/health/live")).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True

    async def close(self) -> None:
        await self.http.aclose()
