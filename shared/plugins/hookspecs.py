"""Every plugin hook of Kinerja, in one flat module.

Each hook is documented in docs/plugins.md with the same shape (signature, arguments, when it
fires, an example); tests/plugins fail when a hook here lacks that section or a test of its own.
Implement a hook by writing a function of the same name decorated with
:data:`shared.plugins.hookimpl`; argument names must match, but you may take fewer of them.
"""

from __future__ import annotations

from shared.plugins.markers import hookspec
from shared.plugins.model import RubricResult, RubricSpec, ScoringInputs

# ---------------------------------------------------------------- rubrics (scoring service)


@hookspec
def rubric_spec() -> RubricSpec | None:
    """Declare the rubric this plugin provides: criteria, scale, sources, weights and regions.

    Called once per plugin when the plugin manager is built, before any scoring. A plugin
    provides at most one rubric; return None from a plugin that provides none. Rubric ids and
    region ids must be unique across all plugins: a clash stops start-up.

    :return: the rubric's spec, or None.
    """


@hookspec(firstresult=True)
def rubric_score(spec: RubricSpec, inputs: ScoringInputs) -> RubricResult | None:
    """Turn one employee's cycle inputs into a results index and a behaviour index (0-100).

    Called each time a score of an employee whose region uses this rubric is computed
    (provisional scores after each input, final scores at cycle close), and only on the plugin
    that declared ``spec``. Must be pure and cheap: no I/O, same result for the same inputs.
    The core then applies the national rules: ratings, predicate matrix, distribution curve.

    ``firstresult``: the first non-None result is used.

    :param spec: the spec this plugin returned from :func:`rubric_spec`.
    :param inputs: the employee's indicators with realised values and the feedback per source
        and criterion, after bias correction, outlier handling and the minimum-raters rule.
    :return: the rubric's result.
    """


# ---------------------------------------------------------------- career policies (career service)
# The career service adds its policy hooks below this line.
