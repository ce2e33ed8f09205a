"""``kinerja scores export``: a cycle's scores as CSV, read from the scoring service's database.

The scoring API shows one employee or one unit at a time; an export wants the whole cycle at
once, so this reads the ``scores`` collection through the service's own store (read only).
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from pymongo.errors import PyMongoError

from shared.cli.base import fail, state
from shared.mongo import connect
from shared.settings import Settings

app = typer.Typer(help="Scores of the scoring service.")

COLUMNS = (
    "cycle_id",
    "nip",
    "unit_id",
    "status",
    "predicate",
    "results_score",
    "behaviour_score",
    "rubric_id",
    "revision",
)


def score_row(doc: dict[str, Any]) -> dict[str, Any]:
    """One CSV row from a score document.

    ``predicate`` and ``revision`` come from the document, not its score JSON: a calibration
    changes them there and leaves the computed score as it was.
    """
    score = json.loads(doc["score"])
    return {
        "cycle_id": doc["cycle_id"],
        "nip": doc["nip"],
        "unit_id": doc["unit_id"],
        "status": doc["status"],
        "predicate": doc["predicate"],
        "results_score": score["results_score"],
        "behaviour_score": score["behaviour_score"],
        "rubric_id": score["rubric_id"],
        "revision": doc["revision"],
    }


async def read_scores(settings: Settings, cycle_id: str, region: str | None) -> list[dict[str, Any]]:
    """The rows of ``cycle_id`` (of ``region`` only, if given), ordered by unit and NIP."""
    # Imported here, not at the top: the admin tool sits above the services, and the other command
    # groups should not load service code they never use.
    from services.scoring.store import ScoringStore

    client, db = connect(settings, "scoring")
    try:
        docs = await ScoringStore(db).cycle_scores(cycle_id)
    finally:
        client.close()
    rows = [score_row(d) for d in docs if region is None or d.get("region") == region]
    return sorted(rows, key=lambda r: (r["unit_id"], r["nip"]))


def write_csv(out: Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


@app.command("export")
def export(
    ctx: typer.Context,
    cycle_id: Annotated[str, typer.Argument(help="The cycle whose scores to export.")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, writable=True, help="CSV file to write.")],
    region: Annotated[str | None, typer.Option("--region", help="Only this region's employees.")] = None,
) -> None:
    """Write the cycle's scores (provisional and final) to a CSV file, one row per employee."""
    settings = state(ctx).settings
    try:
        rows = asyncio.run(read_scores(settings, cycle_id, region))
    except PyMongoError as exc:
        fail(f"cannot read the scoring database {settings.database('scoring')}: {exc}")
    count = write_csv(out, rows)
    typer.echo(f"wrote {count} scores of cycle {cycle_id} to {out}")
    if not count:
        typer.echo(f"warning: no scores for cycle {cycle_id} in {settings.database('scoring')}", err=True)
