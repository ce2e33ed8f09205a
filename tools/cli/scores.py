"""``kinerja scores export``: a cycle's scores as CSV or Excel, read through the scoring API.

``GET /cycles/{cycle_id}/scores`` pages through the cycle by NIP; the command reads every page
with a token like the other API commands, then orders the rows by unit and NIP.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from shared.runtime import DEFAULT_PORTS
from tools.cli.base import EXIT_USAGE, CliState, fail, segment, state

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


DEFAULT_SCORING_API = f"http://127.0.0.1:{DEFAULT_PORTS['scoring']}"
PAGE = 500
"""Scores per request; the API allows up to 1000."""


def score_row(item: dict[str, Any]) -> dict[str, Any]:
    """One CSV row from a score of the API's page.

    ``predicate`` and ``revision`` are the score's current ones, not those of its computed
    ``score``: a calibration changes them and leaves the computed score as it was.
    """
    score = item["score"]
    return {
        "cycle_id": item["cycle_id"],
        "nip": item["nip"],
        "unit_id": item["unit_id"],
        "status": item["status"],
        "predicate": item["predicate"],
        "results_score": score["results_score"],
        "behaviour_score": score["behaviour_score"],
        "rubric_id": score["rubric_id"],
        "revision": item["revision"],
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


def read_scores(
    cli: CliState, api: str, cycle_id: str, region: str | None
) -> tuple[list[dict[str, Any]], set[str]]:
    """The rows of ``cycle_id`` (of ``region`` only, if given), ordered by unit and NIP, and every
    region the cycle has scores in that the caller may see."""
    items: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": PAGE} if after is None else {"limit": PAGE, "after": after}
        page = cli.call("GET", f"/cycles/{segment(cycle_id)}/scores", region=region, api=api, params=params)
        items += page["items"]
        after = page["next"]
        if after is None:
            break
    rows = [score_row(i) for i in items if region is None or i["region"] == region]
    regions = {str(i["region"]) for i in items}
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
    scoring_api: Annotated[
        str,
        typer.Option("--scoring-api", envvar="KINERJA_SCORING_API", help="Base URL of the scoring API."),
    ] = DEFAULT_SCORING_API,
) -> None:
    """Write the cycle's scores (provisional and final) to a CSV or Excel file, one row per employee."""
    rows, regions = read_scores(state(ctx), scoring_api.rstrip("/"), cycle_id, region)
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
        typer.echo(f"warning: no scores for cycle {cycle_id} at {scoring_api}", err=True)
