"""Every hook is documented in docs/plugins.md the same way, and the documented examples run.

In the manner of Datasette's tests/test_docs.py: a new hook without its section fails here.
"""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pytest

from shared.plugins import RubricResult, RubricSpec, hookspecs
from shared.plugins.conformance import check_rubric, sample_inputs
from shared.plugins.manager import build_plugin_manager

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
HOOKS = sorted(build_plugin_manager(entry_points=[]).hook.__dict__)


def section(hook: str) -> str:
    text = DOCS.read_text()
    assert f"\n### {hook}(" in text, f"docs/plugins.md has no '### {hook}(...)' section"
    return text.split(f"\n### {hook}(", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def example(hook: str) -> types.ModuleType:
    """The documented example of ``hook``, executed as a plugin module."""
    blocks = re.findall(r"```python\n(.*?)```", section(hook), re.S)
    code = next(block for block in blocks if "@hookimpl" in block)
    module = types.ModuleType(f"documented_{hook}")
    exec(compile(code, str(DOCS), "exec"), module.__dict__)
    return module


def test_hooks_are_found() -> None:
    assert {"rubric_spec", "rubric_score"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_signature_arguments_when_and_example(hook: str) -> None:
    spec = getattr(hookspecs, hook)
    parameters = list(inspect.signature(spec).parameters)
    text = section(hook)
    heading = text.split("\n", 1)[0]
    assert heading == ", ".join(parameters) + ")", f"heading arguments differ from the hookspec: {heading}"
    assert f"def {hook}(" in text, "the section shows the hookspec signature"
    for parameter in parameters:
        assert f"- `{parameter}`" in text, f"argument {parameter} is not described"
        assert f":param {parameter}:" in (inspect.getdoc(spec) or ""), f"hookspec lacks :param {parameter}:"
    assert "**When it fires:**" in text
    assert "@hookimpl" in text, "no runnable example"
    assert inspect.getdoc(spec), "hookspec has no docstring"


def test_rubric_spec_documented_example_returns_a_spec() -> None:
    spec = example("rubric_spec").rubric_spec()
    assert isinstance(spec, RubricSpec)
    assert spec.regions == ("sabang",)


def test_rubric_score_documented_example_scores_sample_inputs() -> None:
    spec = example("rubric_spec").rubric_spec()
    score = example("rubric_score").rubric_score
    result = score(spec=spec, inputs=sample_inputs(spec)["as_expected"])
    assert isinstance(result, RubricResult)
    # targets met exactly and every rating at "meets": the middle of the index
    assert (result.results_score, result.behaviour_score) == pytest.approx((50.0, 50.0))


def test_rubric_spec_and_rubric_score_full_documented_rubric_conforms() -> None:
    text = DOCS.read_text().split("### Writing a rubric", 1)[1].split("\n### ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    module = types.ModuleType("documented_rubric")
    exec(compile(code, str(DOCS), "exec"), module.__dict__)
    assert check_rubric(module) == []
