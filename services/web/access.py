"""Who may open which page. The services decide what each person may see and do; these guards
only send a visitor to sign in, and keep a page from people whose role has no use for it."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from services.web.signin import Person
from shared.auth import Role


class SignInRequired(Exception):
    """No live session: the visitor goes to the sign-in page and comes back to ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class NotForYou(Exception):
    """A signed-in person opened a page of another role."""


def person_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Person:
    person = Person.from_session(connection.session.get("person"))
    if person is None:
        query = connection.url.query
        raise SignInRequired(connection.url.path + (f"?{query}" if query else ""))
    return person


def roles(*allowed: Role) -> Any:
    """A guard admitting signed-in people of ``allowed`` roles (any role when none is named)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        person = person_of(connection)
        if allowed and person.role not in allowed:
            raise NotForYou(person.role.value)

    return guard


SIGNED_IN = roles()
STAFF = roles(Role.EMPLOYEE, Role.SUPERVISOR)
SUPERVISOR = roles(Role.SUPERVISOR)
HR = roles(Role.HR_ADMIN, Role.REGION_ADMIN)
