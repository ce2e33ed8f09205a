"""Files people download: a cycle's scores as CSV or Excel, and the evaluation document as PDF.

The spreadsheets follow ``kinerja scores export`` (docs/cli.md): the same columns, NIPs as text,
and no cell that a spreadsheet would run as a formula. The PDF is an HTML page of the web's own
templates laid out by WeasyPrint with the print section of the one stylesheet.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

COLUMNS = (
    "cycle_id",
    "nip",
    "unit_id",
    "status",
    "predicate",
    "predicate_label",
    "results_score",
    "behaviour_score",
    "rubric_id",
    "revision",
)
#: A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_MARKS = ("=", "+", "-", "@", "\t", "\r")
STATIC = Path(__file__).resolve().parent / "static"
# WeasyPrint logs each step of each document, and warns of the screen rules of the one stylesheet
# it does not take (media features without a media type): noise in the web's log.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


def score_row(item: dict[str, Any], label: Callable[[str], str]) -> dict[str, Any]:
    """One row from a score of scoring's page; ``predicate`` and ``revision`` are the current
    ones (after any calibration), ``label`` names the predicate in the reader's language."""
    score = item.get("score") or {}
    return {
        "cycle_id": item["cycle_id"],
        "nip": item["nip"],
        "unit_id": item["unit_id"],
        "status": item["status"],
        "predicate": item["predicate"],
        "predicate_label": label(item["predicate"]),
        "results_score": score.get("results_score"),
        "behaviour_score": score.get("behaviour_score"),
        "rubric_id": score.get("rubric_id"),
        "revision": item["revision"],
    }


def spreadsheet_safe(value: Any) -> Any:
    """Text that starts like a formula gets a leading apostrophe (OWASP's advice); numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_MARKS):
        return "'" + value
    return value


def csv_header() -> str:
    """The file's start: a UTF-8 byte-order mark (spreadsheets then read the encoding right) and
    the header row."""
    return "\ufeff" + csv_rows([dict(zip(COLUMNS, COLUMNS, strict=True))])


def csv_rows(rows: Iterable[dict[str, Any]]) -> str:
    """Rows as CSV text, every field quoted, so that NIPs are quoted text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return out.getvalue()


class Workbook:
    """An Excel workbook written row by row (openpyxl's write-only mode keeps rows out of
    memory); every text cell is typed as text, so a NIP keeps its 18 digits and ``=...`` is never
    a formula."""

    def __init__(self, title: str) -> None:
        from openpyxl import Workbook as Book

        self.book = Book(write_only=True)
        self.sheet = self.book.create_sheet(title[:31])
        self.sheet.append(list(COLUMNS))

    def _cell(self, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        if not isinstance(value, str):
            return value
        text = WriteOnlyCell(self.sheet, value=value)
        text.data_type = "s"  # openpyxl would make "=..." a formula
        return text

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.sheet.append([self._cell(row[c]) for c in COLUMNS])

    def save(self) -> bytes:
        """The finished file (blocking: zips the rows written so far; run it in a worker thread)."""
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


def static_file(url: str) -> Path:
    """The file of ``static/`` that a document's ``url`` names; anything else is refused, so that no
    text in a document (a name, a result's title) makes the server read a file or call an address."""
    parts = urlsplit(url)
    name = unquote(parts.path).rsplit("/static/", 1)[-1] if "/static/" in parts.path else ""
    path = (STATIC / name).resolve()
    if parts.scheme != "file" or not name or not path.is_relative_to(STATIC) or not path.is_file():
        raise ValueError(f"the document may only use the web's static files, not {url}")
    return path


def pdf_of(html: str) -> bytes:
    """The PDF of an HTML document (blocking: run it in a worker thread). Its ``/static/...``
    links are the web's static files, read from disk."""
    # Imported here, as openpyxl above: the web starts without paying for them, and its other pages
    # work on a machine that lacks Pango.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class Fetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            path = static_file(url)
            kind = "text/css" if path.suffix == ".css" else "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": kind})

    document = HTML(string=html, base_url=STATIC.parent.as_uri() + "/", url_fetcher=Fetcher())
    pdf: bytes = document.write_pdf()
    return pdf
