"""``kinerja cycle open|close``: appraisal cycles through the feedback API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer

from tools.cli.base import segment, state

app = typer.Typer(help="Appraisal cycles in the feedback service.")

Region = Annotated[str, typer.Option("--region", help="Region of the cycle.")]


class Kind(StrEnum):
    ANNUAL = "annual"
    PERIODIC = "periodic"


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-01-31") from None


def parse_moment(value: str) -> datetime:
    """An ISO 8601 time with its offset: a window without a timezone is ambiguous across WIB/WITA/WIT."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a time like 2026-01-02T08:00:00+07:00") from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} has no timezone offset (e.g. +07:00)")
    return moment


def parse_unit_predicates(values: list[str]) -> dict[str, str]:
    """``UNIT=PREDICATE`` pairs into a mapping; a unit given twice is a mistake, not an override."""
    predicates: dict[str, str] = {}
    for value in values:
        unit, sep, predicate = value.partition("=")
        if not sep or not unit.strip() or not predicate.strip():
            raise typer.BadParameter(f"{value!r} is not UNIT=PREDICATE, e.g. dinkes=Baik")
        if unit.strip() in predicates:
            raise typer.BadParameter(f"unit {unit.strip()!r} is given twice")
        predicates[unit.strip()] = predicate.strip()
    return predicates


def render_cycle(cycle: dict[str, Any]) -> str:
    return (
        f"cycle {cycle['cycle_id']} ({cycle['kind']}) in {cycle['region']}: {cycle['status']}; "
        f"period {cycle['period_start']} to {cycle['period_end']}, "
        f"window {cycle['window_opens']} to {cycle['window_closes']}"
    )


@app.command("open")
def open_cycle(
    ctx: typer.Context,
    cycle_id: Annotated[str, typer.Argument(help="Id unique across regions, e.g. marelan-2026.")],
    region: Region,
    kind: Annotated[Kind, typer.Option("--kind", help="Annual or periodic appraisal.")],
    period_start: Annotated[date, typer.Option("--period-start", parser=parse_date, help="YYYY-MM-DD.")],
    period_end: Annotated[date, typer.Option("--period-end", parser=parse_date, help="YYYY-MM-DD.")],
    window_closes: Annotated[
        datetime,
        typer.Option("--window-closes", parser=parse_moment, help="End of submissions, with offset."),
    ],
    window_opens: Annotated[
        datetime | None,
        typer.Option("--window-opens", parser=parse_moment, help="Start of submissions; default now."),
    ] = None,
) -> None:
    """Open an appraisal cycle with its submission window."""
    body = {
        "cycle_id": cycle_id,
        "kind": kind.value,
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "window_opens": (window_opens or datetime.now(UTC)).isoformat(),
        "window_closes": window_closes.isoformat(),
    }
    cycle = state(ctx).call("POST", f"/regions/{segment(region)}/cycles", region=region, json=body)
    typer.echo(render_cycle(cycle))


@app.command("close")
def close_cycle(
    ctx: typer.Context,
    cycle_id: Annotated[str, typer.Argument(help="The cycle to close.")],
    region: Region,
    unit_predicate: Annotated[
        list[str] | None,
        typer.Option(
            "--unit-predicate",
            help="UNIT=PREDICATE, repeatable; PREDICATE is Istimewa, Baik, Butuh Perbaikan, Kurang "
            "or Sangat Kurang (the organisation's predicate, which sets the unit's curve).",
        ),
    ] = None,
) -> None:
    """Close a cycle; scoring then finalises every score with the curve of each unit's predicate."""
    body = {"unit_predicates": parse_unit_predicates(unit_predicate or [])}
    path = f"/regions/{segment(region)}/cycles/{segment(cycle_id)}/close"
    cycle = state(ctx).call("POST", path, region=region, json=body)
    typer.echo(render_cycle(cycle))
