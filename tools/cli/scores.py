"""``kinerja scores export``: a cycle's scores as CSV, read from the scoring service's database.

The scoring API shows one employee or one unit at a time; an export wants the whole cycle at
once, so this reads the ``scores`` collection through the service's own store (read only).
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pymongo.errors import PyMongoError

from shared.mongo import connect
from shared.settings import Settings
from tools.cli.base import EXIT_USAGE, fail, state

app = typer.Typer(help="Scores of the scoring service.")


class Language(StrEnum):
    ID = "id"
    EN = "en"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


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


PREDICATE_LABELS = {
    "sangat_baik": {"id": "Sangat Baik", "en": "Very good"},
    "baik": {"id": "Baik", "en": "Good"},
    "butuh_perbaikan": {"id": "Butuh Perbaikan", "en": "Needs improvement"},
    "kurang": {"id": "Kurang", "en": "Poor"},
    "sangat_kurang": {"id": "Sangat Kurang", "en": "Very poor"},
}
"""Display names of the predicates (PermenPANRB 6/2022), for ``--labels``."""
FORMULA_MARKS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting with one of these as a formula (CSV injection)."""


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a spreadsheet shows it and never runs it: text that starts like a formula gets a
    leading apostrophe (OWASP's advice for CSV injection). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_MARKS):
        return "'" + value
    return value


async def read_scores(
    settings: Settings, cycle_id: str, region: str | None
) -> tuple[list[dict[str, Any]], set[str]]:
    """The rows of ``cycle_id`` (of ``region`` only, if given), ordered by unit and NIP, and every
    region the cycle has scores in."""
    # Imported here, not at the top: the admin tool sits above the services, and the other command
    # groups should not load service code they never use.
    from services.scoring.store import ScoringStore

    client, db = connect(settings, "scoring")
    try:
        docs = await ScoringStore(db).cycle_scores(cycle_id)
    finally:
        client.close()
    rows = [score_row(d) for d in docs if region is None or d.get("region") == region]
    regions = {str(d.get("region")) for d in docs}
    return sorted(rows, key=lambda r: (r["unit_id"], r["nip"])), regions


def labelled(
    rows: Iterable[dict[str, Any]], language: str | None
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The columns and rows, with ``predicate_label`` in ``language`` when one is asked for."""
    if language is None:
        return COLUMNS, list(rows)
    columns = (
        *COLUMNS[: COLUMNS.index("predicate") + 1],
        "predicate_label",
        *COLUMNS[COLUMNS.index("predicate") + 1 :],
    )
    return columns, [{**r, "predicate_label": PREDICATE_LABELS[r["predicate"]][language]} for r in rows]


def write_csv(out: Path, rows: Iterable[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> int:
    """Every field quoted, UTF-8 with a BOM (spreadsheets then read the encoding right), and text
    that starts like a formula neutralised. NIPs are quoted text; a spreadsheet that guesses types
    on opening may still show them as numbers: import the column as text, or use ``--format xlsx``."""
    count = 0
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
            count += 1
    return count


def write_xlsx(out: Path, rows: Iterable[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> int:
    """An Excel workbook whose text cells are typed as text: NIPs keep their 18 digits, and text
    that starts like a formula is stored as text, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("scores")
    sheet.append(list(columns))

    def cell(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = WriteOnlyCell(sheet, value=value)
        text.data_type = "s"  # openpyxl would make "=..." a formula
        return text

    count = 0
    for row in rows:
        sheet.append([cell(row[c]) for c in columns])
        count += 1
    book.save(out)
    return count


@app.command("export")
def export(
    ctx: typer.Context,
    cycle_id: Annotated[str, typer.Argument(help="The cycle whose scores to export.")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, writable=True, help="CSV file to write.")],
    region: Annotated[
        str | None,
        typer.Option("--region", help="Only this region's employees; a region without scores is an error."),
    ] = None,
    labels: Annotated[
        Language | None,
        typer.Option("--labels", help="Add a predicate_label column in this language (id or en)."),
    ] = None,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="csv or xlsx; by default from the --out suffix."),
    ] = None,
) -> None:
    """Write the cycle's scores (provisional and final) to a CSV or Excel file, one row per employee."""
    settings = state(ctx).settings
    try:
        rows, regions = asyncio.run(read_scores(settings, cycle_id, region))
    except PyMongoError as exc:
        fail(f"cannot read the scoring database {settings.database('scoring')}: {exc}")
    if region is not None and not rows and regions:
        fail(
            f"cycle {cycle_id} has scores in {', '.join(sorted(regions))}, none in --region {region}",
            EXIT_USAGE,
        )
    columns, rows = labelled(rows, labels.value if labels else None)
    kind = fmt or (ExportFormat.XLSX if out.suffix.lower() == ".xlsx" else ExportFormat.CSV)
    count = (write_xlsx if kind is ExportFormat.XLSX else write_csv)(out, rows, columns)
    typer.echo(f"wrote {count} scores of cycle {cycle_id} to {out}")
    if not count:
        typer.echo(f"warning: no scores for cycle {cycle_id} in {settings.database('scoring')}", err=True)
