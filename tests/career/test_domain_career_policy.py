"""Career policy data: national defaults, regional differences, validation."""

from __future__ import annotations

import importlib
from dataclasses import fields, replace

import pytest

from services.career.domain import (
    NATIONAL_POLICY,
    REGIONAL_POLICIES,
    Offer,
    SanctionRule,
    StreakRule,
    TeamAwardRule,
    TrainingRule,
)
from shared.events.career import RecommendationKind
from shared.events.scoring import Predicate
from shared.plugins.career import normalise_key
from shared.plugins.manager import BUILTIN_RUBRICS

CERT = Offer("c", "Certificate", RecommendationKind.REWARD)


def test_national_allowance_table_is_the_cited_ministry_example() -> None:
    assert dict(NATIONAL_POLICY.allowance_percent) == {
        Predicate.SANGAT_BAIK: 100.0,
        Predicate.BAIK: 100.0,
        Predicate.BUTUH_PERBAIKAN: 90.0,
        Predicate.KURANG: 85.0,
        Predicate.SANGAT_KURANG: 80.0,
    }


def test_national_defaults_promotion_after_two_top_cycles_and_no_regional_extras() -> None:
    assert NATIONAL_POLICY.promotion.consecutive == 2
    assert NATIONAL_POLICY.promotion.predicates == {Predicate.SANGAT_BAIK}
    assert (NATIONAL_POLICY.outstanding, NATIONAL_POLICY.scholarship, NATIONAL_POLICY.team_award) == (
        None,
        None,
        None,
    )
    assert [o.code for o in NATIONAL_POLICY.sanction.ladder] == ["pembinaan"]


@pytest.mark.parametrize(
    ("region", "differs_in"),
    [
        ("marelan", {"name", "outstanding"}),
        ("plaju", {"name", "scholarship"}),
        ("siulak", {"name", "rewards", "sanction", "team_award"}),
    ],
)
def test_regions_differ_from_national_only_in_their_policy_data(region: str, differs_in: set[str]) -> None:
    policy = REGIONAL_POLICIES[region]
    changed = {f.name for f in fields(policy) if getattr(policy, f.name) != getattr(NATIONAL_POLICY, f.name)}
    assert changed == differs_in


def test_siulak_ladder_is_coaching_warning_disciplinary_review() -> None:
    ladder = REGIONAL_POLICIES["siulak"].sanction.ladder
    assert [(o.code, o.kind) for o in ladder] == [
        ("pembinaan", RecommendationKind.SANCTION),
        ("teguran_tertulis_rpk", RecommendationKind.SANCTION),
        ("pemeriksaan_disiplin", RecommendationKind.SANCTION),
    ]


def test_policy_tables_cannot_be_mutated() -> None:
    with pytest.raises(TypeError):
        NATIONAL_POLICY.allowance_percent[Predicate.KURANG] = 0.0  # type: ignore[index]
    with pytest.raises(TypeError):
        NATIONAL_POLICY.training.catalogue["x"] = CERT  # type: ignore[index]


def test_catalogue_keys_are_normalised() -> None:
    rule = TrainingRule(catalogue={"Public Service": CERT, "public-speaking ": CERT})
    assert set(rule.catalogue) == {"public_service", "public_speaking"}


def test_incomplete_or_out_of_range_allowance_table_is_refused() -> None:
    partial = {Predicate.BAIK: 100.0}
    with pytest.raises(ValueError, match="every predicate"):
        replace(NATIONAL_POLICY, allowance_percent=partial)
    too_much = dict(NATIONAL_POLICY.allowance_percent) | {Predicate.BAIK: 120.0}
    with pytest.raises(ValueError, match="0-100"):
        replace(NATIONAL_POLICY, allowance_percent=too_much)


def test_rule_parts_validate_their_numbers() -> None:
    with pytest.raises(ValueError):
        TrainingRule(catalogue={}, threshold=120.0)
    with pytest.raises(ValueError):
        TrainingRule(catalogue={}, max_offers=0)
    with pytest.raises(ValueError):
        StreakRule(predicates=frozenset({Predicate.BAIK}), consecutive=0, offers=(CERT,))
    with pytest.raises(ValueError):
        SanctionRule(poor_predicates=frozenset({Predicate.KURANG}), ladder=())
    with pytest.raises(ValueError):
        TeamAwardRule(offer=CERT, min_size=0)


@pytest.mark.parametrize("rubric", sorted(BUILTIN_RUBRICS))
def test_every_criterion_of_the_built_in_rubrics_has_a_training(rubric: str) -> None:
    spec = importlib.import_module(BUILTIN_RUBRICS[rubric]).SPEC
    missing = [
        c.criterion_id
        for c in spec.criteria
        if normalise_key(c.criterion_id) not in NATIONAL_POLICY.training.catalogue
    ]
    assert missing == []
