"""Team awards ("Tim Terbaik") from the final scores of one cycle."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.career.domain import (
    NATIONAL_POLICY,
    REGIONAL_POLICIES,
    ScoreInput,
    rank_teams,
    select_team_awards,
)
from shared.errors import ValidationFailed
from shared.events.career import RecommendationKind
from shared.events.scoring import Explanation, Predicate, Rating, Score

SIULAK = REGIONAL_POLICIES["siulak"]


def member(
    seq: int,
    team: str | None,
    results: float,
    behaviour: float | None = None,
    *,
    unit: str = "dpmptsp",
    cycle: str = "2025",
    final: bool = True,
    revision: int = 1,
) -> ScoreInput:
    score = Score(
        cycle_id=cycle,
        nip=f"1985031220100110{seq:02d}",
        unit_id=unit,
        team_id=team,
        rubric_id="siulak",
        rubric_version="1.0.0",
        results_score=results,
        behaviour_score=results if behaviour is None else behaviour,
        results_rating=Rating.MEETS,
        behaviour_rating=Rating.MEETS,
        predicate=Predicate.BAIK,
        explanation=Explanation(inputs_used=[], weights={}),
        inputs_digest="0" * 64,
        revision=revision,
    )
    return ScoreInput(score=score, score_event_id=f"evt-{seq}-r{revision}", final=final)


def cycle_scores() -> list[ScoreInput]:
    return [
        # alpha: means 90, 80, 70 -> 80
        member(1, "alpha", 90.0),
        member(2, "alpha", 80.0),
        member(3, "alpha", 70.0),
        # beta: (80+90)/2=85, 85, 85 -> 85
        member(4, "beta", 80.0, 90.0),
        member(5, "beta", 85.0),
        member(6, "beta", 85.0),
        # gamma: mean 95 but only two members, below the minimum of three
        member(7, "gamma", 95.0),
        member(8, "gamma", 95.0),
        # no team: left out
        member(9, None, 100.0),
    ]


def test_best_team_of_minimum_size_wins_tim_terbaik() -> None:
    (award,) = select_team_awards(cycle_scores(), SIULAK)

    assert (award.kind, award.title, award.team_id, award.nip) == (
        RecommendationKind.TEAM_AWARD,
        "Tim Terbaik",
        "beta",
        None,
    )
    assert (award.final, award.cycle_id, award.unit_id) == (True, "2025", "dpmptsp")
    assert award.details["rank"] == 1 and award.details["members"] == 3
    assert award.score_event_ids == ["evt-4-r1", "evt-5-r1", "evt-6-r1"]
    assert "mean of 85.00 over 3 members" in award.reason


def test_ranking_lists_eligible_teams_best_first() -> None:
    standings = rank_teams(cycle_scores(), SIULAK)
    assert [(t.team_id, t.mean) for t in standings] == [("beta", 85.0), ("alpha", 80.0)]


def test_equal_means_go_to_the_larger_team_then_the_lower_team_id() -> None:
    larger = [member(i, "zeta", 80.0) for i in range(1, 5)] + [member(i, "eta", 80.0) for i in range(5, 8)]
    assert [t.team_id for t in rank_teams(larger, SIULAK)] == ["zeta", "eta"]
    same_size = [member(i, "beta", 80.0) for i in range(1, 4)] + [
        member(i, "alpha", 80.0) for i in range(4, 7)
    ]
    assert [t.team_id for t in rank_teams(same_size, SIULAK)] == ["alpha", "beta"]
    assert select_team_awards(list(reversed(same_size)), SIULAK) == select_team_awards(same_size, SIULAK)


def test_two_winners_and_minimum_size_are_policy() -> None:
    assert SIULAK.team_award is not None
    policy = replace(SIULAK, team_award=replace(SIULAK.team_award, winners=2, min_size=2))

    awards = select_team_awards(cycle_scores(), policy)

    assert [(a.team_id, a.details["rank"]) for a in awards] == [("gamma", 1), ("beta", 2)]


def test_highest_revision_of_a_member_counts() -> None:
    scores = [*cycle_scores(), member(1, "alpha", 100.0, revision=2), member(3, "alpha", 100.0, revision=2)]
    # alpha becomes (100 + 80 + 100) / 3 = 93.33 and beats beta.
    (award,) = select_team_awards(scores, SIULAK)
    assert award.team_id == "alpha"
    assert award.score_event_ids == ["evt-1-r2", "evt-2-r1", "evt-3-r2"]


def test_team_spanning_units_is_filed_under_the_majority_unit() -> None:
    scores = [member(1, "lintas", 90.0, unit="dinkes"), member(2, "lintas", 90.0), member(3, "lintas", 90.0)]
    (award,) = select_team_awards(scores, SIULAK)
    assert award.unit_id == "dpmptsp"


def test_team_awards_need_final_scores_of_one_cycle() -> None:
    with pytest.raises(ValidationFailed):
        select_team_awards([*cycle_scores(), member(10, "alpha", 50.0, final=False)], SIULAK)
    with pytest.raises(ValidationFailed):
        select_team_awards([*cycle_scores(), member(10, "alpha", 50.0, cycle="2024")], SIULAK)


def test_no_team_award_without_the_policy_or_eligible_teams() -> None:
    assert select_team_awards(cycle_scores(), NATIONAL_POLICY) == []
    assert select_team_awards([member(1, "solo", 99.0)], SIULAK) == []
    assert select_team_awards([], SIULAK) == []


def test_team_award_ids_are_stable() -> None:
    first = select_team_awards(cycle_scores(), SIULAK)
    second = select_team_awards(list(reversed(cycle_scores())), SIULAK)
    assert [a.model_dump() for a in first] == [a.model_dump() for a in second]
