"""Explained, reproducible scores: same inputs in any order give the same Score and digest."""

from __future__ import annotations

import dataclasses
import random

import pytest

from services.scoring.domain import AchievementInput, CycleInputs, FeedbackInput, RaterStats, compute_score
from services.scoring.domain.inputs import PlanInput
from shared.events.feedback import Source
from shared.events.scoring import Score
from shared.plugins.manager import RubricRegistry, build_registry
from tests.scoring.support import RATEE, fb, indicator, nip

SUP, PEER, SELF = Source.SUPERVISOR, Source.PEER, Source.SELF


@pytest.fixture(scope="module")
def registry() -> RubricRegistry:
    return build_registry()


def marelan_cycle(ratee: str = RATEE, seed: int = 0) -> tuple[CycleInputs, list[FeedbackInput]]:
    """One employee's inputs (with a replaced feedback and a replaced report) and other raters' work."""
    rng = random.Random(seed)

    def form() -> dict[str, float]:
        return {"pencapaian_target": rng.randint(2, 5), "kontribusi_tim": rng.randint(2, 5)}

    own = [
        fb(SUP, nip(1), form(), ratee=ratee, rubric="marelan", version=1, sid=f"sup-{ratee}"),
        fb(SUP, nip(1), form(), ratee=ratee, rubric="marelan", version=2, sid=f"sup-{ratee}"),
        fb(SELF, ratee, form(), ratee=ratee, rubric="marelan", sid=f"self-{ratee}"),
        *(
            fb(PEER, nip(10 + i), form(), ratee=ratee, rubric="marelan", sid=f"peer-{i}-{ratee}")
            for i in range(4)
        ),
    ]
    # The same raters' work on other ratees, so that leniency corrections apply.
    others = [
        fb(src, rater, form(), ratee=nip(100 + k), rubric="marelan", sid=f"other-{rater}-{k}")
        for k in range(3)
        for src, rater in [(SUP, nip(1)), *((PEER, nip(10 + i)) for i in range(4))]
    ]
    plan = PlanInput("plan-evt", "plan-1", (indicator("iki-1", 100.0), indicator("iki-2", 20.0)))
    reports = (AchievementInput("ach-1", 1, {"iki-1": 80.0}), AchievementInput("ach-2", 2, {"iki-1": 90.0}))
    inputs = CycleInputs("marelan-2026", ratee, "dinkes", "puskesmas-1", True, plan, reports, tuple(own))
    return inputs, others


def stats_from(items: list[FeedbackInput], seed: int) -> RaterStats:
    shuffled = items[:]
    random.Random(seed).shuffle(shuffled)
    stats = RaterStats()
    stats.observe_all(shuffled)
    return stats


def shuffled(inputs: CycleInputs, seed: int) -> CycleInputs:
    rng = random.Random(seed)
    feedback, reports = list(inputs.feedback), list(inputs.achievements)
    rng.shuffle(feedback)
    rng.shuffle(reports)
    return CycleInputs(
        inputs.cycle_id,
        inputs.nip,
        inputs.unit_id,
        inputs.team_id,
        inputs.service_role,
        inputs.plan,
        tuple(reports),
        tuple(feedback),
    )


def test_domain_score_is_the_same_whatever_the_order(registry: RubricRegistry) -> None:
    inputs, others = marelan_cycle()
    spec = registry.spec("marelan")
    everything = [*inputs.feedback, *others]
    reference = compute_score(inputs, spec, registry.score, stats_from(everything, 0))
    assert reference.explanation.adjustments  # corrections did apply, so order could have mattered
    for seed in range(1, 12):
        again = compute_score(shuffled(inputs, seed), spec, registry.score, stats_from(everything, seed))
        assert again.inputs_digest == reference.inputs_digest
        assert again.model_dump() == reference.model_dump()


def test_domain_score_explains_inputs_weights_rubric_and_steps(registry: RubricRegistry) -> None:
    inputs, others = marelan_cycle()
    score = compute_score(
        inputs, registry.spec("marelan"), registry.score, stats_from([*inputs.feedback, *others], 0)
    )
    explanation = score.explanation
    assert (score.rubric_id, score.rubric_version) == ("marelan", "1.0.0")
    used = [(ref.kind, ref.event_id, ref.version) for ref in explanation.inputs_used]
    assert used[:2] == [("plan", "plan-evt", 1), ("achievement", "ach-2", 2)]
    assert ("feedback:supervisor", f"sup-{RATEE}#v2", 2) in used
    # Peer inputs are pooled, never listed one by one (no event id or version per peer).
    assert sorted(k for k, _, _ in used if k.startswith("feedback:")) == [
        "feedback:self",
        "feedback:supervisor",
    ]
    assert any(step.startswith("feedback:peer: 4 rater(s) pooled") for step in explanation.steps)
    left = {(lo.kind, lo.reason): lo.count for lo in explanation.left_out}
    assert left[("achievement", "replaced by a later version")] == 1
    assert left[("feedback:supervisor", "replaced by a later version")] == 1
    assert explanation.weights["source:supervisor"] == 0.5
    assert set(explanation.criteria) == {"pencapaian_target", "kontribusi_tim"}
    assert explanation.steps[-1].endswith("(PermenPANRB 6/2022 predicate matrix)")
    assert len(score.inputs_digest) == 64 and int(score.inputs_digest, 16) >= 0
    assert Score.model_validate(score.model_dump()) == score


def test_domain_digest_changes_with_any_input_or_correction(registry: RubricRegistry) -> None:
    inputs, others = marelan_cycle()
    spec = registry.spec("marelan")
    stats = stats_from([*inputs.feedback, *others], 0)
    base = compute_score(inputs, spec, registry.score, stats).inputs_digest
    feedback = list(inputs.feedback)
    feedback[2] = dataclasses.replace(feedback[2], ratings={"kontribusi_tim": 1})
    one_rating = dataclasses.replace(inputs, feedback=tuple(feedback))
    assert compute_score(one_rating, spec, registry.score, stats).inputs_digest != base
    # Another rater's work elsewhere in the cycle moves this employee's corrections: new digest.
    stats.observe(fb(PEER, nip(10), {"kontribusi_tim": 5}, ratee=nip(200), rubric="marelan", sid="late"))
    assert compute_score(inputs, spec, registry.score, stats).inputs_digest != base


def test_domain_later_version_wins_whatever_arrives_first(registry: RubricRegistry) -> None:
    spec = registry.spec("marelan")
    v1 = fb(SUP, nip(1), {"pencapaian_target": 2}, rubric="marelan", sid="s", version=1)
    v2 = fb(SUP, nip(1), {"pencapaian_target": 5}, rubric="marelan", sid="s", version=2)
    scores = [
        compute_score(CycleInputs("c", RATEE, "u", feedback=order), spec, registry.score, RaterStats())
        for order in [(v1, v2), (v2, v1)]
    ]
    assert scores[0] == scores[1]
    assert scores[0].explanation.criteria["pencapaian_target"] == 100.0  # 5 -> 100
