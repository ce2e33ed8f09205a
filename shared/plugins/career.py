"""The types a career policy plugin works with: every number, catalogue and ladder the career
rules use.

Regions differ only through a :class:`CareerPolicy` value, which the ``career_policy`` hook
(:mod:`shared.plugins.hookspecs`) hands out; the rules themselves never branch on a region name.
The national defaults are :data:`shared.policies.national.NATIONAL_POLICY`, the seeded regions
:mod:`shared.policies.region`. Each policy part is a small frozen dataclass so a region can
replace one part with :func:`dataclasses.replace` and keep the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from shared.events.career import RecommendationKind
from shared.events.scoring import Predicate, Rating, Score

__all__ = [
    "CareerPolicy",
    "Offer",
    "SanctionRule",
    "StreakRule",
    "TeamAwardRule",
    "TeamMetric",
    "TrainingRule",
    "normalise_key",
]

TeamMetric = Callable[[Score], float]
"""Number a team is ranked on, per member score (the team's value is the members' mean)."""


@dataclass(frozen=True)
class Offer:
    """Something a rule can recommend: a training, a seminar, a reward, a scholarship, a sanction."""

    code: str
    title: str
    kind: RecommendationKind


@dataclass(frozen=True)
class TrainingRule:
    """Training for weak criteria: criteria scoring below ``threshold`` are matched in the
    catalogue (criterion or competency key -> offer), weakest first, at most ``max_offers``."""

    catalogue: Mapping[str, Offer]
    threshold: float = 70.0
    max_offers: int = 2

    def __post_init__(self) -> None:
        if not 0 <= self.threshold <= 100 or self.max_offers < 1:
            raise ValueError("training threshold must be 0-100 and max_offers at least 1")
        # Keys are normalised once so rubric spellings ("Public Service", "public-service") match.
        normalised = {normalise_key(k): v for k, v in self.catalogue.items()}
        object.__setattr__(self, "catalogue", MappingProxyType(normalised))


@dataclass(frozen=True)
class StreakRule:
    """Offers for a run of qualifying predicates in consecutive cycles, the current one included.

    Used for promotion readiness, for Marelan's seminars and advanced training, and (with
    ``min_criterion``) for Plaju's scholarships, where competence must also have no gap.
    """

    predicates: frozenset[Predicate]
    consecutive: int
    offers: tuple[Offer, ...]
    min_criterion: float | None = None

    def __post_init__(self) -> None:
        if self.consecutive < 1 or not self.predicates or not self.offers:
            raise ValueError("a streak rule needs predicates, offers and consecutive >= 1")


@dataclass(frozen=True)
class SanctionRule:
    """Escalation ladder for consecutive poor cycles: the n-th poor cycle in a row gets rung n
    (the last rung repeats)."""

    poor_predicates: frozenset[Predicate]
    ladder: tuple[Offer, ...]

    def __post_init__(self) -> None:
        if not self.ladder or not self.poor_predicates:
            raise ValueError("a sanction rule needs poor predicates and at least one rung")


@dataclass(frozen=True)
class TeamAwardRule:
    """Team award over the final scores of one cycle: teams of at least ``min_size`` members,
    ranked by the mean of ``metric``; the best ``winners`` get it."""

    offer: Offer
    min_size: int = 3
    winners: int = 1
    metric: TeamMetric = field(default=lambda score: (score.results_score + score.behaviour_score) / 2)

    def __post_init__(self) -> None:
        if self.min_size < 1 or self.winners < 1:
            raise ValueError("team award needs min_size and winners of at least 1")


@dataclass(frozen=True)
class CareerPolicy:
    """All the career rules' parameters for one region."""

    name: str
    training: TrainingRule
    promotion: StreakRule
    allowance_percent: Mapping[Predicate, float]
    rewards: Mapping[Predicate, tuple[Offer, ...]]
    sanction: SanctionRule
    performance_axis: Mapping[Predicate, Rating]
    outstanding: StreakRule | None = None
    scholarship: StreakRule | None = None
    team_award: TeamAwardRule | None = None

    def __post_init__(self) -> None:
        for name in ("allowance_percent", "performance_axis"):
            table = getattr(self, name)
            if set(table) != set(Predicate):
                raise ValueError(f"{name} must cover every predicate")
        if not all(0 <= pct <= 100 for pct in self.allowance_percent.values()):
            raise ValueError("allowance percentages must be 0-100")
        for name in ("allowance_percent", "performance_axis", "rewards"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


def normalise_key(key: str) -> str:
    """Criterion / competency key as the catalogue stores it: lower case, words joined by ``_``."""
    return "_".join(key.casefold().replace("-", " ").split())
