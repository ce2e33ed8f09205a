"""``kinerja plugins``: the installed rubrics, and the conformance kit on good and broken plugins."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shared.plugins.manager import build_registry

Invoke = Callable[..., Awaitable[Result]]

BUILT_IN = ("asemrowo", "marelan", "national", "plaju", "siulak")

BROKEN = """
from shared.events.feedback import Source
from shared.plugins import Component, Criterion, RubricResult, RubricSpec, ScoringInputs, hookimpl

SPEC = RubricSpec(
    rubric_id="rusak",
    version="0.1.0",
    title="Rusak",
    regions=("rusak",),
    criteria=(
        Criterion(criterion_id="hasil", label_id="Hasil", label_en="Results",
                  component=Component.RESULTS, sources=frozenset({Source.SUPERVISOR})),
    ),
    source_weights={Source.SUPERVISOR: 1.0},
)


@hookimpl
def rubric_spec() -> RubricSpec:
    return SPEC


@hookimpl
def rubric_score(spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
    return RubricResult(results_score=150.0, behaviour_score=None)
"""


async def test_list_shows_every_built_in_rubric_with_version_regions_and_criteria(invoke: Invoke) -> None:
    result = await invoke("plugins", "list")

    assert result.exit_code == 0, result.output
    registry = build_registry()
    headers = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert [h.split()[0] for h in headers] == list(BUILT_IN)
    for rubric_id in BUILT_IN:
        spec = registry.spec(rubric_id)
        block = result.stdout.split(f"{rubric_id} {spec.version}", 1)[1].split("\n  criteria: ", 1)[1]
        criteria = block.splitlines()[0]
        assert criteria.split(", ")[0] == f"{spec.criteria[0].criterion_id} ({spec.criteria[0].component})"
        assert len(criteria.split(", ")) == len(spec.criteria)
    assert "national 1.0.0 (national default)" in result.stdout
    assert "  regions: marelan\n" in result.stdout


async def test_list_as_json(invoke: Invoke) -> None:
    result = await invoke("plugins", "list", "--json")

    assert result.exit_code == 0, result.output
    rubrics = {r["rubric_id"]: r for r in json.loads(result.stdout)}
    assert sorted(rubrics) == list(BUILT_IN)
    assert rubrics["siulak"]["regions"] == ["siulak"] and rubrics["siulak"]["version"] == "1.0.0"
    assert rubrics["national"]["default"] is True and rubrics["national"]["regions"] == []
    marelan = build_registry().spec("marelan")
    assert [c["criterion_id"] for c in rubrics["marelan"]["criteria"]] == [
        c.criterion_id for c in marelan.criteria
    ]


@pytest.mark.parametrize("target", ["marelan", "shared.rubrics.plaju", "national"])
async def test_validate_passes_a_built_in(invoke: Invoke, target: str) -> None:
    result = await invoke("plugins", "validate", target)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{target} conforms to the rubric contract\n"


async def test_validate_fails_a_broken_module_and_lists_its_problems(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kinerja_rubric_rusak.py").write_text(BROKEN)
    monkeypatch.syspath_prepend(str(tmp_path))

    result = await invoke("plugins", "validate", "kinerja_rubric_rusak")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "kinerja_rubric_rusak does not conform:"
    assert "- no behaviour criterion: Rating Perilaku Kerja needs one (PermenPANRB 6/2022)" in lines
    assert "- as_expected: results_score 150.0 is not within 0-100" in lines


async def test_validate_takes_a_file_path(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "rubric_rusak.py"
    path.write_text(BROKEN)

    result = await invoke("plugins", "validate", str(path))

    assert result.exit_code == 1
    assert "- highest: results_score 150.0 is not within 0-100" in result.stdout.splitlines()


async def test_validate_reports_a_module_that_cannot_be_imported(invoke: Invoke) -> None:
    result = await invoke("plugins", "validate", "kinerja_rubric_yang_tidak_ada")

    assert result.exit_code == 1
    assert result.stdout.startswith("kinerja_rubric_yang_tidak_ada does not conform:\n- cannot be loaded: ")
    assert "ModuleNotFoundError" in result.stdout
