"""Rater bias: leniency/severity correction, the 3-rater minimum, outliers, divergence.

Cycle used throughout: rater A (lenient) gives {c1: 5, c2: 4} to each of 3 ratees, rater B
(severe) {c1: 3, c2: 2} to 3 others. A's mean 4.5, B's 2.5, cycle mean (27 + 15) / 12 = 3.5.
Cycle SD: every rating is 0.5 or 1.5 from 3.5, six of each: sqrt((6 x 0.25 + 6 x 2.25) / 12)
= sqrt(1.25) = 1.118034.
"""

from __future__ import annotations

import math
import random

import pytest

from services.scoring.domain import (
    BiasRules,
    CycleInputs,
    FeedbackInput,
    RaterStats,
    ScoringRules,
    compute_score,
)
from shared.events.feedback import Source
from shared.events.scoring import Score
from shared.plugins import RubricResult, RubricSpec, ScoringInputs
from tests.scoring.support import RATEE, TEST_SPEC, cycle, fb, nip

A, B, C, D = nip(1), nip(2), nip(3), nip(4)
SUP, PEER, SELF = Source.SUPERVISOR, Source.PEER, Source.SELF


def cycle_feedback(a_ratee: str = nip(13), b_ratee: str = nip(23)) -> list[FeedbackInput]:
    """A rates nip 11, 12 and ``a_ratee``; B rates nip 21, 22 and ``b_ratee``."""
    return [fb(SUP, A, {"c1": 5, "c2": 4}, ratee=r) for r in (nip(11), nip(12), a_ratee)] + [
        fb(SUP, B, {"c1": 3, "c2": 2}, ratee=r) for r in (nip(21), nip(22), b_ratee)
    ]


def stats_of(items: list[FeedbackInput]) -> RaterStats:
    stats = RaterStats()
    stats.observe_all(items)
    return stats


class Echo:
    """A rubric that records what the core handed it."""

    def __init__(self) -> None:
        self.seen: list[ScoringInputs] = []

    def __call__(self, spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
        self.seen.append(inputs)
        return RubricResult(results_score=50.0, behaviour_score=50.0)


def run(
    inputs: CycleInputs, stats: RaterStats, rules: ScoringRules | None = None
) -> tuple[Score, ScoringInputs]:
    echo = Echo()
    score = compute_score(inputs, TEST_SPEC, echo, stats, rules or ScoringRules())
    return score, echo.seen[0]


def test_domain_rater_stats_hand_computed() -> None:
    stats = stats_of(cycle_feedback())
    assert stats.cycle_mean == 3.5
    assert stats.cycle_sd is not None and math.isclose(stats.cycle_sd, math.sqrt(1.25))
    a, b = stats.profile(A), stats.profile(B)
    assert a is not None and b is not None
    assert (a.mean, a.ratees, a.offset) == (4.5, 3, 1.0)
    assert (b.mean, b.ratees, b.offset) == (2.5, 3, -1.0)
    assert stats.profile(C) is None


def test_domain_rater_stats_do_not_depend_on_arrival_order() -> None:
    items = [*cycle_feedback(), fb(SUP, A, {"c1": 1, "c2": 2}, ratee=nip(11), version=2)]
    reference = stats_of(items)
    for seed in range(10):
        shuffled = items[:]
        random.Random(seed).shuffle(shuffled)
        stats = stats_of(shuffled)
        assert stats.to_state() == reference.to_state()
        assert (stats.cycle_mean, stats.cycle_sd, stats.profile(A)) == (
            reference.cycle_mean,
            reference.cycle_sd,
            reference.profile(A),
        )


def test_domain_rater_stats_keep_the_latest_version_only() -> None:
    newer = fb(SUP, A, {"c1": 3, "c2": 3}, ratee=nip(11), version=2)
    stats = stats_of([newer, *cycle_feedback()])  # version 1 arrives after version 2: ignored
    profile = stats.profile(A)
    # A: {3, 3} + {5, 4} + {5, 4} = 24 over 6 ratings = 4.0, still 3 ratees.
    assert profile is not None and (profile.mean, profile.ratees) == (4.0, 3)


def test_domain_rater_stats_built_per_ratee_at_once_equal_those_built_one_by_one() -> None:
    items = [
        *cycle_feedback(),
        fb(SUP, A, {"c1": 1, "c2": 2}, ratee=nip(11), version=2),
        fb(SUP, A, {"c1": 2, "c2": 2}, ratee=nip(12), version=1),  # a conflicting duplicate
        fb(SELF, RATEE, {"c1": 5}),
    ]
    reference = stats_of(items)
    by_ratee: dict[str | None, list[FeedbackInput]] = {}
    for seed in range(5):
        shuffled = items[:]
        random.Random(seed).shuffle(shuffled)
        by_ratee.clear()
        for item in shuffled:
            by_ratee.setdefault(item.ratee_nip, []).append(item)
        stats = RaterStats()
        for group in by_ratee.values():
            stats.observe_complete(group)
        assert (stats.cycle_mean, stats.cycle_sd) == (reference.cycle_mean, reference.cycle_sd)
        assert stats.cycle_mean is not None
        for rater in (A, B, C, SUP):
            assert stats.profile(rater) == reference.profile(rater)
    with pytest.raises(RuntimeError):
        stats.observe(items[0])  # it no longer knows the submissions it would replace


def test_domain_rater_stats_ignore_self_citizen_and_unit_feedback() -> None:
    stats = RaterStats()
    assert not stats.observe(fb(SELF, RATEE, {"c1": 5}))
    assert not stats.observe(fb(Source.CITIZEN, None, {"c1": 5}, sid="warga-1"))
    assert not stats.observe(FeedbackInput("e", "s", 1, Source.CITIZEN, A, None, "uji", {"c1": 5}))
    assert stats.cycle_mean is None


def test_domain_rater_stats_survive_a_state_round_trip() -> None:
    stats = stats_of(cycle_feedback())
    restored = RaterStats.from_state(stats.to_state())
    assert restored.to_state() == stats.to_state()
    assert restored.profile(A) == stats.profile(A)


def test_domain_lenient_supervisor_is_corrected_down() -> None:
    items = cycle_feedback(a_ratee=RATEE)
    score, seen = run(cycle(feedback=(items[2],)), stats_of(items))
    # A's offset +1.0 over 3 ratees: {5, 4} -> {4, 3}.
    assert seen.feedback[SUP] == {"c1": 4.0, "c2": 3.0}
    assert "supervisor: leniency/severity corrected for 1 of 1 rater(s), mean shift -1.000 points" in (
        score.explanation.adjustments
    )


def test_domain_severe_supervisor_is_corrected_up() -> None:
    items = cycle_feedback(b_ratee=RATEE)
    _, seen = run(cycle(feedback=(items[5],)), stats_of(items))
    # B's offset -1.0: {3, 2} -> {4, 3}.
    assert seen.feedback[SUP] == {"c1": 4.0, "c2": 3.0}


def test_domain_correction_strength_is_configurable() -> None:
    items = cycle_feedback(a_ratee=RATEE)
    rules = ScoringRules(bias=BiasRules(correction_strength=0.5))
    _, seen = run(cycle(feedback=(items[2],)), stats_of(items), rules)
    # Half of A's +1.0: {5, 4} -> {4.5, 3.5}.
    assert seen.feedback[SUP] == {"c1": 4.5, "c2": 3.5}


def test_domain_self_rating_is_lowered_by_d_032() -> None:
    own = fb(SELF, RATEE, {"c1": 4})
    score, seen = run(cycle(feedback=(own,)), stats_of(cycle_feedback()))
    # 4 - 0.32 x 1.118034 = 4 - 0.357771 = 3.642229
    assert math.isclose(seen.feedback[SELF]["c1"], 4 - 0.32 * math.sqrt(1.25))
    assert any(a.startswith("self: ratings lowered by 0.358") for a in score.explanation.adjustments)


def test_domain_rater_with_too_few_ratees_is_not_corrected() -> None:
    # C rates only 2 people, both 5s: lenient-looking, but 2 ratees cannot tell leniency from merit.
    items = [*cycle_feedback(), fb(SUP, C, {"c1": 5, "c2": 5}), fb(SUP, C, {"c1": 5, "c2": 5}, ratee=nip(31))]
    score, seen = run(cycle(feedback=(items[-2],)), stats_of(items))
    assert seen.feedback[SUP] == {"c1": 5.0, "c2": 5.0}
    assert any("1 rater(s) not corrected" in a for a in score.explanation.adjustments)


def test_domain_a_judged_rater_as_lenient_as_the_cycle_is_not_called_uncorrected() -> None:
    # D rates three people exactly at the cycle mean: judged, with a correction of zero.
    items = [*cycle_feedback(), *(fb(SUP, D, {"c1": 4, "c2": 3}, ratee=nip(50 + i)) for i in range(3))]
    items.append(fb(SUP, D, {"c1": 4, "c2": 3}, ratee=RATEE))
    score, seen = run(cycle(feedback=(items[-1],)), stats_of(items))
    assert seen.feedback[SUP] == {"c1": 4.0, "c2": 3.0}
    adjustments = score.explanation.adjustments
    assert not any("not corrected" in a for a in adjustments), adjustments
    assert "supervisor: 1 rater(s) judged, none more lenient or severe than the cycle" in adjustments


def test_domain_peer_resubmissions_and_inputs_stay_out_of_the_explanation() -> None:
    first = fb(PEER, nip(40), {"c1": 2}, sid="peer-0", version=1)
    again = fb(PEER, nip(40), {"c1": 3}, sid="peer-0", version=2)
    others = peers({"c1": 4}, {"c1": 4})[1:]
    extra = fb(PEER, nip(45), {"c1": 4}, sid="peer-5")
    score, _ = run(cycle(feedback=(first, again, *others, extra)), RaterStats())
    text = score.explanation.model_dump_json()
    assert "replaced by a later version" not in text
    assert not [ref for ref in score.explanation.inputs_used if ref.kind == "feedback:peer"]
    assert "peer-0" not in text and again.event_id not in text


def test_domain_corrected_ratings_stay_on_the_scale() -> None:
    items = cycle_feedback(b_ratee=RATEE)
    items[5] = fb(SUP, B, {"c1": 5, "c2": 2}, ratee=RATEE)  # B's mean now (3+2)*2+7 / 6 = 2.833
    _, seen = run(cycle(feedback=(items[5],)), stats_of(items))
    # cycle mean (27 + 17) / 12 = 3.6667, B offset 2.8333 - 3.6667 = -0.8333: 5 + 0.8333 is capped at 5.
    assert seen.feedback[SUP]["c1"] == 5.0
    assert math.isclose(seen.feedback[SUP]["c2"], 2 + (44 / 12 - 17 / 6))


def peers(*ratings: dict[str, float]) -> tuple[FeedbackInput, ...]:
    return tuple(fb(PEER, nip(40 + i), r, sid=f"peer-{i}") for i, r in enumerate(ratings))


def test_domain_two_peers_are_left_out_and_never_exposed() -> None:
    two = peers({"c1": 1}, {"c1": 2})
    score, seen = run(cycle(feedback=(*two, fb(SUP, A, {"c1": 4}, sid="sup"))), RaterStats())
    assert PEER not in seen.feedback and PEER not in seen.raters
    [left] = [lo for lo in score.explanation.left_out if lo.kind == "feedback:peer"]
    assert left.count == 2
    assert left.reason.startswith("2 peer rater(s), fewer than the 3 needed")
    assert [ref.kind for ref in score.explanation.inputs_used] == ["feedback:supervisor"]
    text = score.model_dump_json()
    assert nip(40) not in text and nip(41) not in text and A not in text


def test_domain_three_peers_are_counted() -> None:
    _, seen = run(cycle(feedback=peers({"c1": 3}, {"c1": 4}, {"c1": 5})), RaterStats())
    assert seen.raters[PEER] == 3
    assert seen.feedback[PEER] == {"c1": 4.0}  # (3 + 4 + 5) / 3


def test_domain_peer_minimum_is_configurable() -> None:
    rules = ScoringRules(bias=BiasRules(min_raters={PEER: 2}))
    _, seen = run(cycle(feedback=peers({"c1": 2}, {"c1": 4})), RaterStats(), rules)
    assert seen.feedback[PEER] == {"c1": 3.0}


def test_domain_outlier_far_from_the_median_is_left_out() -> None:
    score, seen = run(cycle(feedback=peers({"c1": 4}, {"c1": 4}, {"c1": 5}, {"c1": 1})), RaterStats())
    # median of 1, 4, 4, 5 is 4; |1 - 4| = 3 > 1.5 -> out; mean of 4, 4, 5 = 4.3333
    assert math.isclose(seen.feedback[PEER]["c1"], 13 / 3)
    [outliers] = [lo for lo in score.explanation.left_out if lo.kind == "rating:peer"]
    assert outliers.count == 1
    assert (
        outliers.reason == "c1: of 4 ratings, more than 1.5 points from the median 4.00: left out as outliers"
    )
    assert not any("outlier" in a for a in score.explanation.adjustments)


def test_domain_rating_at_the_outlier_edge_is_kept() -> None:
    score, seen = run(cycle(feedback=peers({"c1": 5}, {"c1": 5}, {"c1": 4}, {"c1": 3})), RaterStats())
    # median of 3, 4, 5, 5 is 4.5; |3 - 4.5| = 1.5, not more than 1.5: kept; (5 + 5 + 4 + 3) / 4 = 4.25
    assert seen.feedback[PEER]["c1"] == 4.25
    assert not any("outliers" in a for a in score.explanation.adjustments)


def test_domain_split_views_are_all_kept() -> None:
    score, seen = run(cycle(feedback=peers({"c1": 1}, {"c1": 1}, {"c1": 5}, {"c1": 5})), RaterStats())
    # median 3, every rating 2 points away: no odd one out, so the mean of all four, 3.0
    assert seen.feedback[PEER]["c1"] == 3.0
    assert "peer/c1: 4 ratings all further than 1.5 points from the median 3.00: views split, all kept" in (
        score.explanation.adjustments
    )


def test_domain_supervisor_peer_divergence_is_flagged() -> None:
    items = (
        fb(SUP, A, {"c1": 5, "c2": 5}, sid="sup"),
        *peers({"c1": 2, "c2": 3}, {"c1": 2, "c2": 3}, {"c1": 2}),
    )
    score, _ = run(cycle(feedback=items), RaterStats())
    # peers: c1 (2+2+2)/3 = 2, c2 (3+3)/2 = 3; gaps 3 and 2, mean 2.5 > 1 point (0.25 x 4)
    [flag] = score.explanation.flags
    assert flag.code == "supervisor_peer_divergence"
    assert "differ by 2.50 points" in flag.message


@pytest.mark.parametrize(("share", "flagged"), [(0.25, False), (0.2, True)])
def test_domain_divergence_threshold_is_configurable(share: float, flagged: bool) -> None:
    items = (
        fb(SUP, A, {"c1": 4, "c2": 4}, sid="sup"),
        *peers({"c1": 3, "c2": 3}, {"c1": 3, "c2": 3}, {"c1": 3}),
    )
    # gap exactly 1.0: not above 0.25 x 4 = 1.0; above 0.2 x 4 = 0.8
    score, _ = run(cycle(feedback=items), RaterStats(), ScoringRules(bias=BiasRules(divergence_share=share)))
    assert [f.code for f in score.explanation.flags] == (["supervisor_peer_divergence"] if flagged else [])


def test_domain_ratings_that_do_not_fit_the_rubric_are_left_out_with_reasons() -> None:
    items = (
        fb(SUP, A, {"c1": 4, "c9": 5, "c2": 7}, sid="sup"),
        fb(SUP, C, {"c1": 2}, sid="other-rubric", rubric="marelan"),
        fb(SUP, C, {"c1": 1}, sid="someone-else", ratee=nip(99)),
    )
    score, seen = run(cycle(feedback=items), RaterStats())
    assert seen.feedback[SUP] == {"c1": 4.0}
    reasons = {(lo.kind, lo.reason) for lo in score.explanation.left_out}
    assert ("rating:supervisor", "c9: not a criterion of rubric uji") in reasons
    assert ("rating:supervisor", "c2: 7 is outside 1-5") in reasons
    assert ("feedback:supervisor", "rated on rubric marelan, scored with uji") in reasons
    assert ("feedback:supervisor", "about another employee or a unit") in reasons


def test_domain_a_provisional_score_holds_anonymous_pools_back_until_the_close() -> None:
    four = peers({"c1": 4}, {"c1": 4}, {"c1": 5}, {"c1": 1})
    inputs = cycle(feedback=(*four, fb(SUP, A, {"c1": 3}, sid="sup")))
    echo = Echo()
    provisional = compute_score(inputs, TEST_SPEC, echo, RaterStats(), ScoringRules(), provisional=True)
    final = compute_score(inputs, TEST_SPEC, Echo(), RaterStats(), ScoringRules())
    # The rubric never saw the peers while the cycle was open, and nothing said of them shows.
    assert PEER not in echo.seen[0].feedback and PEER not in echo.seen[0].raters
    text = provisional.explanation.model_dump_json()
    assert "outlier" not in text and "supervisor_peer_divergence" not in text
    [held] = [lo for lo in provisional.explanation.left_out if lo.kind == "feedback:peer"]
    assert held.count == 4 and held.reason.startswith("counted from the cycle's close")
    # Same inputs, same digest: the final score is the one that counts them.
    assert provisional.inputs_digest == final.inputs_digest
    assert any(s.startswith("feedback:peer: 4 rater(s) pooled") for s in final.explanation.steps)
