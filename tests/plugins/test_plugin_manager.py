"""Start-up: built-ins load through entry points; anything ambiguous stops start-up clearly."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pluggy
import pytest

from shared.events.feedback import Source
from shared.plugins import Component, Criterion, RubricResult, RubricSpec, ScoringInputs, hookimpl
from shared.plugins.manager import BUILTIN_RUBRICS, PluginConflict, build_plugin_manager, build_registry
from shared.rubrics import marelan, national


def ep(name: str, value: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=value, group="kinerja")


def spec(rubric_id: str, *regions: str, default: bool = False) -> RubricSpec:
    criterion = Criterion(
        criterion_id="c1",
        label_id="K1",
        label_en="C1",
        component=Component.BEHAVIOUR,
        sources=frozenset(Source),
    )
    return RubricSpec(
        rubric_id=rubric_id,
        version="1.0.0",
        title=rubric_id,
        regions=regions,
        default=default,
        criteria=(criterion,),
        source_weights=dict.fromkeys(Source, 1.0),
    )


class Rubric:
    def __init__(self, declared: RubricSpec) -> None:
        self.declared = declared

    @hookimpl
    def rubric_spec(self) -> RubricSpec:
        return self.declared

    @hookimpl
    def rubric_score(self, spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
        return RubricResult(results_score=50.0, behaviour_score=50.0)


def test_builtins_are_installed_entry_points() -> None:
    installed = {e.name: e.value for e in importlib.metadata.entry_points(group="kinerja")}
    assert {name: installed.get(name) for name in BUILTIN_RUBRICS} == dict(BUILTIN_RUBRICS)
    pm = build_plugin_manager()
    assert {name for name, _ in pm.list_name_plugin()} >= set(BUILTIN_RUBRICS)
    assert pm.get_plugin("marelan") is marelan


def test_a_second_rubric_with_an_existing_id_stops_start_up() -> None:
    with pytest.raises(PluginConflict, match="rubric id 'marelan' is declared by both 'copy' and 'marelan'"):
        build_registry(plugins=[("copy", Rubric(spec("marelan", "deli_serdang")))])


def test_a_second_rubric_for_a_claimed_region_stops_start_up() -> None:
    with pytest.raises(
        PluginConflict, match="region 'plaju' is claimed by rubric 'plaju' and rubric 'palembang'"
    ):
        build_registry(plugins=[("zz", Rubric(spec("palembang", "palembang", "plaju")))])


def test_two_entry_points_with_one_name_stop_start_up() -> None:
    eps = [ep("marelan", "shared.rubrics.marelan"), ep("marelan", "shared.rubrics.plaju")]
    with pytest.raises(PluginConflict, match="two plugins are registered as 'marelan'"):
        build_plugin_manager(entry_points=eps)


def test_one_entry_point_seen_twice_is_loaded_once() -> None:
    eps = [ep("national", "shared.rubrics.national"), ep("national", "shared.rubrics.national")]
    registry = build_registry(entry_points=eps)
    assert set(registry.specs) == {"national"}


def test_one_module_under_two_names_stops_start_up() -> None:
    with pytest.raises(PluginConflict, match="a second time"):
        build_plugin_manager(entry_points=[], plugins=[("national", national), ("nasional", national)])


@pytest.mark.parametrize(
    ("plugins", "found"),
    [
        ([("marelan", marelan)], "none"),
        ([("national", national), ("other", Rubric(spec("nasional2", default=True)))], "nasional2"),
    ],
)
def test_exactly_one_national_default_is_required(plugins: list[tuple[str, object]], found: str) -> None:
    with pytest.raises(
        PluginConflict, match=f"exactly one rubric must be the national default, found .*{found}"
    ):
        build_registry(entry_points=[], plugins=plugins)


def test_a_misspelt_hook_fails_loudly() -> None:
    class Misspelt:
        @hookimpl
        def rubric_scores(self, spec: RubricSpec) -> None:
            return None

    with pytest.raises(pluggy.PluginValidationError, match="rubric_scores"):
        build_plugin_manager(entry_points=[], plugins=[("typo", Misspelt())])


def test_a_rubric_without_rubric_score_stops_start_up() -> None:
    class SpecOnly:
        @hookimpl
        def rubric_spec(self) -> RubricSpec:
            return spec("lonely", "lonely")

    with pytest.raises(PluginConflict, match="declares rubric 'lonely' but no rubric_score"):
        build_registry(plugins=[("lonely", SpecOnly())])


def test_loading_every_installed_plugin_loads_no_service_code() -> None:
    # Feedback and scoring load every plugin of the entry-point group, the career regions too;
    # they must not pull the career service (or any other) into their process with it.
    code = (
        "import sys; from shared.plugins.manager import build_plugin_manager; "
        "pm = build_plugin_manager(); print(pm.has_plugin('career-regions')); "
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in ('services', 'tools')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert run.stdout.splitlines() == ["True", "[]"]
