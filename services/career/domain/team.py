"""Team awards ("Tim Terbaik", Siulak) from the final scores of one cycle, grouped by team."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from services.career.domain.identity import build_recommendation
from services.career.domain.model import ScoreInput
from shared.errors import ValidationFailed
from shared.events.career import Recommendation
from shared.plugins.career import CareerPolicy

# Means equal to this many decimals are a tie: float noise must not pick a winner.
MEAN_DECIMALS = 6


@dataclass(frozen=True)
class TeamStanding:
    """A team's aggregate in one cycle."""

    team_id: str
    unit_id: str
    mean: float
    members: tuple[ScoreInput, ...]


def rank_teams(scores: Sequence[ScoreInput], policy: CareerPolicy) -> list[TeamStanding]:
    """Teams with at least the policy's minimum size, best first.

    Order: higher mean of the policy metric, then the larger team, then team id (ascending) so
    that ties are broken the same way on every run. Scores without a team are left out; for an
    employee scored more than once the highest revision counts.
    """
    rule = policy.team_award
    if rule is None:
        return []
    _check_cycle(scores)
    latest: dict[str, ScoreInput] = {}
    for score in sorted(scores, key=lambda s: (s.score.nip, s.score.revision, s.score_event_id)):
        latest[score.score.nip] = score
    teams: dict[str, list[ScoreInput]] = {}
    for score in latest.values():
        if score.score.team_id is not None:
            teams.setdefault(score.score.team_id, []).append(score)
    standings = [
        TeamStanding(
            team_id=team_id,
            unit_id=_main_unit(members),
            mean=math.fsum(rule.metric(m.score) for m in members) / len(members),
            members=tuple(members),
        )
        for team_id, members in teams.items()
        if len(members) >= rule.min_size
    ]
    return sorted(standings, key=lambda t: (-round(t.mean, MEAN_DECIMALS), -len(t.members), t.team_id))


def select_team_awards(scores: Sequence[ScoreInput], policy: CareerPolicy) -> list[Recommendation]:
    """Team award recommendations for the best teams of one cycle (none when the policy has no
    team award). ``scores`` are the final scores of the cycle, of every team to compare."""
    rule = policy.team_award
    if rule is None:
        return []
    awards = []
    for rank, team in enumerate(rank_teams(scores, policy)[: rule.winners], start=1):
        event_ids = tuple(event_id for member in team.members for event_id in member.event_ids)
        awards.append(
            build_recommendation(
                cycle_id=team.members[0].score.cycle_id,
                nip=None,
                team_id=team.team_id,
                unit_id=team.unit_id,
                final=True,
                offer=rule.offer,
                rule="team_award",
                details={"rank": rank, "members": len(team.members)},
                because=(
                    f"Team {team.team_id} ranks {rank} with a mean of {team.mean:.2f} over "
                    f"{len(team.members)} members (minimum {rule.min_size})."
                ),
                event_ids=event_ids,
            )
        )
    return awards


def _check_cycle(scores: Sequence[ScoreInput]) -> None:
    if len({s.score.cycle_id for s in scores}) > 1:
        raise ValidationFailed("team awards compare the scores of one cycle", slug="team-award-cycles")
    if not all(s.final for s in scores):
        raise ValidationFailed("team awards need final scores", slug="team-award-provisional")


def _main_unit(members: list[ScoreInput]) -> str:
    # A team may span units; it is filed under the unit most of its members belong to.
    counts = Counter(m.score.unit_id for m in members)
    return min(counts, key=lambda unit: (-counts[unit], unit))
