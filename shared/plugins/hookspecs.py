"""Every plugin hook of Kinerja, in one flat module.

Each hook is documented in docs/plugins.md with the same shape (signature, arguments, when it
fires, an example); tests/plugins fail when a hook here lacks that section or a test of its own.
Implement a hook by writing a function of the same name decorated with
:data:`shared.plugins.hookimpl`; argument names must match, but you may take fewer of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.plugins.career import CareerPolicy, Offer
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

    Example::

        @hookimpl
        def rubric_spec():
            return RubricSpec(rubric_id="sabang", version="1.0.0", title="Sabang", regions=("sabang",),
                              criteria=(...), source_weights={Source.SUPERVISOR: 1.0})
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

    Example::

        @hookimpl
        def rubric_score(spec, inputs):
            behaviour = criteria_indices(spec, inputs, Component.BEHAVIOUR)
            return RubricResult(results_score=indicators_index(inputs.indicators, KIND_WEIGHTS).index,
                                behaviour_score=component_index(spec, behaviour), criteria=behaviour)
    """


# ---------------------------------------------------------------- career policies (career service)
# The policy types are in shared.plugins.career, the built-in policies in shared.policies: a
# process that loads every plugin (feedback, scoring) never loads the career service's code.


@hookspec
def career_policy(region: str, national: CareerPolicy) -> CareerPolicy | None:
    """Give a region its career policy: the national one with the region's differences.

    Called when the career service resolves the policy of ``region``
    (:func:`services.career.domain.resolve_policy`), before it computes any recommendation for
    an employee or team of that region. Must be pure and cheap. Every regional difference is
    data in the returned policy: allowance percentages, rewards, the sanction ladder, the streak
    rules (promotion readiness, seminars, scholarships), the team award, the training threshold
    and catalogue. Regions no plugin answers for run on ``national``.

    Not ``firstresult``: every plugin is asked, and two plugins returning a policy for one region
    stop the service with :class:`~shared.plugins.manager.PluginConflict`.

    :param region: region id of the event being handled, e.g. ``"siulak"``.
    :param national: the national defaults (:data:`shared.policies.national.NATIONAL_POLICY`); build
        on them with :func:`dataclasses.replace` so later national changes reach the region.
    :return: the region's policy, or None for a region this plugin does not know.

    Example::

        @hookimpl
        def career_policy(region, national):
            if region != "siulak":
                return None
            return replace(national, name="siulak", allowance_percent={**national.allowance_percent,
                                                                       Predicate.KURANG: 80.0})
    """


@hookspec
def career_training_catalogue(region: str) -> Mapping[str, Offer] | None:
    """Add trainings for rubric criteria or competencies: criterion key -> training offer.

    Called right after :func:`career_policy` for the same region. The entries of every plugin
    are merged into the region's catalogue and replace its entries of the same key, so a rubric
    plugin can ship the trainings for its own criteria. Keys are matched case- and
    separator-insensitively (``"Public Service"`` = ``"public_service"``). Two plugins offering
    different trainings for one key stop the service with ``PluginConflict``.

    :param region: region id, as for :func:`career_policy`.
    :return: entries to add, or None.

    Example::

        @hookimpl
        def career_training_catalogue(region):
            return {"literasi_digital": Offer("literasi_digital", "Pelatihan literasi digital",
                                              RecommendationKind.TRAINING)}
    """
