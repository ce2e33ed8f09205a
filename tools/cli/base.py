"""What every command group shares: the global options, tokens, exit codes and the HTTP call."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import quote

import httpx
import typer

from shared.auth import Role, issue_token
from shared.settings import Settings

EXIT_PROBLEMS = 1
"""The command ran and found problems: rejected rows, a plugin that does not conform."""
EXIT_USAGE = 2
"""Bad usage (Click's own code), including a command that needs a token and got none."""
EXIT_UNAVAILABLE = 3
"""A server refused or could not be reached, or the service to replay is still running."""

DEFAULT_API = "http://127.0.0.1:8081"
"""The feedback service on its default port (services.feedback listens on 8081)."""


@dataclass(frozen=True)
class CliState:
    """The global options, resolved: settings with the ``--kafka``/``--mongo`` overrides applied."""

    settings: Settings
    api: str
    token: str | None = None
    role: Role | None = None
    region: str | None = None
    nip: str | None = None

    def bearer(self, region: str | None) -> str:
        """The token to send: ``--token``/``KINERJA_TOKEN``, else one minted for ``--as``.

        :param region: the region the command works on; a minted token is for it unless
            ``--region`` was given globally. The system role spans regions and gets none.
        """
        if self.token:
            return self.token
        if self.role is None:
            fail("this command calls the API: give --token (or KINERJA_TOKEN), or --as ROLE", EXIT_USAGE)
        token_region = None if self.role is Role.SYSTEM else (self.region or region)
        if self.role is not Role.SYSTEM and not token_region:
            fail(f"--as {self.role} needs --region", EXIT_USAGE)
        if self.role in {Role.EMPLOYEE, Role.SUPERVISOR} and self.nip is None:
            fail(f"--as {self.role} needs --nip: such a token acts as one employee", EXIT_USAGE)
        # Signed with KINERJA_JWT_SECRET: whoever runs this holds the secret, so it is a tool for a
        # trusted machine. The subject names the operator, so the audit log shows who it was.
        return issue_token(
            self.settings,
            subject=f"kinerja-cli:{getpass.getuser()}",
            role=self.role,
            region=token_region,
            nip=self.nip,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        region: str | None,
        timeout: float = 30.0,
        api: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Send one request to the API and return its JSON; on failure print the problem and exit 3.

        :param api: base URL of another service's API; the feedback API (``--api``) by default.
        """
        base = api or self.api
        headers = {"Authorization": f"Bearer {self.bearer(region)}", **kwargs.pop("headers", {})}
        try:
            with httpx.Client(base_url=base, timeout=timeout) as client:
                response = client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            fail(f"cannot reach the API at {base}: {exc!r}")
        if response.is_error:
            fail(describe_problem(response))
        return response.json()


def describe_problem(response: httpx.Response) -> str:
    """One readable line (plus the listed problems) from an RFC 9457 problem response."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.reason_phrase}: {response.text[:500]}"
    if not isinstance(body, dict):
        return f"{response.status_code}: {body!r}"
    slug = str(body.get("type", "")).rsplit("/", 1)[-1] or response.reason_phrase
    lines = [f"{response.status_code} {slug}: {body.get('detail') or body.get('title', '')}"]
    for extra in ("problems", "errors"):
        for item in body.get(extra) or ():
            lines.append(f"- {item.get('message', item) if isinstance(item, dict) else item}")
    return "\n".join(lines)


def segment(value: str) -> str:
    """``value`` quoted as one path segment, so an id can never reach another route."""
    return quote(value, safe="")


def state(ctx: typer.Context) -> CliState:
    """The :class:`CliState` the root callback stored on the Click context."""
    found = ctx.find_object(CliState)
    if found is None:  # only when a group is invoked without the root app, e.g. in a unit test
        found = CliState(settings=Settings(), api=DEFAULT_API)
    return found


def fail(message: str, code: int = EXIT_UNAVAILABLE) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
