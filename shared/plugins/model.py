"""What a rubric declares (:class:`RubricSpec`) and what it sees and returns when it scores.

The spec is a pydantic model: it is validated once at start-up and the feedback service renders
its forms from it. The per-employee types (:class:`ScoringInputs`, :class:`RubricResult`) are
plain frozen dataclasses, because finalizing a large cycle builds one of each per employee and
re-validating them there would cost more than the scoring itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.feedback import Aspect, Direction, ResultKind, Source
from shared.events.scoring import Flag, LeftOut

ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class Component(StrEnum):
    """The two national ratings a criterion can feed (PermenPANRB 6/2022)."""

    RESULTS = "results"
    BEHAVIOUR = "behaviour"


class RatingScale(BaseModel):
    """The scale feedback criteria are rated on; the feedback service validates submissions with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float = Field(1, description="Lowest allowed rating.")
    high: float = Field(5, description="Highest allowed rating.")
    step: float = Field(1, description="Ratings must be `low + k * step`.", gt=0)
    meets: float = Field(3, description="The rating that means 'sesuai ekspektasi'.")

    @model_validator(mode="after")
    def _ordered(self) -> RatingScale:
        if not self.low < self.meets < self.high:
            raise ValueError("scale needs low < meets < high")
        return self

    def problems(self, value: float) -> str | None:
        """Why ``value`` is not a valid rating on this scale, or None when it is."""
        if not self.low <= value <= self.high:
            return f"{value} is outside {self.low:g}-{self.high:g}"
        steps = (value - self.low) / self.step
        if abs(steps - round(steps)) > 1e-9:
            return f"{value} is not on a step of {self.step:g} from {self.low:g}"
        return None

    def values(self) -> list[float]:
        """Every rating the scale allows, lowest first (the choices a form offers)."""
        count = round((self.high - self.low) / self.step)
        return [
            self.low + k * self.step for k in range(count + 1) if self.low + k * self.step <= self.high + 1e-9
        ]

    def to_index(self, value: float) -> float:
        """Map a rating to the 0-100 index, with ``meets`` at 50 (see docs/plugins.md, 'The index')."""
        if value >= self.meets:
            index = 50.0 + 50.0 * (value - self.meets) / (self.high - self.meets)
        else:
            index = 50.0 * (value - self.low) / (self.meets - self.low)
        # Rounding in the arithmetic above must not carry a rating on the scale past 0-100.
        return min(max(index, 0.0), 100.0)


class Criterion(BaseModel):
    """One thing feedback forms ask about."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    criterion_id: str = Field(description="Stable id used in FeedbackSubmitted.ratings.", pattern=ID_PATTERN)
    label_id: str = Field(description="Label in Indonesian.", min_length=1, max_length=200)
    label_en: str = Field(description="Label in English.", min_length=1, max_length=200)
    component: Component = Field(description="Whether it counts toward results or behaviour.")
    sources: frozenset[Source] = Field(description="Sources allowed to rate it.", min_length=1)
    weight: float = Field(1.0, description="Relative weight within its component.", gt=0)
    service_role_only: bool = Field(
        False, description="Only asked about employees who serve the public (Employee.service_role)."
    )


class RubricSpec(BaseModel):
    """Everything a rubric declares: criteria, scale, sources, weights and the regions it serves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rubric_id: str = Field(description="Stable rubric id.", pattern=ID_PATTERN, examples=["marelan"])
    version: str = Field(description="Rubric version; part of every score's explanation.", examples=["1.0.0"])
    title: str = Field(description="Human-readable name.", min_length=1, max_length=200)
    regions: tuple[str, ...] = Field((), description="Region ids this rubric scores.")
    default: bool = Field(False, description="True for the national default used by regions without one.")
    scale: RatingScale = Field(default_factory=RatingScale, description="Scale of feedback ratings.")
    criteria: tuple[Criterion, ...] = Field(description="Criteria the feedback forms ask about.")
    source_weights: dict[Source, float] = Field(description="Relative weight of each source.")
    weights: dict[str, float] = Field(default_factory=dict, description="Other weights the rubric applies.")
    prohibited: tuple[str, ...] = Field(
        (), description="Concepts the rubric refuses as criteria on principle (e.g. attendance)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> RubricSpec:
        ids = [c.criterion_id for c in self.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError(f"rubric {self.rubric_id}: duplicate criterion ids in {ids}")
        for criterion in self.criteria:
            missing = criterion.sources - self.source_weights.keys()
            if missing:
                raise ValueError(f"{criterion.criterion_id}: sources {sorted(missing)} have no weight")
            hit = self.prohibited_match(criterion.criterion_id, criterion.label_id, criterion.label_en)
            if hit:
                raise ValueError(f"rubric {self.rubric_id}: criterion {criterion.criterion_id} is {hit!r}")
        if any(w < 0 for w in self.source_weights.values()):
            raise ValueError("source weights must not be negative")
        return self

    def prohibited_match(self, *texts: str) -> str | None:
        """The prohibited concept any of ``texts`` names, matched as a whole word, or None."""
        for concept in self.prohibited:
            pattern = re.compile(rf"\b{re.escape(concept)}\b", re.IGNORECASE)
            if any(pattern.search(text.replace("_", " ")) for text in texts):
                return concept
        return None

    @cached_property
    def _accepts(self) -> dict[str, tuple[frozenset[Source], bool]]:
        return {
            c.criterion_id: (c.sources, c.service_role_only)
            for c in self.criteria
            if self.prohibited_match(c.criterion_id) is None
        }

    def accepts(self, source: Source, criterion_id: str, value: float, *, service_role: bool) -> bool:
        """Fast check of one rating, for scoring's hot loop; :meth:`rating_problems` says why not."""
        allowed = self._accepts.get(criterion_id)
        if allowed is None or source not in allowed[0] or (allowed[1] and not service_role):
            return False
        scale = self.scale
        if not scale.low <= value <= scale.high:
            return False
        steps = (value - scale.low) / scale.step
        return abs(steps - round(steps)) <= 1e-9

    def asked(self, source: Source, *, service_role: bool) -> list[Criterion]:
        """The criteria a form asks ``source`` about a ratee: the ones :meth:`rating_problems`
        accepts from that source (a unit the citizens rate counts as serving the public)."""
        return [
            c
            for c in self.criteria
            if source in c.sources
            and (service_role or not c.service_role_only)
            and self.prohibited_match(c.criterion_id) is None
        ]

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.criterion_id == criterion_id), None)

    def rating_problems(
        self, source: Source, ratings: Mapping[str, float], *, service_role: bool
    ) -> list[str]:
        """Why a submission's ``ratings`` do not fit this rubric; empty when they do.

        The feedback service calls this before accepting a FeedbackSubmitted; scoring leaves out
        any rating that still does not fit.
        """
        problems = []
        for criterion_id, value in sorted(ratings.items()):
            criterion = self.criterion(criterion_id)
            if (concept := self.prohibited_match(criterion_id)) is not None:
                problems.append(f"{criterion_id}: {concept} is not a criterion of rubric {self.rubric_id}")
            elif criterion is None:
                problems.append(f"{criterion_id}: not a criterion of rubric {self.rubric_id}")
            elif source not in criterion.sources:
                problems.append(f"{criterion_id}: source {source.value} may not rate it")
            elif criterion.service_role_only and not service_role:
                problems.append(f"{criterion_id}: only asked about employees in a service role")
            elif (problem := self.scale.problems(value)) is not None:
                problems.append(f"{criterion_id}: {problem}")
        return problems


@dataclass(frozen=True, slots=True)
class IndicatorOutcome:
    """One SKP indicator of the approved plan with its realised value (None if not reported)."""

    result_id: str
    result_kind: ResultKind
    indicator_id: str
    name: str
    aspect: Aspect
    direction: Direction
    target: float
    standard: float | None
    realised: float | None


@dataclass(frozen=True, slots=True)
class ScoringInputs:
    """What a rubric sees: one employee's cycle, after the core's bias handling.

    ``feedback[source][criterion_id]`` is the mean rating of that source on the rubric's scale,
    after leniency correction and outlier handling; sources below their minimum number of
    raters are already gone. ``raters[source]`` is how many raters that mean pools.
    """

    cycle_id: str
    nip: str
    unit_id: str
    service_role: bool
    indicators: tuple[IndicatorOutcome, ...] = ()
    feedback: Mapping[Source, Mapping[str, float]] = field(default_factory=dict)
    raters: Mapping[Source, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RubricResult:
    """What a rubric returns: two 0-100 indices (None when it had nothing to go on) and its reasons.

    The core turns the indices into the national ratings and predicate; the rest goes into the
    score's explanation as is.
    """

    results_score: float | None
    behaviour_score: float | None
    criteria: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    steps: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
