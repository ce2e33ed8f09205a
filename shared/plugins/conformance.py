"""Conformance kit: the checks a region runs against its own rubric plugin before shipping it.

::

    from shared.plugins.conformance import assert_rubric_conforms
    import kinerja_rubric_contoh

    def test_rubric_conforms() -> None:
        assert_rubric_conforms(kinerja_rubric_contoh)

:func:`check_rubric` returns the problems as text instead, e.g. to print them all.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping

import pluggy

from shared.events.feedback import Aspect, Direction, ResultKind, Source
from shared.plugins import hookspecs
from shared.plugins.markers import PROJECT
from shared.plugins.model import Component, IndicatorOutcome, RubricResult, RubricSpec, ScoringInputs

NIP = "198503122010011002"
EXPECTED_BAND = (37.5, 62.5)
"""Where 'as expected' inputs must index: the national 'sesuai ekspektasi' band of the core."""

__all__ = ["assert_rubric_conforms", "check_rubric", "sample_inputs"]


def _indicators(higher: float | None, lower: float | None) -> tuple[IndicatorOutcome, ...]:
    def make(
        iid: str, kind: ResultKind, direction: Direction, target: float, value: float | None
    ) -> IndicatorOutcome:
        return IndicatorOutcome("rhk-1", kind, iid, iid, Aspect.QUANTITY, direction, target, None, value)

    return (
        make("iki-naik", ResultKind.MAIN, Direction.HIGHER_IS_BETTER, 100.0, higher),
        make("iki-turun", ResultKind.MAIN, Direction.LOWER_IS_BETTER, 10.0, lower),
        make("iki-tambahan", ResultKind.ADDITIONAL, Direction.HIGHER_IS_BETTER, 4.0, higher and higher / 25),
    )


def _rated(spec: RubricSpec, value: float, service_role: bool) -> dict[Source, dict[str, float]]:
    feedback: dict[Source, dict[str, float]] = {}
    for criterion in spec.criteria:
        if criterion.service_role_only and not service_role:
            continue
        for source in sorted(criterion.sources):
            feedback.setdefault(source, {})[criterion.criterion_id] = value
    return feedback


def sample_inputs(spec: RubricSpec) -> dict[str, ScoringInputs]:
    """Inputs every rubric must handle: nothing at all, all lowest, as expected, all highest..."""
    scale = spec.scale

    def inputs(indicators: tuple[IndicatorOutcome, ...], value: float | None, service: bool) -> ScoringInputs:
        feedback = {} if value is None else _rated(spec, value, service)
        return ScoringInputs(
            cycle_id="conformance",
            nip=NIP,
            unit_id="unit",
            service_role=service,
            indicators=indicators,
            feedback=feedback,
            raters={source: 3 for source in feedback},
        )

    return {
        "empty": inputs((), None, False),
        "unreported": inputs(_indicators(None, None), None, True),
        "lowest": inputs(_indicators(0.0, 40.0), scale.low, True),
        "as_expected": inputs(_indicators(100.0, 10.0), scale.meets, True),
        "highest": inputs(_indicators(200.0, 1.0), scale.high, True),
        "not_service_role": inputs(_indicators(100.0, 10.0), scale.meets, False),
    }


def _reordered(inputs: ScoringInputs) -> ScoringInputs:
    feedback = {s: dict(reversed(list(c.items()))) for s, c in reversed(list(inputs.feedback.items()))}
    return ScoringInputs(
        cycle_id=inputs.cycle_id,
        nip=inputs.nip,
        unit_id=inputs.unit_id,
        service_role=inputs.service_role,
        indicators=tuple(reversed(inputs.indicators)),
        feedback=feedback,
        raters=dict(reversed(list(inputs.raters.items()))),
    )


def _result_problems(label: str, spec: RubricSpec, result: object) -> list[str]:
    if not isinstance(result, RubricResult):
        return [f"{label}: rubric_score returned {type(result).__name__}, not RubricResult"]
    problems = []
    for name in ("results_score", "behaviour_score"):
        value = getattr(result, name)
        if value is not None and not (math.isfinite(value) and 0 <= value <= 100):
            problems.append(f"{label}: {name} {value!r} is not within 0-100")
    known = {c.criterion_id for c in spec.criteria}
    for cid, value in result.criteria.items():
        if cid not in known:
            problems.append(f"{label}: criteria has {cid!r}, which the spec does not declare")
        if not (math.isfinite(value) and 0 <= value <= 100):
            problems.append(f"{label}: criterion {cid} index {value!r} is not within 0-100")
    return problems


def _spec_problems(spec: RubricSpec) -> list[str]:
    problems = []
    if not spec.regions and not spec.default:
        problems.append("spec declares no region: no employee would ever be scored with it")
    if not spec.criteria:
        problems.append("spec declares no criteria: feedback forms would be empty")
    if not any(c.component is Component.BEHAVIOUR for c in spec.criteria):
        problems.append("no behaviour criterion: Rating Perilaku Kerja needs one (PermenPANRB 6/2022)")
    return problems


def _as_expected(result: RubricResult) -> list[str]:
    """The index convention: inputs exactly as expected must land in the 'sesuai' band."""
    problems = []
    for name in ("results_score", "behaviour_score"):
        value = getattr(result, name)
        if value is not None and not EXPECTED_BAND[0] <= value < EXPECTED_BAND[1]:
            problems.append(
                f"as_expected: {name} {value:.2f} is outside {EXPECTED_BAND}: targets met exactly and "
                "ratings at the scale's 'meets' must index near 50"
            )
    return problems


def check_rubric(plugin: object, name: str = "rubric-under-test") -> list[str]:
    """Every way ``plugin`` fails the rubric contract, as readable sentences; empty if none."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except (ValueError, pluggy.PluginValidationError) as exc:
        return [f"cannot be registered: {exc}"]
    spec_impls = pm.hook.rubric_spec.get_hookimpls()
    if not spec_impls:
        return ["implements no rubric_spec hook"]
    if not pm.hook.rubric_score.get_hookimpls():
        return ["implements no rubric_score hook"]
    try:
        spec = spec_impls[0].function()
    except Exception as exc:
        return [f"rubric_spec raised {exc!r}"]
    if not isinstance(spec, RubricSpec):
        return [f"rubric_spec returned {type(spec).__name__}, not RubricSpec"]
    if spec_impls[0].function() != spec:
        return ["rubric_spec returns a different spec each time"]
    problems = _spec_problems(spec)
    call: Callable[[ScoringInputs], object] = lambda inputs: pm.hook.rubric_score(spec=spec, inputs=inputs)  # noqa: E731
    results: dict[str, RubricResult] = {}
    for label, inputs in sample_inputs(spec).items():
        try:
            result, again = call(inputs), call(_reordered(inputs))
        except Exception as exc:
            problems.append(f"{label}: rubric_score raised {exc!r}")
            continue
        found = _result_problems(label, spec, result)
        problems.extend(found)
        if found or not isinstance(result, RubricResult):
            continue
        results[label] = result
        if not _same(result, again):
            problems.append(f"{label}: the result depends on the order of the inputs")
    problems.extend(_monotonic(results))
    if "as_expected" in results:
        problems.extend(_as_expected(results["as_expected"]))
    return problems


def _same(a: object, b: object) -> bool:
    if not isinstance(a, RubricResult) or not isinstance(b, RubricResult):
        return False
    return (
        _close(a.results_score, b.results_score)
        and _close(a.behaviour_score, b.behaviour_score)
        and a.criteria.keys() == b.criteria.keys()
        and all(_close(v, b.criteria[k]) for k, v in a.criteria.items())
    )


def _close(a: float | None, b: float | None) -> bool:
    return a == b or (a is not None and b is not None and math.isclose(a, b, abs_tol=1e-9))


def _monotonic(results: Mapping[str, RubricResult]) -> list[str]:
    """Better inputs must never score worse."""
    problems = []
    chain = [label for label in ("lowest", "as_expected", "highest") if label in results]
    for worse, better in itertools.pairwise(chain):
        for name in ("results_score", "behaviour_score"):
            low, high = getattr(results[worse], name), getattr(results[better], name)
            if low is not None and high is not None and high < low:
                problems.append(f"{name}: '{better}' inputs score {high:.2f}, below '{worse}' ({low:.2f})")
    return problems


def assert_rubric_conforms(plugin: object) -> None:
    """Fail (AssertionError listing every problem) unless ``plugin`` passes :func:`check_rubric`."""
    problems = check_rubric(plugin)
    assert not problems, "rubric does not conform:\n- " + "\n- ".join(problems)
