"""``kinerja scores export``: score documents of the scoring database, read through the scoring API,
as CSV rows."""

from __future__ import annotations

import csv
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from openpyxl import load_workbook
from typer.testing import Result

from shared.settings import Settings
from tools.cli import scores

Invoke = Callable[..., Awaitable[Result]]

HEADER = [
    "cycle_id",
    "nip",
    "unit_id",
    "status",
    "predicate",
    "results_score",
    "behaviour_score",
    "rubric_id",
    "revision",
]


def score_doc(
    cycle: str,
    nip: str,
    region: str,
    unit: str,
    *,
    status: str = "final",
    predicate: str = "baik",
    **score: Any,
) -> dict[str, Any]:
    """A document as the scoring service writes it (``services.scoring.store.score_document``)."""
    body = {
        "cycle_id": cycle,
        "nip": nip,
        "unit_id": unit,
        "rubric_id": region,
        "rubric_version": "1.0.0",
        "results_score": 50.0,
        "behaviour_score": 50.0,
        "predicate": predicate,
        **score,
    }
    return {
        "_id": f"{cycle}|{nip}",
        "cycle_id": cycle,
        "nip": nip,
        "region": region,
        "unit_id": unit,
        "team_id": None,
        "status": status,
        "revision": 1,
        "digest": "d",
        "predicate": predicate,
        "score": json.dumps(body),
    }


async def test_export_writes_one_row_per_score_of_the_cycle(
    invoke: Invoke,
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    scoring_api: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scores, "PAGE", 2)  # three scores: the export reads two pages
    calibrated = score_doc("c-2026", "198503122010011002", "marelan", "dinkes", results_score=71.25)
    calibrated.update(predicate="sangat_baik", revision=3, calibrated=True)  # the JSON keeps "baik"
    docs = [
        calibrated,
        score_doc(
            "c-2026",
            "199001012015031001",
            "marelan",
            "bappeda",
            status="provisional",
            predicate="butuh_perbaikan",
            results_score=30.0,
            behaviour_score=45.5,
        ),
        score_doc("c-2026", "198812252012122001", "plaju", "disdik"),
        score_doc("c-2025", "198503122010011002", "marelan", "dinkes"),
    ]
    docs[1]["_outbox"] = {"e1": {"topic": "t"}}
    await mongo[isolated_settings.database("scoring")]["scores"].insert_many(docs)
    out = tmp_path / "scores.csv"

    result = await invoke(
        "--as", "system", "scores", "export", "--scoring-api", scoring_api, "c-2026", "--out", str(out)
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote 3 scores of cycle c-2026 to {out}\n"
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows == [
        HEADER,
        [
            "c-2026",
            "199001012015031001",
            "bappeda",
            "provisional",
            "butuh_perbaikan",
            "30.0",
            "45.5",
            "marelan",
            "1",
        ],
        ["c-2026", "198503122010011002", "dinkes", "final", "sangat_baik", "71.25", "50.0", "marelan", "3"],
        ["c-2026", "198812252012122001", "disdik", "final", "baik", "50.0", "50.0", "plaju", "1"],
    ]

    only_plaju = await invoke(
        "--as",
        "system",
        "scores",
        "export",
        "--scoring-api",
        scoring_api,
        "c-2026",
        "--out",
        str(out),
        "--region",
        "plaju",
    )

    assert only_plaju.exit_code == 0, only_plaju.output
    assert [r[1] for r in csv.reader(out.open(encoding="utf-8-sig"))] == ["nip", "198812252012122001"]


async def test_export_of_an_unknown_cycle_writes_the_header_and_warns(
    invoke: Invoke, scoring_api: str, tmp_path: Path
) -> None:
    out = tmp_path / "empty.csv"

    result = await invoke(
        "--as", "system", "scores", "export", "--scoring-api", scoring_api, "tidak-ada", "--out", str(out)
    )

    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig").splitlines() == [",".join(f'"{h}"' for h in HEADER)]
    assert "no scores for cycle tidak-ada" in result.stderr


async def test_export_says_when_the_scoring_api_cannot_be_reached(invoke: Invoke, tmp_path: Path) -> None:
    result = await invoke(
        "--as",
        "system",
        "scores",
        "export",
        "c",
        "--out",
        str(tmp_path / "x.csv"),
        env={"KINERJA_SCORING_API": "http://127.0.0.1:1"},
    )

    assert result.exit_code == 3
    assert "cannot reach the API at http://127.0.0.1:1" in result.stderr


async def test_export_needs_a_token(invoke: Invoke, tmp_path: Path) -> None:
    result = await invoke("scores", "export", "c", "--out", str(tmp_path / "x.csv"))

    assert result.exit_code == 2
    assert "give --token (or KINERJA_TOKEN), or --as ROLE" in result.stderr


async def test_export_neutralises_formulas_keeps_nips_as_text_and_names_predicates(
    invoke: Invoke,
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    scoring_api: str,
    tmp_path: Path,
) -> None:
    nip = "198503122010011002"
    await mongo[isolated_settings.database("scoring")]["scores"].insert_many(
        [score_doc("c-2026", nip, "marelan", '=HYPERLINK("http://evil","x")', predicate="sangat_baik")]
    )
    out = tmp_path / "scores.csv"
    result = await invoke(
        "--as",
        "system",
        "scores",
        "export",
        "--scoring-api",
        scoring_api,
        "c-2026",
        "--out",
        str(out),
        "--labels",
        "id",
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    header, row = list(csv.reader(text.splitlines()))
    assert header[header.index("predicate") + 1] == "predicate_label"
    assert row[header.index("predicate_label")] == "Sangat Baik"
    assert row[header.index("unit_id")] == "'" + '=HYPERLINK("http://evil","x")'
    assert f'"{nip}"' in text, "NIPs are quoted text in the file"

    book_path = tmp_path / "scores.xlsx"
    result = await invoke(
        "--as",
        "system",
        "scores",
        "export",
        "--scoring-api",
        scoring_api,
        "c-2026",
        "--out",
        str(book_path),
        "--labels",
        "en",
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(book_path).active
    cells = {sheet.cell(1, c).value: sheet.cell(2, c) for c in range(1, sheet.max_column + 1)}
    assert (cells["nip"].value, cells["nip"].data_type) == (nip, "s"), "an 18-digit NIP must stay text"
    assert cells["unit_id"].data_type == "s" and cells["unit_id"].value.startswith("=HYPERLINK")
    assert cells["predicate_label"].value == "Very good"


async def test_export_names_a_region_that_has_no_scores_in_the_cycle(
    invoke: Invoke,
    isolated_settings: Settings,
    mongo: AsyncIOMotorClient[dict[str, Any]],
    scoring_api: str,
    tmp_path: Path,
) -> None:
    await mongo[isolated_settings.database("scoring")]["scores"].insert_many(
        [score_doc("c-2026", "198503122010011002", "marelan", "dinkes")]
    )
    result = await invoke(
        "--as",
        "system",
        "scores",
        "export",
        "--scoring-api",
        scoring_api,
        "c-2026",
        "--out",
        str(tmp_path / "x.csv"),
        "--region",
        "plaju",
    )
    assert result.exit_code == 2
    assert "cycle c-2026 has scores in marelan, none in --region plaju" in result.output
