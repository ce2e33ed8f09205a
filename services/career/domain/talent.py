"""Talent 9-box placement (PermenPANRB 3/2020): performance x potential."""

from __future__ import annotations

from services.career.domain.identity import build_for_score
from services.career.domain.model import PREDICATE_LABEL, PotentialAssessment, PotentialLevel, ScoreInput
from shared.errors import ValidationFailed
from shared.events.career import Recommendation, RecommendationKind
from shared.events.scoring import Rating
from shared.plugins.career import CareerPolicy, Offer

NINE_BOX: dict[tuple[Rating, PotentialLevel], int] = {
    # Box numbering as PermenPANRB 3/2020 lays it out (DOMAIN.md), (performance, potential) -> box.
    (Rating.BELOW, PotentialLevel.LOW): 1,
    (Rating.MEETS, PotentialLevel.LOW): 2,
    (Rating.BELOW, PotentialLevel.MEDIUM): 3,
    (Rating.ABOVE, PotentialLevel.LOW): 4,
    (Rating.MEETS, PotentialLevel.MEDIUM): 5,
    (Rating.BELOW, PotentialLevel.HIGH): 6,
    (Rating.ABOVE, PotentialLevel.MEDIUM): 7,
    (Rating.MEETS, PotentialLevel.HIGH): 8,
    (Rating.ABOVE, PotentialLevel.HIGH): 9,
}
TALENT_POOL_BOXES = frozenset({7, 8, 9})
PROMOTION_READY_BOXES = frozenset({9})
COACHING_BOXES = frozenset({1, 2, 3})


def place_talent_box(performance: Rating, potential: PotentialLevel) -> int:
    """Box number 1-9 for a performance level and a potential level."""
    return NINE_BOX[(performance, potential)]


def recommend_talent_box(
    score: ScoreInput, potential: PotentialAssessment | None, policy: CareerPolicy
) -> list[Recommendation]:
    """The 9-box placement, or nothing when no potential assessment is known."""
    if potential is None:
        return []
    if potential.nip != score.score.nip:
        raise ValidationFailed("potential assessment is for another employee", slug="potential-mismatch")
    performance = policy.performance_axis[score.predicate]
    box = place_talent_box(performance, potential.level)
    offer = Offer(f"kotak_{box}", f"Manajemen talenta: kotak {box}", RecommendationKind.TALENT_BOX)
    return [
        build_for_score(
            score,
            offer,
            rule="talent_box",
            details={
                "box": box,
                "performance": performance.value,
                "potential": potential.level.value,
                "talent_pool": box in TALENT_POOL_BOXES,
                "ready_for_promotion": box in PROMOTION_READY_BOXES,
                "needs_coaching": box in COACHING_BOXES,
            },
            because=(
                f"Predicate {PREDICATE_LABEL[score.predicate]} ({performance.value}) with potential "
                f"{potential.level.value} (assessment {potential.assessment_id}) places box {box}."
            ),
        )
    ]
