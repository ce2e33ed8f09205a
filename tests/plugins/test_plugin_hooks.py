"""One test (at least) per hook; and a test that fails when a hook has none anywhere in tests/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.events.feedback import Aspect, Direction, ResultKind, Source
from shared.plugins import Component, Criterion, RubricResult, RubricSpec, ScoringInputs, hookimpl
from shared.plugins.manager import build_plugin_manager, build_registry, load_rubrics
from shared.plugins.model import IndicatorOutcome

TESTS = Path(__file__).resolve().parents[1]
HOOKS = sorted(build_plugin_manager(entry_points=[]).hook.__dict__)
INPUTS = ScoringInputs(cycle_id="c", nip="198503122010011002", unit_id="u", service_role=False)


def spec(rubric_id: str, *regions: str, default: bool = False) -> RubricSpec:
    return RubricSpec(
        rubric_id=rubric_id,
        version="1.0.0",
        title=rubric_id,
        regions=regions,
        default=default,
        criteria=(
            Criterion(
                criterion_id="c1",
                label_id="K1",
                label_en="C1",
                component=Component.BEHAVIOUR,
                sources=frozenset({Source.SUPERVISOR}),
            ),
        ),
        source_weights={Source.SUPERVISOR: 1.0},
    )


class Spy:
    """A rubric plugin that records the calls it gets."""

    def __init__(self, declared: RubricSpec | None, result: float = 50.0) -> None:
        self.declared, self.result = declared, result
        self.calls: list[str] = []

    @hookimpl
    def rubric_spec(self) -> RubricSpec | None:
        return self.declared

    @hookimpl
    def rubric_score(self, spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
        self.calls.append(spec.rubric_id)
        return RubricResult(results_score=self.result, behaviour_score=self.result)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    # Datasette's rule: each hook is exercised by a test named after it, here or in a service's tests.
    pattern = re.compile(rf"def test_{hook}(_|\()")
    assert any(pattern.search(path.read_text()) for path in TESTS.rglob("test_*.py")), f"no test_{hook}_*"


def test_rubric_spec_of_every_builtin_is_collected() -> None:
    registry = build_registry()
    assert set(registry.specs) == {"national", "marelan", "plaju", "asemrowo", "siulak"}
    assert dict(registry.regions) == {r: r for r in ("marelan", "plaju", "asemrowo", "siulak")}
    assert registry.default_id == "national"
    assert registry.for_region("aceh").rubric_id == "national"


def test_rubric_spec_returning_none_declares_no_rubric() -> None:
    plugins = [("national", Spy(spec("nat", default=True))), ("silent", Spy(None))]
    registry = build_registry(entry_points=[], plugins=plugins)
    assert set(registry.specs) == {"nat"}


def test_rubric_spec_must_return_a_spec() -> None:
    class Wrong:
        @hookimpl
        def rubric_spec(self) -> object:
            return {"rubric_id": "x"}

    pm = build_plugin_manager(entry_points=[], plugins=[("wrong", Wrong())])
    with pytest.raises(Exception, match="rubric_spec returned dict"):
        load_rubrics(pm)


def test_rubric_score_is_called_only_on_the_plugin_that_declared_the_spec() -> None:
    first, second = Spy(spec("nat", default=True), 10.0), Spy(spec("other", "x"), 90.0)
    registry = build_registry(entry_points=[], plugins=[("a", first), ("b", second)])
    result = registry.score(registry.for_region("x"), INPUTS)
    assert result.results_score == 90.0
    assert (first.calls, second.calls) == ([], ["other"])


def test_rubric_score_must_return_a_rubric_result() -> None:
    class Wrong(Spy):
        @hookimpl
        def rubric_score(self, spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
            return {"results_score": 1.0}  # type: ignore[return-value]

    registry = build_registry(entry_points=[], plugins=[("w", Wrong(spec("nat", default=True)))])
    with pytest.raises(TypeError, match="returned dict, not RubricResult"):
        registry.score(registry.spec("nat"), INPUTS)


def test_rubric_score_may_take_fewer_arguments() -> None:
    class OnlyInputs:
        @hookimpl
        def rubric_spec(self) -> RubricSpec:
            return spec("nat", default=True)

        @hookimpl
        def rubric_score(self, inputs: ScoringInputs) -> RubricResult:
            value = 100.0 if inputs.indicators else 0.0
            return RubricResult(results_score=value, behaviour_score=value)

    registry = build_registry(entry_points=[], plugins=[("only", OnlyInputs())])
    indicator = IndicatorOutcome(
        "rhk-1", ResultKind.MAIN, "iki-1", "Izin", Aspect.TIME, Direction.LOWER_IS_BETTER, 5.0, None, 4.0
    )
    with_indicator = ScoringInputs("c", "198503122010011002", "u", False, indicators=(indicator,))
    assert registry.score(registry.spec("nat"), with_indicator).results_score == 100.0
