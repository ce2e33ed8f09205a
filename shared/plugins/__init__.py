"""The plugin system: hook markers and the models a rubric works with.

A rubric is a module with :func:`hookimpl`-decorated functions named after the hooks in
:mod:`shared.plugins.hookspecs`, registered under the ``kinerja`` entry-point group. See
docs/plugins.md; :mod:`shared.plugins.manager` builds the plugin manager and
:mod:`shared.plugins.conformance` checks a rubric.
"""

from __future__ import annotations

from shared.plugins.markers import hookimpl, hookspec
from shared.plugins.model import (
    Component,
    Criterion,
    IndicatorOutcome,
    RatingScale,
    RubricResult,
    RubricSpec,
    ScoringInputs,
)

__all__ = [
    "Component",
    "Criterion",
    "IndicatorOutcome",
    "RatingScale",
    "RubricResult",
    "RubricSpec",
    "ScoringInputs",
    "hookimpl",
    "hookspec",
]
