"""National rules: the three rating levels and the predicate matrix (PermenPANRB 6/2022)."""

from __future__ import annotations

import pytest

from services.scoring.domain import (
    CycleInputs,
    NationalRules,
    OrganisationPredicate,
    RaterStats,
    RatingBands,
    ScoringRules,
    assess,
    compute_score,
)
from shared.events.scoring import MissingInput, Predicate, Rating, Score
from shared.plugins import RubricResult, RubricSpec, ScoringInputs
from tests.scoring.support import RATEE, TEST_SPEC

A, M, B = Rating.ABOVE, Rating.MEETS, Rating.BELOW

# The table of docs/DOMAIN.md, written out by hand: (results, behaviour) -> predicate.
TABLE = [
    (A, B, Predicate.KURANG),
    (A, M, Predicate.BAIK),
    (A, A, Predicate.SANGAT_BAIK),
    (M, B, Predicate.KURANG),
    (M, M, Predicate.BAIK),
    (M, A, Predicate.BAIK),
    (B, B, Predicate.SANGAT_KURANG),
    (B, M, Predicate.BUTUH_PERBAIKAN),
    (B, A, Predicate.BUTUH_PERBAIKAN),
]
# An index inside each band: above from 62.5, below under 37.5.
INDEX = {A: 80.0, M: 50.0, B: 20.0}


def fixed(results: float | None, behaviour: float | None):  # type: ignore[no-untyped-def]
    def score_rubric(spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
        return RubricResult(results_score=results, behaviour_score=behaviour)

    return score_rubric


def score_with(results: float | None, behaviour: float | None, rules: ScoringRules | None = None) -> Score:
    inputs = CycleInputs(cycle_id="uji-2026", nip=RATEE, unit_id="dinas")
    return compute_score(inputs, TEST_SPEC, fixed(results, behaviour), RaterStats(), rules or ScoringRules())


@pytest.mark.parametrize(("results", "behaviour", "predicate"), TABLE)
def test_rules_matrix_cell(results: Rating, behaviour: Rating, predicate: Predicate) -> None:
    score = score_with(INDEX[results], INDEX[behaviour])
    assert (score.results_rating, score.behaviour_rating) == (results, behaviour)
    assert score.predicate is predicate
    assert f"-> {predicate.value}" in score.explanation.steps[-1]


@pytest.mark.parametrize(
    ("index", "rating"),
    [(0.0, B), (37.49, B), (37.5, M), (50.0, M), (62.49, M), (62.5, A), (100.0, A)],
)
def test_rules_bands_edges(index: float, rating: Rating) -> None:
    # Edges are the 1-5 scale's rounding midpoints, 2.5 -> 37.5 and 3.5 -> 62.5, lower edge inclusive.
    assert RatingBands().rate(index) is rating


def test_rules_bands_are_configurable() -> None:
    rules = ScoringRules(national=NationalRules(bands=RatingBands(below_under=40.0, above_from=70.0)))
    # 38 is Sesuai nationally but Di Bawah under a 40 edge; 65 is Di Atas nationally, Sesuai here.
    assert score_with(38.0, 65.0).results_rating is M
    score = score_with(38.0, 65.0, rules)
    assert (score.results_rating, score.behaviour_rating) == (B, M)
    assert score.predicate is Predicate.BUTUH_PERBAIKAN
    assert score.inputs_digest != score_with(38.0, 65.0).inputs_digest  # rules are part of the digest


def test_rules_bands_refuse_crossed_edges() -> None:
    with pytest.raises(ValueError, match="below_under"):
        RatingBands(below_under=70.0, above_from=40.0)


def test_rules_matrix_must_be_complete() -> None:
    with pytest.raises(ValueError, match="lacks"):
        NationalRules(matrix={(A, A): Predicate.SANGAT_BAIK})


def test_rules_missing_component_is_rated_below_and_flagged() -> None:
    score = score_with(None, 50.0)
    assert score.results_score == 0.0
    assert score.results_rating is B
    assert [f.code for f in score.explanation.flags] == ["incomplete_results", "no_supervisor_assessment"]
    assert score.predicate is Predicate.BUTUH_PERBAIKAN
    # Rated below while the cycle is open, but held at the close, not finalised (docs/scoring.md).
    inputs = CycleInputs(cycle_id="uji-2026", nip=RATEE, unit_id="dinas")
    assessed = assess(inputs, TEST_SPEC, fixed(None, 50.0), RaterStats())
    assert assessed.missing == (MissingInput.SUPERVISOR_ASSESSMENT, MissingInput.RESULTS)


def test_rules_indices_are_clamped_and_rounded() -> None:
    score = score_with(123.456, 62.499)
    # 123.456 -> clamped to 100; 62.499 -> rounded to 62.5 first, then rated: Di Atas.
    assert (score.results_score, score.behaviour_score) == (100.0, 62.5)
    assert score.behaviour_rating is A


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Istimewa", OrganisationPredicate.ISTIMEWA),
        ("Butuh Perbaikan", OrganisationPredicate.BUTUH_PERBAIKAN),
        ("sangat_kurang", OrganisationPredicate.SANGAT_KURANG),
        (" Kurang ", OrganisationPredicate.KURANG),
    ],
)
def test_rules_organisation_predicate_parses_as_cycle_closed_carries_it(
    text: str, expected: OrganisationPredicate
) -> None:
    assert OrganisationPredicate.parse(text) is expected


def test_rules_score_is_a_valid_contract_model() -> None:
    score = score_with(80.0, 50.0)
    assert Score.model_validate(score.model_dump()) == score
