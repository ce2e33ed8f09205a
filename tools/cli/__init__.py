"""``kinerja``: the admin command line of a Kinerja installation (guide: docs/cli.md).

One module per command group; this one holds the root: global options and ``main``.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer

from shared.auth import Role
from shared.events.base import NIP_PATTERN
from shared.settings import Settings
from tools.cli import cycle, employees, plugins, replay, scores, stack
from tools.cli.base import DEFAULT_API, EXIT_USAGE, CliState, fail

__all__ = ["app", "main"]

app = typer.Typer(
    name="kinerja",
    help="Administer Kinerja: the local stack, employees, cycles, rubric plugins, score exports, replays.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(stack.app, name="stack")
app.add_typer(employees.app, name="employees")
app.add_typer(cycle.app, name="cycle")
app.add_typer(plugins.app, name="plugins")
app.add_typer(scores.app, name="scores")
app.command("replay")(replay.replay)


@app.callback()
def options(
    ctx: typer.Context,
    kafka: Annotated[
        str | None, typer.Option("--kafka", help="Kafka servers (default: KINERJA_KAFKA_BOOTSTRAP).")
    ] = None,
    mongo: Annotated[
        str | None, typer.Option("--mongo", help="Database URL (default: KINERJA_MONGO_URL).")
    ] = None,
    api: Annotated[
        str, typer.Option("--api", envvar="KINERJA_API", help="Base URL of the feedback API.")
    ] = DEFAULT_API,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="KINERJA_TOKEN", help="Bearer token for API commands."),
    ] = None,
    role: Annotated[
        Role | None,
        typer.Option("--as", help="Mint a token for this role, signed with KINERJA_JWT_SECRET."),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Region of the minted token (default: the command's).")
    ] = None,
    nip: Annotated[
        str | None,
        typer.Option("--nip", help="NIP of the minted token (employee and supervisor tokens act as them)."),
    ] = None,
) -> None:
    """Global options; every other setting comes from the KINERJA_* environment (docs/configuration.md)."""
    settings = Settings()
    overrides = {"kafka_bootstrap": kafka, "mongo_url": mongo}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    if nip is not None and not re.fullmatch(NIP_PATTERN, nip):
        fail(f"--nip {nip} is not 18 digits", EXIT_USAGE)
    ctx.obj = CliState(settings=settings, api=api.rstrip("/"), token=token, role=role, region=region, nip=nip)


def main() -> None:
    """Entry point of the ``kinerja`` console script."""
    app()
