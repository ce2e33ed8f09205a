"""Properties of the pure rules, checked by Hypothesis: scoring, NIP validation, input guards.

No I/O. Each property runs for every built-in rubric (the registry is built from the ``kinerja``
entry points, as the service builds it). Generation is derandomised, so CI runs the same examples
every time.

Scoring (services/scoring/domain, docs/scoring.md):

- determinism: the same inputs give the same score, explanation and inputs digest;
- independence from arrival order: permuted feedback, reports and rater statistics change nothing;
- bounds: indices within 0-100, ratings and predicate from their enumerations, and the score is a
  valid ``Score`` (the service builds it unvalidated and publishes it as an event).

NIP (docs/feedback.md, "Rules and decisions"): valid PNS NIPs are accepted; anything but 18 ASCII
digits is refused for everyone; PNS layout violations are refused for PNS, while PPPK accepts any
18 digits.

Input guards: keys MongoDB would read as operators or paths are refused anywhere in a body; text
limits count after stripping; a mapping's entry bounds hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.feedback.domain import CitizenFeedbackCreate, FeedbackCreate
from services.feedback.domain.base import Reason, Text
from services.feedback.domain.organisation import nip_problems
from services.scoring.domain import RaterStats, compute_score
from services.scoring.domain.inputs import AchievementInput, CycleInputs, FeedbackInput, PlanInput
from shared.errors import BadRequest
from shared.events.feedback import Aspect, Direction, EmploymentType, ResultKind, Source
from shared.events.scoring import Predicate, Rating, Score
from shared.http import MAX_JSON_DEPTH, reject_unsafe_keys
from shared.plugins.manager import build_registry
from shared.plugins.model import IndicatorOutcome, RubricSpec

REGISTRY = build_registry()
RUBRICS = sorted(REGISTRY.specs)
SCORING = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RATEE = "198503122010011002"
RATERS = tuple(f"19800101200501{n:04d}" for n in range(1, 7))
OTHERS = tuple(f"19900101201501{n:04d}" for n in range(1, 3))


def test_every_built_in_rubric_is_covered() -> None:
    assert set(RUBRICS) >= {"marelan", "plaju", "asemrowo", "siulak", "national"}


# ------------------------------------------------------------------ scoring inputs
def _rating_values(spec: RubricSpec) -> st.SearchStrategy[float]:
    """Mostly on the rubric's scale; sometimes off it, which scoring must leave out."""
    scale = spec.scale
    steps = round((scale.high - scale.low) / scale.step)
    on_scale = st.integers(0, steps).map(lambda k: scale.low + k * scale.step)
    off_scale = st.sampled_from([scale.low - scale.step, scale.high + scale.step, scale.low + scale.step / 2])
    return st.one_of(on_scale, on_scale, on_scale, off_scale)


@st.composite
def _feedback(
    draw: st.DrawFn, spec: RubricSpec, ratee: str, raters: Sequence[str], least: int, most: int
) -> list[FeedbackInput]:
    """Submissions about ``ratee``, some in several versions, by named raters and citizens."""
    criteria = [c.criterion_id for c in spec.criteria] + ["bukan_kriteria"]
    ratings = st.dictionaries(st.sampled_from(criteria), _rating_values(spec), min_size=1, max_size=5)
    out: dict[tuple[str, int], FeedbackInput] = {}
    for _ in range(draw(st.integers(least, most))):
        source = draw(st.sampled_from(list(Source)))
        rater = (
            None
            if source is Source.CITIZEN
            else (ratee if source is Source.SELF else draw(st.sampled_from(raters)))
        )
        submission = f"{source.value}:{rater or draw(st.integers(0, 3))}:{ratee}"
        version = draw(st.integers(1, 3))
        out[(submission, version)] = FeedbackInput(
            event_id=f"{submission}#v{version}",
            submission_id=submission,
            version=version,
            source=source,
            rater_nip=rater,
            ratee_nip=ratee,
            rubric_id=spec.rubric_id if draw(st.integers(0, 5)) else "lain",
            ratings=draw(ratings),
        )
    return list(out.values())


_targets = st.one_of(st.floats(-10, 5000, allow_nan=False), st.sampled_from([0.0, 1.0, 100.0]))


@st.composite
def _indicators(draw: st.DrawFn) -> tuple[IndicatorOutcome, ...]:
    return tuple(
        IndicatorOutcome(
            result_id=f"rhk-{draw(st.integers(1, 2))}",
            result_kind=draw(st.sampled_from(list(ResultKind))),
            indicator_id=f"iki-{i}",
            name=f"Indikator {i}",
            aspect=draw(st.sampled_from(list(Aspect))),
            direction=draw(st.sampled_from(list(Direction))),
            target=draw(_targets),
            standard=draw(st.none() | _targets),
            realised=None,
        )
        for i in range(draw(st.integers(1, 4)))
    )


@st.composite
def cycles(draw: st.DrawFn, spec: RubricSpec) -> tuple[CycleInputs, list[FeedbackInput]]:
    """One employee's cycle inputs, and the feedback of the whole cycle (theirs and others')."""
    indicators = draw(_indicators())

    def realised(target: float) -> st.SearchStrategy[float]:
        near = st.floats(0, 1.6).map(lambda factor: round(target * factor, 2))
        return st.one_of(near, near, st.floats(-10, 10000, allow_nan=False))

    values = st.fixed_dictionaries(
        {},
        optional={i.indicator_id: realised(i.target) for i in indicators} | {"iki-lain": realised(1.0)},
    )
    reports = {
        version: AchievementInput(f"ach-v{version}", version, draw(values))
        for version in draw(st.lists(st.integers(1, 4), max_size=3))
    }
    mine = draw(_feedback(spec, RATEE, RATERS, 2, 8))
    others = [f for other in OTHERS for f in draw(_feedback(spec, other, (RATEE, *RATERS), 0, 5))]
    inputs = CycleInputs(
        cycle_id="uji-2026",
        nip=RATEE,
        unit_id="dinkes",
        team_id=draw(st.none() | st.just("pkm")),
        service_role=draw(st.booleans()),
        plan=PlanInput("plan-evt", f"uji-2026-{RATEE}", indicators) if draw(st.integers(0, 4)) else None,
        achievements=tuple(reports.values()),
        feedback=tuple(mine),
    )
    return inputs, [*mine, *others]


def score(spec: RubricSpec, inputs: CycleInputs, cycle_feedback: Sequence[FeedbackInput]) -> Score:
    """As the service scores: the rater statistics hold every submission of the cycle."""
    stats = RaterStats()
    stats.observe_all(cycle_feedback)
    return compute_score(inputs, spec, REGISTRY.score, stats)


def _as_dict(result: Score) -> dict[str, Any]:
    return result.model_dump(mode="json")


# ------------------------------------------------------------------ scoring properties
@pytest.mark.parametrize("rubric", RUBRICS)
@SCORING
@given(data=st.data())
def test_scoring_is_deterministic(rubric: str, data: st.DataObject) -> None:
    spec = REGISTRY.spec(rubric)
    inputs, cycle_feedback = data.draw(cycles(spec))
    first, second = score(spec, inputs, cycle_feedback), score(spec, inputs, cycle_feedback)
    assert _as_dict(first) == _as_dict(second)
    assert re.fullmatch(r"[0-9a-f]{64}", first.inputs_digest)


@pytest.mark.parametrize("rubric", RUBRICS)
@SCORING
@given(data=st.data())
def test_scoring_does_not_depend_on_arrival_order(rubric: str, data: st.DataObject) -> None:
    spec = REGISTRY.spec(rubric)
    inputs, cycle_feedback = data.draw(cycles(spec))
    shuffled = CycleInputs(
        cycle_id=inputs.cycle_id,
        nip=inputs.nip,
        unit_id=inputs.unit_id,
        team_id=inputs.team_id,
        service_role=inputs.service_role,
        plan=inputs.plan,
        achievements=tuple(data.draw(st.permutations(inputs.achievements), label="achievements")),
        feedback=tuple(data.draw(st.permutations(inputs.feedback), label="feedback")),
    )
    arrival = data.draw(st.permutations(cycle_feedback), label="cycle feedback")
    assert _as_dict(score(spec, shuffled, arrival)) == _as_dict(score(spec, inputs, cycle_feedback))


@pytest.mark.parametrize("rubric", RUBRICS)
@SCORING
@given(data=st.data())
def test_scores_stay_within_their_documented_ranges(rubric: str, data: st.DataObject) -> None:
    spec = REGISTRY.spec(rubric)
    inputs, cycle_feedback = data.draw(cycles(spec))
    result = score(spec, inputs, cycle_feedback)
    assert 0 <= result.results_score <= 100 and 0 <= result.behaviour_score <= 100
    assert result.results_rating in set(Rating) and result.behaviour_rating in set(Rating)
    assert result.predicate in set(Predicate)
    assert all(0 <= value <= 100 for value in result.explanation.criteria.values()), result.explanation
    assert (result.rubric_id, result.rubric_version) == (spec.rubric_id, spec.version)
    # Built with model_construct for speed: what the service publishes must still validate.
    assert Score.model_validate(_as_dict(result)) == Score.model_validate(_as_dict(result))


@SCORING
@given(data=st.data())
def test_rater_statistics_do_not_depend_on_arrival_order(data: st.DataObject) -> None:
    spec = REGISTRY.spec("national")
    _, cycle_feedback = data.draw(cycles(spec))
    arrival = data.draw(st.permutations(cycle_feedback))
    one, two = RaterStats(), RaterStats()
    one.observe_all(cycle_feedback)
    two.observe_all(arrival)
    assert one.to_state() == two.to_state()
    assert (one.cycle_mean, one.cycle_sd) == (two.cycle_mean, two.cycle_sd)


# ------------------------------------------------------------------ NIP
TODAY = date.today()


@st.composite
def pns_nips(draw: st.DrawFn) -> str:
    """A NIP of the PNS layout: birth date, start of service at 18 or later, sex, sequence."""
    latest_birth = TODAY.replace(year=TODAY.year - 18) - timedelta(days=1)
    born = draw(st.dates(date(1900, 1, 1), latest_birth))
    first = (born.year + 18) * 12 + born.month - 1  # months since year 0 of the 18th birthday
    start = draw(st.integers(first, TODAY.year * 12 + TODAY.month - 1))
    sex = draw(st.sampled_from("12"))
    sequence = draw(st.integers(0, 999))
    return f"{born:%Y%m%d}{start // 12:04d}{start % 12 + 1:02d}{sex}{sequence:03d}"


@PROPERTY
@given(nip=pns_nips())
def test_valid_pns_nips_are_accepted(nip: str) -> None:
    assert nip_problems(nip, EmploymentType.PNS) == []
    assert nip_problems(nip, EmploymentType.PPPK) == []


def _eighteen_ascii_digits(value: str) -> bool:
    return len(value) == 18 and all("0" <= c <= "9" for c in value)


@PROPERTY
@given(
    value=st.one_of(
        st.text(max_size=30),
        st.text(alphabet="0123456789", min_size=0, max_size=25),
        # 18 characters that are digits, but not ASCII ones (Arabic-Indic, fullwidth, ...).
        st.text(alphabet=st.characters(categories=["Nd"]), min_size=18, max_size=18),
        pns_nips().flatmap(lambda nip: st.sampled_from([nip + "\n", " " + nip, nip[:-1], nip + "0"])),
    ).filter(lambda v: not _eighteen_ascii_digits(v))
)
def test_anything_but_eighteen_ascii_digits_is_refused(value: str) -> None:
    for kind in EmploymentType:
        assert nip_problems(value, kind) == ["a NIP has exactly 18 digits"], (value, kind)


@st.composite
def pns_layout_violations(draw: st.DrawFn) -> tuple[str, str]:
    """A valid PNS NIP with one part broken, and the words of the problem it must cause."""
    nip = draw(pns_nips())
    broken = draw(st.sampled_from(["birth date", "month", "sex", "before 18", "future birth"]))
    if broken == "birth date":  # no such day: 31 April, 30 February, month 13, day 00
        bad = draw(st.sampled_from(["0431", "0230", "1301", "0100", "0001"]))
        return nip[:4] + bad + nip[8:], "is not a valid date"
    if broken == "month":
        month = draw(st.sampled_from(["00", "13", "99"]))
        return nip[:12] + month + nip[14:], "has no valid month"
    if broken == "sex":
        return nip[:14] + draw(st.sampled_from("03456789")) + nip[15:], "sex digit"
    born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    if broken == "before 18":
        years = draw(st.integers(0, 17))
        year, month = (born.year + years, born.month) if years else (born.year, born.month)
        return f"{nip[:8]}{year:04d}{month:02d}{nip[14:]}", "before the 18th birthday"
    future = TODAY + timedelta(days=draw(st.integers(1, 3000)))
    return f"{future:%Y%m%d}{nip[8:]}", "not plausible"


@PROPERTY
@given(case=pns_layout_violations())
def test_pns_layout_violations_are_refused_and_pppk_takes_any_eighteen_digits(case: tuple[str, str]) -> None:
    nip, problem = case
    problems = nip_problems(nip, EmploymentType.PNS)
    assert any(problem in p for p in problems), (nip, problems)
    assert nip_problems(nip, EmploymentType.PPPK) == []


@PROPERTY
@given(nip=st.text(alphabet="0123456789", min_size=18, max_size=18))
def test_pppk_accepts_any_eighteen_digits(nip: str) -> None:
    assert nip_problems(nip, EmploymentType.PPPK) == []


# ------------------------------------------------------------------ input guards
_keys = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["$where", "$gt", "a.b", ".", "$", "x\x00y", "ok", "nama_lengkap", "év"]),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=25,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict | list):
        children = value.values() if isinstance(value, dict) else value
        return 1 + max((_depth(c) for c in children), default=0)
    return 0


def _unsafe_somewhere(value: Any) -> bool:
    if isinstance(value, dict):
        return any(
            k.startswith("$") or "." in k or "\x00" in k or _unsafe_somewhere(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_unsafe_somewhere(v) for v in value)
    return False


@PROPERTY
@given(body=_json)
def test_keys_mongodb_would_interpret_are_refused_at_any_depth(body: Any) -> None:
    if _depth(body) > MAX_JSON_DEPTH:
        with pytest.raises(BadRequest):
            reject_unsafe_keys(body)
    elif _unsafe_somewhere(body):
        with pytest.raises(BadRequest) as refused:
            reject_unsafe_keys(body)
        assert refused.value.problem_slug == "unsafe-key"
    else:
        reject_unsafe_keys(body)


@PROPERTY
@given(body=_json, path=st.lists(st.sampled_from(["data", "0", "x"]), min_size=1, max_size=4))
def test_one_unsafe_key_deep_inside_is_enough(body: Any, path: list[str]) -> None:
    nested: Any = {"$set": body}
    for step in reversed(path):
        nested = [nested] if step == "0" else {step: nested}
    with pytest.raises(BadRequest):
        reject_unsafe_keys(nested)


@PROPERTY
@given(depth=st.integers(0, 200), leaf=st.sampled_from([1, "x", None]), as_object=st.booleans())
def test_bodies_nested_deeper_than_the_limit_are_refused_without_recursion(
    depth: int, leaf: Any, as_object: bool
) -> None:
    body: Any = leaf
    for _ in range(depth):
        body = {"a": body} if as_object else [body]
    if depth <= MAX_JSON_DEPTH:
        reject_unsafe_keys(body)
    else:
        with pytest.raises(BadRequest) as refused:
            reject_unsafe_keys(body)
        assert refused.value.problem_slug == "too-deep"


def test_a_body_nested_far_beyond_the_recursion_limit_is_refused_not_crashed_on() -> None:
    body: Any = {"$gt": 1}
    for _ in range(100_000):
        body = [body]
    with pytest.raises(BadRequest) as refused:
        reject_unsafe_keys(body)
    assert refused.value.problem_slug == "too-deep"


_padding = st.text(alphabet=" \t\n\r", max_size=3)
_word = st.characters(categories=["L", "N", "P"])


@st.composite
def texts(draw: st.DrawFn, limit: int) -> str:
    """Text around ``limit`` (stripped length), padded with whitespace that does not count."""
    size = draw(st.one_of(st.integers(0, 4), st.integers(limit - 2, limit + 2)))
    body = draw(st.text(alphabet=_word, min_size=size, max_size=size)) if size < 50 else "a" * size
    return draw(_padding) + body + draw(_padding)


@pytest.mark.parametrize(("kind", "low", "high"), [(Text, 1, 4000), (Reason, 3, 1000)])
@PROPERTY
@given(data=st.data())
def test_text_limits_count_after_stripping(kind: Any, low: int, high: int, data: st.DataObject) -> None:
    value = data.draw(texts(high))
    adapter = pydantic.TypeAdapter(kind)
    if low <= len(value.strip()) <= high:
        assert adapter.validate_python(value) == value.strip()
    else:
        with pytest.raises(pydantic.ValidationError):
            adapter.validate_python(value)


@PROPERTY
@given(
    ratings=st.dictionaries(
        st.one_of(st.text(alphabet="abc_", min_size=1, max_size=8), st.text(min_size=60, max_size=70)),
        st.integers(1, 5),
        max_size=55,
    )
)
def test_ratings_take_one_to_fifty_criteria_with_short_ids(ratings: dict[str, int]) -> None:
    fits = 1 <= len(ratings) <= 50 and all(len(k) <= 64 for k in ratings)
    bodies = [
        (FeedbackCreate, {"source": "peer", "ratings": ratings}),
        (CitizenFeedbackCreate, {"cycle_id": "marelan-2026", "unit_id": "dinkes", "ratings": ratings}),
    ]
    for model, body in bodies:
        if fits:
            assert dict(model.model_validate(body).ratings) == ratings
        else:
            with pytest.raises(pydantic.ValidationError):
                model.model_validate(body)
