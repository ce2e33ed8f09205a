"""The conformance kit passes every built-in rubric and the template, and catches broken ones."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from shared.events.feedback import Source
from shared.plugins import Component, Criterion, RubricResult, RubricSpec, ScoringInputs, hookimpl
from shared.plugins.conformance import assert_rubric_conforms, check_rubric
from shared.plugins.manager import BUILTIN_RUBRICS
from shared.plugins.measure import component_index, criteria_indices, weighted_mean

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "plugin-template"

GOOD = RubricSpec(
    rubric_id="uji",
    version="1.0.0",
    title="Uji",
    regions=("uji",),
    criteria=(
        Criterion(
            criterion_id="c1",
            label_id="K1",
            label_en="C1",
            component=Component.BEHAVIOUR,
            sources=frozenset(Source),
        ),
    ),
    source_weights=dict.fromkeys(Source, 1.0),
)


class Rubric:
    """A rubric whose scoring a test replaces to break one rule at a time."""

    @hookimpl
    def rubric_spec(self) -> RubricSpec:
        return GOOD

    @hookimpl
    def rubric_score(self, spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
        return self.score(inputs)

    def score(self, inputs: ScoringInputs) -> RubricResult:
        raise NotImplementedError


class OutOfRange(Rubric):
    def score(self, inputs: ScoringInputs) -> RubricResult:
        return RubricResult(results_score=150.0, behaviour_score=50.0)


class Undeclared(Rubric):
    def score(self, inputs: ScoringInputs) -> RubricResult:
        return RubricResult(results_score=50.0, behaviour_score=50.0, criteria={"kehadiran": 50.0})


class OrderDependent(Rubric):
    def score(self, inputs: ScoringInputs) -> RubricResult:
        first = inputs.indicators[0].realised if inputs.indicators else None
        return RubricResult(results_score=50.0 if first in (None, 100.0) else 40.0, behaviour_score=50.0)


class BetterIsWorse(Rubric):
    def score(self, inputs: ScoringInputs) -> RubricResult:
        rating = inputs.feedback.get(Source.SUPERVISOR, {}).get("c1", 3.0)
        return RubricResult(results_score=None, behaviour_score=100.0 - 25 * (rating - 1))


class OffCentre(Rubric):
    def score(self, inputs: ScoringInputs) -> RubricResult:
        return RubricResult(results_score=90.0, behaviour_score=90.0)


@pytest.mark.parametrize(
    ("rubric", "problem"),
    [
        (OutOfRange(), "lowest: results_score 150.0 is not within 0-100"),
        (Undeclared(), "empty: criteria has 'kehadiran', which the spec does not declare"),
        # as_expected: the first indicator (100 of 100) gives 50, reversed the last (4 of 4) gives 40
        (OrderDependent(), "as_expected: the result depends on the order of the inputs"),
        # 100 - 25 x (rating - 1): 1 -> 100, 3 -> 50, 5 -> 0: better ratings score lower
        (BetterIsWorse(), "behaviour_score: 'highest' inputs score 0.00, below 'as_expected' (50.00)"),
        (OffCentre(), "as_expected: results_score 90.00 is outside (37.5, 62.5)"),
    ],
)
def test_broken_rubric_is_caught(rubric: Rubric, problem: str) -> None:
    problems = check_rubric(rubric)
    assert any(p.startswith(problem) for p in problems), problems
    with pytest.raises(AssertionError, match="rubric does not conform"):
        assert_rubric_conforms(rubric)


class HelperWeighted:
    """A rubric built only from the documented helpers, with source weights 0.6 and 0.3: their
    floating-point sum once gave the top rating an index of 100.00000000000003."""

    SPEC = GOOD.model_copy(
        update={
            "criteria": (
                GOOD.criteria[0].model_copy(update={"sources": frozenset({Source.SUPERVISOR, Source.PEER})}),
            ),
            "source_weights": {Source.SUPERVISOR: 0.6, Source.PEER: 0.3},
        }
    )

    @hookimpl
    def rubric_spec(self) -> RubricSpec:
        return self.SPEC

    @hookimpl
    def rubric_score(self, spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
        criteria = criteria_indices(spec, inputs, Component.BEHAVIOUR)
        return RubricResult(
            results_score=None, behaviour_score=component_index(spec, criteria), criteria=criteria
        )


def test_helper_sums_stay_within_0_100() -> None:
    assert_rubric_conforms(HelperWeighted())
    inputs = ScoringInputs(
        cycle_id="c",
        nip="198503122010011002",
        unit_id="u",
        service_role=False,
        feedback={Source.SUPERVISOR: {"c1": 5.0}, Source.PEER: {"c1": 5.0}},
    )
    assert criteria_indices(HelperWeighted.SPEC, inputs, Component.BEHAVIOUR) == {"c1": 100.0}
    assert weighted_mean([(5.0, 0.6), (5.0, 0.3)]) == 5.0


@pytest.mark.parametrize("module", sorted(BUILTIN_RUBRICS.values()))
def test_builtin_rubric_conforms(module: str) -> None:
    assert_rubric_conforms(importlib.import_module(module))


def test_plugin_without_hooks_is_caught() -> None:
    assert check_rubric(object()) == ["implements no rubric_spec hook"]


def test_raising_rubric_is_caught() -> None:
    class Raising:
        @hookimpl
        def rubric_spec(self) -> RubricSpec:
            return GOOD

        @hookimpl
        def rubric_score(self, spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
            raise ZeroDivisionError("no raters")

    assert "empty: rubric_score raised ZeroDivisionError('no raters')" in check_rubric(Raising())


def test_template_rubric_conforms_and_its_own_tests_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(TEMPLATE))
    monkeypatch.syspath_prepend(str(TEMPLATE / "tests"))
    for name in ("kinerja_rubric_contoh", "test_rubric"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    template = importlib.import_module("kinerja_rubric_contoh")
    assert check_rubric(template) == []
    tests = importlib.import_module("test_rubric")
    tests.test_rubric_conforms()
    tests.test_indicators_and_criteria_give_the_hand_computed_indices()
    assert (TEMPLATE / "pyproject.toml").read_text().count('contoh = "kinerja_rubric_contoh"') == 1
