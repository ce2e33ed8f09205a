"""Builders for scoring tests: short ways to write inputs. Not a conftest; imported explicitly."""

from __future__ import annotations

from collections.abc import Mapping

from services.scoring.domain import AchievementInput, CycleInputs, FeedbackInput, PlanInput
from shared.events.feedback import Aspect, Direction, ResultKind, Source
from shared.plugins import Component, Criterion, IndicatorOutcome, RubricSpec

RATEE = "198503122010011002"
ALL_SOURCES = frozenset(Source)

# A neutral rubric for core tests: two criteria, every source, equal weights.
TEST_SPEC = RubricSpec(
    rubric_id="uji",
    version="0.1.0",
    title="Uji",
    regions=("uji",),
    criteria=tuple(
        Criterion(criterion_id=c, label_id=c, label_en=c, component=Component.BEHAVIOUR, sources=ALL_SOURCES)
        for c in ("c1", "c2")
    ),
    source_weights={s: 1.0 for s in Source},
)


def nip(n: int) -> str:
    """An 18-digit NIP, distinct per ``n``."""
    return f"19800101200501{n:04d}"


def fb(
    source: Source,
    rater: str | None,
    ratings: Mapping[str, float],
    *,
    ratee: str = RATEE,
    rubric: str = "uji",
    version: int = 1,
    sid: str | None = None,
) -> FeedbackInput:
    submission = sid or f"{source.value}:{rater}:{ratee}"
    return FeedbackInput(
        event_id=f"{submission}#v{version}",
        submission_id=submission,
        version=version,
        source=source,
        rater_nip=rater,
        ratee_nip=ratee,
        rubric_id=rubric,
        ratings=dict(ratings),
    )


def indicator(
    iid: str,
    target: float,
    *,
    direction: Direction = Direction.HIGHER_IS_BETTER,
    kind: ResultKind = ResultKind.MAIN,
    standard: float | None = None,
    name: str | None = None,
) -> IndicatorOutcome:
    label = name or iid
    return IndicatorOutcome("rhk-1", kind, iid, label, Aspect.QUANTITY, direction, target, standard, None)


def cycle(
    *,
    feedback: tuple[FeedbackInput, ...] = (),
    indicators: tuple[IndicatorOutcome, ...] = (),
    realised: Mapping[str, float] | None = None,
    service_role: bool = False,
    ratee: str = RATEE,
    cycle_id: str = "uji-2026",
) -> CycleInputs:
    plan = PlanInput("plan-evt", "plan-1", indicators) if indicators else None
    achievements = (AchievementInput("ach-evt", 1, dict(realised)),) if realised is not None else ()
    return CycleInputs(
        cycle_id=cycle_id,
        nip=ratee,
        unit_id="dinas",
        service_role=service_role,
        plan=plan,
        achievements=achievements,
        feedback=feedback,
    )
