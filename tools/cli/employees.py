"""``kinerja employees import``: bulk import into the feedback service, with the per-row report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tools.cli.base import EXIT_PROBLEMS, segment, state

app = typer.Typer(help="Employees in the feedback service.")

IMPORT_TIMEOUT_S = 600.0
"""A 50,000-row import is written row by row on FerretDB; give it minutes, not seconds."""


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"


MEDIA_TYPES = {Format.CSV: "text/csv", Format.JSON: "application/json"}


def guess_format(file: Path) -> Format:
    """JSON for a ``.json`` file, CSV for anything else (the format the regions' HR exports use)."""
    return Format.JSON if file.suffix.lower() == ".json" else Format.CSV


def render_report(report: dict[str, Any]) -> list[str]:
    """The lines printed for an import report: the count that landed, then each rejected row."""
    rejected = report.get("rejected", [])
    lines = [f"{report['accepted']} landed, {len(rejected)} rejected"]
    for row in rejected:
        reasons = "; ".join(row.get("reasons", []))
        lines.append(f"row {row['row']} (NIP {row.get('nip') or '-'}): {reasons}")
    return lines


@app.command("import")
def import_employees(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON list.")
    ],
    region: Annotated[str, typer.Option("--region", help="Region the employees belong to.")],
    fmt: Annotated[
        Format | None, typer.Option("--format", help="File format; default from the file's extension.")
    ] = None,
) -> None:
    """Post FILE to the bulk import endpoint; exit 1 when any row was rejected.

    Good rows land even when others are rejected: fix the rejected rows and import them again
    (importing a row twice is an update, not a duplicate).
    """
    media_type = MEDIA_TYPES[fmt or guess_format(file)]
    report = state(ctx).call(
        "POST",
        f"/regions/{segment(region)}/employee-imports",
        region=region,
        content=file.read_bytes(),
        headers={"Content-Type": media_type},
        timeout=IMPORT_TIMEOUT_S,
    )
    for line in render_report(report):
        typer.echo(line)
    if report.get("rejected"):
        raise typer.Exit(EXIT_PROBLEMS)
