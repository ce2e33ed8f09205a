"""What happens to recommendations over time: replacement on a new score, HR decisions.

Statuses move proposed -> accepted | rejected (HR) and proposed -> superseded (a newer score).
A decided recommendation never moves again: reprocessing neither reopens nor supersedes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.career.domain.model import Decision
from shared.errors import Conflict, ValidationFailed
from shared.events.career import Recommendation, RecommendationStatus

DECIDED = frozenset({RecommendationStatus.ACCEPTED, RecommendationStatus.REJECTED})


@dataclass(frozen=True)
class Reconciliation:
    """Outcome of comparing stored recommendations with a freshly computed set.

    :ivar new: to store and issue (proposed); includes a superseded one that came back.
    :ivar unchanged: stored recommendations that stay as they are (proposed or decided).
    :ivar superseded: stored proposed recommendations, now with status ``superseded``.
    :ivar already_decided: fresh ones not issued because HR already decided an equivalent one.
    :ivar stale: fresh ones ignored because they are provisional and final ones exist.
    """

    new: tuple[Recommendation, ...] = ()
    unchanged: tuple[Recommendation, ...] = ()
    superseded: tuple[Recommendation, ...] = ()
    already_decided: tuple[Recommendation, ...] = ()
    stale: tuple[Recommendation, ...] = ()

    @property
    def changed(self) -> bool:
        """True when something must be stored or published."""
        return bool(self.new or self.superseded)


def reconcile(
    existing: Sequence[Recommendation], fresh: Sequence[Recommendation], *, final: bool
) -> Reconciliation:
    """Replace the recommendations of one subject (employee or team) in one cycle.

    ``existing`` are the stored ones, ``fresh`` the ones just computed from a score that is
    ``final`` or provisional (explicit, since a score may produce no recommendation at all).
    Stored proposed ones that the fresh set no longer contains are superseded: a final score
    thereby replaces every provisional proposal, a new provisional revision the previous one.
    A provisional score arriving after final ones exist (late delivery) changes nothing.
    """
    _check_scope([*existing, *fresh])
    if any(r.final != final for r in fresh):
        raise ValidationFailed("fresh recommendations disagree with `final`", slug="reconcile-stage")
    active = [r for r in existing if r.status != RecommendationStatus.SUPERSEDED]
    if not final and any(r.final for r in active):
        return Reconciliation(unchanged=tuple(active), stale=tuple(fresh))
    by_id = {r.recommendation_id: r for r in existing}
    decided = [r for r in active if r.status in DECIDED]
    new: list[Recommendation] = []
    unchanged: list[Recommendation] = []
    already: list[Recommendation] = []
    for rec in fresh:
        stored = by_id.get(rec.recommendation_id)
        if stored is not None and stored.status != RecommendationStatus.SUPERSEDED:
            unchanged.append(stored)
        elif any(_equivalent(rec, d) for d in decided):
            already.append(rec)
        else:
            new.append(rec)
    fresh_ids = {r.recommendation_id for r in fresh}
    superseded = [
        r.model_copy(update={"status": RecommendationStatus.SUPERSEDED})
        for r in active
        if r.status == RecommendationStatus.PROPOSED and r.recommendation_id not in fresh_ids
    ]
    kept_decided = [r for r in decided if r.recommendation_id not in fresh_ids]
    return Reconciliation(
        new=tuple(new),
        unchanged=(*unchanged, *kept_decided),
        superseded=tuple(superseded),
        already_decided=tuple(already),
    )


def decide(recommendation: Recommendation, decision: Decision) -> Recommendation:
    """Apply an HR decision: proposed -> accepted | rejected.

    A rejection needs a reason. Repeating the decision already taken returns the recommendation
    unchanged (a retried request); any other move from a non-proposed status is a conflict.
    """
    target = RecommendationStatus(decision.status)
    if target == RecommendationStatus.REJECTED and not (decision.reason or "").strip():
        raise ValidationFailed("a rejection needs a reason", slug="rejection-reason")
    if recommendation.status == target:
        return recommendation
    if recommendation.status != RecommendationStatus.PROPOSED:
        raise Conflict(
            f"recommendation {recommendation.recommendation_id} is {recommendation.status.value}",
            slug="recommendation-not-proposed",
        )
    return recommendation.model_copy(update={"status": target})


def _check_scope(recommendations: Sequence[Recommendation]) -> None:
    scopes = {(r.cycle_id, r.nip, r.team_id) for r in recommendations}
    if len(scopes) > 1:
        raise ValidationFailed(
            "reconcile one employee or team in one cycle at a time", slug="reconcile-scope"
        )


def _equivalent(a: Recommendation, b: Recommendation) -> bool:
    # Same conclusion regardless of stage and evidence: HR decided it once, that stands.
    return (a.kind, a.title, a.details) == (b.kind, b.title, b.details)
