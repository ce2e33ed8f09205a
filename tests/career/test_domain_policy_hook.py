"""Career policy hooks: one test per hook, the documented examples run, docs for every hook."""

from __future__ import annotations

import inspect
import re
import types
from dataclasses import replace
from pathlib import Path

import pluggy
import pytest

import shared.policies.region as seeded_regions
from services.career.domain import (
    NATIONAL_POLICY,
    REGIONAL_POLICIES,
    History,
    Offer,
    ScoreInput,
    recommend,
    resolve_policy,
)
from shared.events.career import RecommendationKind
from shared.events.scoring import Explanation, Predicate, Rating, Score
from shared.plugins import hookimpl, hookspecs
from shared.plugins.career import CareerPolicy
from shared.plugins.manager import PluginConflict, build_plugin_manager

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
CAREER_HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("career_"))
LITERACY = Offer("literasi_digital", "Pelatihan literasi digital", RecommendationKind.TRAINING)


def manager(*plugins: tuple[str, object]) -> pluggy.PluginManager:
    # No entry points: only the plugins under test (and no built-in rubrics) are registered.
    return build_plugin_manager(entry_points=[], plugins=plugins)


def documented_example(hook: str) -> types.ModuleType:
    """The python example of ``hook`` in docs/plugins.md, executed as a plugin module."""
    section = DOCS.read_text().split(f"### {hook}(", 1)[1].split("\n### ", 1)[0]
    code = next(block for block in re.findall(r"```python\n(.*?)```", section, re.S) if "@hookimpl" in block)
    module = types.ModuleType(f"example_{hook}")
    exec(compile(code, str(DOCS), "exec"), module.__dict__)
    return module


def score(predicate: Predicate, criteria: dict[str, float] | None = None) -> ScoreInput:
    return ScoreInput(
        score=Score(
            cycle_id="2025",
            nip="198503122010011002",
            unit_id="dinkes",
            rubric_id="national",
            rubric_version="1.0.0",
            results_score=70.0,
            behaviour_score=70.0,
            results_rating=Rating.MEETS,
            behaviour_rating=Rating.MEETS,
            predicate=predicate,
            explanation=Explanation(inputs_used=[], weights={}, criteria=criteria or {}),
            inputs_digest="0" * 64,
        ),
        score_event_id="evt-1",
        final=True,
    )


class OtherSiulak:
    @hookimpl
    def career_policy(self, region: str, national: CareerPolicy) -> CareerPolicy | None:
        return replace(national, name="siulak-bis") if region == "siulak" else None


class ConflictingTraining:
    @hookimpl
    def career_training_catalogue(self, region: str) -> dict[str, Offer]:
        return {"Literasi Digital": replace(LITERACY, code="lain")}


def test_career_policy_gives_seeded_regions_theirs_and_others_national() -> None:
    pm = manager(("career-regions", seeded_regions))

    for region, policy in REGIONAL_POLICIES.items():
        assert resolve_policy(pm, region) is policy
    assert resolve_policy(pm, "asemrowo") is NATIONAL_POLICY
    assert resolve_policy(manager(), "siulak") is NATIONAL_POLICY


def test_career_policy_documented_example_changes_allowance_and_rewards() -> None:
    pm = manager(("sabang", documented_example("career_policy")))

    policy = resolve_policy(pm, "sabang")
    recs = recommend(score(Predicate.KURANG), History(), policy)

    assert policy.name == "sabang"
    assert [r.details["percent"] for r in recs if r.kind == RecommendationKind.ALLOWANCE] == [80.0]
    good = recommend(score(Predicate.SANGAT_BAIK), History(), policy)
    assert [r.details["code"] for r in good if r.kind == RecommendationKind.REWARD] == ["bonus_kinerja"]
    assert resolve_policy(pm, "plaju") is NATIONAL_POLICY


def test_career_policy_from_two_plugins_for_one_region_is_a_conflict() -> None:
    pm = manager(("career-regions", seeded_regions), ("other", OtherSiulak()))

    with pytest.raises(PluginConflict, match="siulak"):
        resolve_policy(pm, "siulak")
    assert resolve_policy(pm, "plaju") is REGIONAL_POLICIES["plaju"]


def test_career_training_catalogue_documented_example_adds_a_training() -> None:
    pm = manager(
        ("career-regions", seeded_regions), ("literacy", documented_example("career_training_catalogue"))
    )

    policy = resolve_policy(pm, "marelan")
    recs = recommend(score(Predicate.BAIK, {"Literasi-Digital": 40.0}), History(), policy)

    assert policy.outstanding == REGIONAL_POLICIES["marelan"].outstanding  # the region's policy is kept
    assert policy.training.catalogue["literasi_digital"] == LITERACY
    assert [r.details["code"] for r in recs if r.kind == RecommendationKind.TRAINING] == ["literasi_digital"]


def test_career_training_catalogue_conflict_between_plugins_is_refused() -> None:
    pm = manager(
        ("literacy", documented_example("career_training_catalogue")), ("other", ConflictingTraining())
    )

    with pytest.raises(PluginConflict, match="literasi_digital"):
        resolve_policy(pm, "marelan")


@pytest.mark.parametrize("hook", CAREER_HOOKS)
def test_every_career_hook_has_docs_and_a_test(hook: str) -> None:
    spec = getattr(hookspecs, hook)
    doc = inspect.getdoc(spec) or ""
    for argument in inspect.signature(spec).parameters:
        assert f":param {argument}:" in doc
        assert f"- `{argument}`" in DOCS.read_text().split(f"### {hook}(", 1)[1].split("\n### ", 1)[0]
    assert "Example::" in doc
    assert f"### {hook}(" in DOCS.read_text()
    tests = [name for name in globals() if name.startswith(f"test_{hook}")]
    assert tests, f"no test_{hook}* in this module"


def test_career_hooks_are_the_two_documented() -> None:
    assert CAREER_HOOKS == ["career_policy", "career_training_catalogue"]
