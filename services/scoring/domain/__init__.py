"""The scoring service's pure rules: no I/O, no Kafka, no Mongo.

The service wiring calls :func:`compute_score` per employee (with the rubric from the plugin
registry and the cycle's :class:`RaterStats`) and :func:`check_curve` per unit at finalisation.
"""

from __future__ import annotations

from services.scoring.domain.bias import BiasRules
from services.scoring.domain.compute import (
    DEFAULT_RULES,
    Assessment,
    ScoreRubric,
    ScoringRules,
    assess,
    compute_score,
    final_status,
    missing_inputs,
)
from services.scoring.domain.curve import CurveCheck, CurveEntry, check_curve
from services.scoring.domain.inputs import AchievementInput, CycleInputs, FeedbackInput, PlanInput
from services.scoring.domain.raters import RaterStats
from services.scoring.domain.rules import NationalRules, OrganisationPredicate, RatingBands

__all__ = [
    "DEFAULT_RULES",
    "AchievementInput",
    "Assessment",
    "BiasRules",
    "CurveCheck",
    "CurveEntry",
    "CycleInputs",
    "FeedbackInput",
    "NationalRules",
    "OrganisationPredicate",
    "PlanInput",
    "RaterStats",
    "RatingBands",
    "ScoreRubric",
    "ScoringRules",
    "assess",
    "check_curve",
    "compute_score",
    "final_status",
    "missing_inputs",
]
