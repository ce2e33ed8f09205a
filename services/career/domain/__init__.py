"""Career domain: pure rules that turn scores into recommendations. No I/O.

The service calls, per score event::

    score = ScoreInput.from_event(event)            # .with_calibration(...) after a calibration
    fresh = recommend(score, history, policy, potential)
    outcome = reconcile(stored, fresh, final=score.final)

per closed cycle ``select_team_awards(final_scores, policy)``, per HR request ``decide``, and per
region, once, ``resolve_policy(pm, region)`` (plugin hooks, national defaults).
"""

from __future__ import annotations

from services.career.domain.identity import make_recommendation_id
from services.career.domain.lifecycle import Reconciliation, decide, reconcile
from services.career.domain.model import (
    CycleOutcome,
    Decision,
    History,
    PotentialAssessment,
    PotentialLevel,
    ScoreInput,
)
from services.career.domain.plugin import resolve_policy
from services.career.domain.record import Decided, RecommendationQuery, StoredRecommendation
from services.career.domain.rule import recommend
from services.career.domain.talent import place_talent_box
from services.career.domain.team import rank_teams, select_team_awards

# The policy types and built-in policies are the kernel's (plugins load them without this
# service); re-exported so the rules and their tests read from one place.
from shared.plugins.career import (
    CareerPolicy,
    Offer,
    SanctionRule,
    StreakRule,
    TeamAwardRule,
    TrainingRule,
)
from shared.policies.national import NATIONAL_POLICY
from shared.policies.region import REGIONAL_POLICIES

__all__ = [
    "NATIONAL_POLICY",
    "REGIONAL_POLICIES",
    "CareerPolicy",
    "CycleOutcome",
    "Decided",
    "Decision",
    "History",
    "Offer",
    "PotentialAssessment",
    "PotentialLevel",
    "RecommendationQuery",
    "Reconciliation",
    "SanctionRule",
    "ScoreInput",
    "StoredRecommendation",
    "StreakRule",
    "TeamAwardRule",
    "TrainingRule",
    "decide",
    "make_recommendation_id",
    "place_talent_box",
    "rank_teams",
    "recommend",
    "reconcile",
    "resolve_policy",
    "select_team_awards",
]
