"""Stable recommendation ids and the one place recommendations are built.

The id is a hash of what the recommendation says (subject, cycle, stage, kind, title, details,
rule) and not of the event that carried the score. So reprocessing the same score gives the same
id, and a new provisional revision that reaches the same conclusion keeps the id, so HR is not
asked twice. The stage (provisional / final) is part of the id because a final score replaces
the provisional recommendations of its cycle.
"""

from __future__ import annotations

import hashlib
import json

from services.career.domain.model import ScoreInput
from shared.events.career import Recommendation, RecommendationKind
from shared.plugins.career import Offer

Detail = str | float | int | bool | None

ID_PREFIX = "rec-"


def make_recommendation_id(
    *,
    cycle_id: str,
    nip: str | None,
    team_id: str | None,
    final: bool,
    kind: RecommendationKind,
    title: str,
    details: dict[str, Detail],
) -> str:
    """Deterministic id of a recommendation from its content (see module docs)."""
    canonical = json.dumps(
        {
            "cycle_id": cycle_id,
            "nip": nip,
            "team_id": team_id,
            "final": final,
            "kind": kind.value,
            "title": title,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return ID_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def build_recommendation(
    *,
    cycle_id: str,
    nip: str | None,
    team_id: str | None,
    unit_id: str,
    final: bool,
    offer: Offer,
    rule: str,
    details: dict[str, Detail],
    because: str,
    event_ids: tuple[str, ...],
) -> Recommendation:
    """A proposed recommendation whose reason ends with the score events it came from.

    ``rule`` names the rule that fired (``training``, ``sanction``, ...); it is kept in the
    details so a reader and :func:`reconcile` can tell which rule a recommendation came from.
    """
    full_details: dict[str, Detail] = {"rule": rule, "code": offer.code, **details}
    return Recommendation(
        recommendation_id=make_recommendation_id(
            cycle_id=cycle_id,
            nip=nip,
            team_id=team_id,
            final=final,
            kind=offer.kind,
            title=offer.title,
            details=full_details,
        ),
        cycle_id=cycle_id,
        nip=nip,
        team_id=team_id,
        unit_id=unit_id,
        kind=offer.kind,
        title=offer.title,
        details=full_details,
        reason=f"{because} Score events: {', '.join(event_ids)}.",
        score_event_ids=list(event_ids),
        final=final,
    )


def build_for_score(
    score: ScoreInput,
    offer: Offer,
    *,
    rule: str,
    because: str,
    details: dict[str, Detail] | None = None,
    event_ids: tuple[str, ...] | None = None,
) -> Recommendation:
    """A recommendation for the employee of ``score`` (events default to the score's own)."""
    return build_recommendation(
        cycle_id=score.score.cycle_id,
        nip=score.score.nip,
        team_id=None,
        unit_id=score.score.unit_id,
        final=score.final,
        offer=offer,
        rule=rule,
        details=details or {},
        because=because,
        event_ids=event_ids or score.event_ids,
    )
