"""The distribution curve check of one unit at finalisation, with a deterministic proposal.

The organisation's predicate bounds its employees' predicates (rules.CURVE). The appraising
official makes the final call; this only lists what breaks the curve and proposes moves:

- a cap exceeded (at most x% of P): the lowest-scoring employee in P moves down one step;
- a floor not reached (at least x% / n of P): the lowest-scoring employee among those nearest
  above P moves down one step; only when nobody is above P does the highest-scoring nearest
  below move up one step.

Scores order employees by results + behaviour index, then NIP. An employee never moves both
ways, so the proposal always ends; whatever still breaks the curve is reported as unresolved.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from services.scoring.domain.rules import (
    CURVE,
    PREDICATE_ORDER,
    CurveRule,
    OrganisationPredicate,
)
from shared.events.scoring import CurveViolation, Predicate, Score

_RANK = {p: i for i, p in enumerate(PREDICATE_ORDER)}


@dataclass(frozen=True, slots=True)
class CurveEntry:
    """What the curve check needs of one employee's final score."""

    nip: str
    predicate: Predicate
    results_score: float
    behaviour_score: float

    @classmethod
    def from_score(cls, score: Score) -> CurveEntry:
        return cls(score.nip, score.predicate, score.results_score, score.behaviour_score)

    @property
    def key(self) -> tuple[float, str]:
        return (self.results_score + self.behaviour_score, self.nip)


@dataclass(frozen=True, slots=True)
class CurveCheck:
    """Violations of the unit's distribution, the proposed predicates, and what stays unresolved."""

    unit_id: str
    organisation_predicate: OrganisationPredicate
    violations: tuple[CurveViolation, ...]
    proposed: dict[str, Predicate] = field(default_factory=dict)
    unresolved: tuple[CurveViolation, ...] = ()


class _Distribution:
    """Employees per predicate, each list sorted by score, updated move by move."""

    def __init__(self, entries: Sequence[CurveEntry]) -> None:
        self.total = len(entries)
        self.members: dict[Predicate, list[tuple[float, str]]] = {p: [] for p in PREDICATE_ORDER}
        for entry in entries:
            self.members[entry.predicate].append(entry.key)
        for keys in self.members.values():
            keys.sort()
        self.current = {e.nip: e.predicate for e in entries}
        self.direction: dict[str, int] = {}

    def count(self, predicates: Iterable[Predicate]) -> int:
        return sum(len(self.members[p]) for p in predicates)

    def move(self, key: tuple[float, str], step: int) -> None:
        nip = key[1]
        origin = self.current[nip]
        target = PREDICATE_ORDER[_RANK[origin] + step]
        self.members[origin].remove(key)
        bisect.insort(self.members[target], key)
        self.current[nip] = target
        self.direction[nip] = step

    def candidate(self, predicate: Predicate, step: int, lowest: bool) -> tuple[float, str] | None:
        """Lowest (or highest) scorer in ``predicate`` that may move ``step`` (+1 down, -1 up)."""
        if not 0 <= _RANK[predicate] + step < len(PREDICATE_ORDER):
            return None
        keys = self.members[predicate]
        for key in keys if lowest else reversed(keys):
            if self.direction.get(key[1], step) == step:
                return key
        return None


def _fix(dist: _Distribution, rule: CurveRule) -> tuple[tuple[float, str], int] | None:
    """The one move that works towards ``rule``, or None if no one may move."""
    ranks = sorted(_RANK[p] for p in rule.predicates)
    if rule.kind == "max_share":
        for predicate in sorted(rule.predicates, key=_RANK.__getitem__, reverse=True):
            key = dist.candidate(predicate, +1, lowest=True)
            if key is not None:
                return key, +1
        return None
    for rank in range(ranks[0] - 1, -1, -1):  # nearest better predicate first
        key = dist.candidate(PREDICATE_ORDER[rank], +1, lowest=True)
        if key is not None:
            return key, +1
    for rank in range(ranks[-1] + 1, len(PREDICATE_ORDER)):  # then nearest worse
        key = dist.candidate(PREDICATE_ORDER[rank], -1, lowest=False)
        if key is not None:
            return key, -1
    return None


def check_curve(
    unit_id: str,
    organisation_predicate: OrganisationPredicate | str,
    entries: Iterable[CurveEntry],
    curve: Mapping[OrganisationPredicate, tuple[CurveRule, ...]] | None = None,
) -> CurveCheck:
    """Check a unit's predicates against the curve of its organisation predicate and propose moves.

    :param unit_id: the unit.
    :param organisation_predicate: e.g. ``"Istimewa"`` as CycleClosed.unit_predicates carries it.
    :param entries: one per employee (``CurveEntry.from_score``), any order.
    :param curve: rules per organisation predicate; the national ones by default.
    """
    org = OrganisationPredicate.parse(organisation_predicate)
    rules = (curve or CURVE)[org]
    ordered = sorted(entries, key=lambda e: e.nip)
    dist = _Distribution(ordered)
    if not ordered:
        return CurveCheck(unit_id, org, ())

    def broken() -> list[tuple[CurveRule, CurveViolation]]:
        out = []
        for rule in rules:
            count = dist.count(rule.predicates)
            if not rule.holds(count, dist.total):
                text = f"{rule.text} (organisation {org.value}; PermenPANRB 6/2022 kurva distribusi)"
                violation = CurveViolation.model_construct(
                    unit_id=unit_id, rule=text, observed=count / dist.total, limit=rule.limit(dist.total)
                )
                out.append((rule, violation))
        return out

    violations = tuple(v for _, v in broken())
    # Each employee moves at most 4 steps one way: the loop is bounded by 4n moves.
    for _ in range(4 * len(ordered) + 1):
        move = next((m for rule, _ in broken() if (m := _fix(dist, rule)) is not None), None)
        if move is None:
            break
        dist.move(*move)
    proposed = {e.nip: dist.current[e.nip] for e in ordered if dist.current[e.nip] is not e.predicate}
    return CurveCheck(unit_id, org, violations, proposed, tuple(v for _, v in broken()))
