"""Build the plugin manager and the rubric registry, once, at start-up.

Built-in rubrics and installed ones load the same way: through the ``kinerja`` entry-point group
(the built-ins are listed in pyproject.toml). Anything ambiguous stops start-up with
:class:`PluginConflict`: two plugins under one name, two rubrics with one id, two rubrics
claiming one region, or no national default. ``check_pending`` makes a misspelt hook fail too.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pluggy

from shared.plugins import hookspecs
from shared.plugins.markers import PROJECT
from shared.plugins.model import RubricResult, RubricSpec, ScoringInputs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = PROJECT

BUILTIN_RUBRICS: Mapping[str, str] = MappingProxyType(
    {
        "national": "shared.rubrics.national",
        "marelan": "shared.rubrics.marelan",
        "plaju": "shared.rubrics.plaju",
        "asemrowo": "shared.rubrics.asemrowo",
        "siulak": "shared.rubrics.siulak",
    }
)
"""Entry-point name -> module of each built-in rubric; the same lines are in pyproject.toml."""


class PluginConflict(RuntimeError):
    """Plugins that cannot be loaded together; raised at start-up, never while scoring."""


def build_plugin_manager(
    *,
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
    plugins: Iterable[tuple[str, object]] = (),
) -> pluggy.PluginManager:
    """A plugin manager with the hookspecs, every ``kinerja`` entry point, and ``plugins``.

    :param entry_points: the entry points to load; None discovers the installed ones. Built-ins
        whose entry point is missing (a source tree that was never pip-installed) are then
        registered from :data:`BUILTIN_RUBRICS` under the same name.
    :param plugins: extra ``(name, plugin)`` pairs, e.g. a rubric under test.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    discovered = entry_points is None
    if entry_points is None:
        entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    for ep in _unique(entry_points):
        _register(pm, ep.name, ep.load(), f"entry point {ep.value}")
    if discovered:
        for name, module in BUILTIN_RUBRICS.items():
            if not pm.has_plugin(name):
                _register(pm, name, importlib.import_module(module), f"built-in {module}")
    for name, plugin in plugins:
        _register(pm, name, plugin, "argument")
    pm.check_pending()
    return pm


def _unique(eps: Iterable[importlib.metadata.EntryPoint]) -> list[importlib.metadata.EntryPoint]:
    """Drop exact repeats (one distribution seen twice on sys.path); keep clashes for _register."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for ep in sorted(eps, key=lambda e: (e.name, e.value)):
        if (ep.name, ep.value) not in seen:
            seen.add((ep.name, ep.value))
            unique.append(ep)
    return unique


def _register(pm: pluggy.PluginManager, name: str, plugin: object, origin: str) -> None:
    existing = pm.get_plugin(name)
    if existing is not None:
        raise PluginConflict(
            f"two plugins are registered as {name!r}: {_describe(existing)} and {origin}; "
            "uninstall one or rename its entry point"
        )
    if pm.is_registered(plugin):
        raise PluginConflict(f"{origin} registers {_describe(plugin)} a second time, as {name!r}")
    pm.register(plugin, name=name)


def _describe(plugin: object) -> str:
    return str(getattr(plugin, "__name__", type(plugin).__name__))


@dataclass(frozen=True)
class RubricRegistry:
    """The rubrics of all plugins, by id and by region, and the way to call each one."""

    pm: pluggy.PluginManager
    specs: Mapping[str, RubricSpec]
    regions: Mapping[str, str]
    default_id: str
    _scorers: Mapping[str, pluggy.HookCaller]

    def describe(self) -> list[str]:
        """One line per rubric: ``<id> <version> (<plugin>) for <regions>``, the default marked."""
        plugins = {spec_id: name for name, spec_id in self._plugin_names().items()}
        lines = []
        for rubric_id, spec in sorted(self.specs.items()):
            regions = ", ".join(sorted(r for r, rid in self.regions.items() if rid == rubric_id))
            default = " [default for other regions]" if rubric_id == self.default_id else ""
            lines.append(
                f"{rubric_id} {spec.version} ({plugins.get(rubric_id, '?')}) for {regions or '-'}{default}"
            )
        return lines

    def _plugin_names(self) -> dict[str, str]:
        """Plugin name -> the rubric id it declares."""
        found = {}
        for name, plugin in self.pm.list_name_plugin():
            impl = getattr(plugin, "rubric_spec", None)
            spec = impl() if impl is not None else None
            if spec is not None:
                found[name] = spec.rubric_id
        return found

    def spec(self, rubric_id: str) -> RubricSpec:
        """The spec of ``rubric_id``; KeyError if no plugin declares it."""
        return self.specs[rubric_id]

    def for_region(self, region: str) -> RubricSpec:
        """The rubric a region scores with: its own, else the national default."""
        return self.specs[self.regions.get(region, self.default_id)]

    def score(self, spec: RubricSpec, inputs: ScoringInputs) -> RubricResult:
        """Call ``rubric_score`` on the plugin that declared ``spec`` (and only on it)."""
        result = self._scorers[spec.rubric_id](spec=spec, inputs=inputs)
        if not isinstance(result, RubricResult):
            raise TypeError(f"rubric {spec.rubric_id} returned {type(result).__name__}, not RubricResult")
        return result


def load_rubrics(pm: pluggy.PluginManager) -> RubricRegistry:
    """Collect every plugin's :func:`~shared.plugins.hookspecs.rubric_spec` and check they fit together."""
    specs: dict[str, RubricSpec] = {}
    owners: dict[str, str] = {}
    regions: dict[str, str] = {}
    scorers: dict[str, pluggy.HookCaller] = {}
    scoring_plugins = {impl.plugin for impl in pm.hook.rubric_score.get_hookimpls()}
    for impl in sorted(pm.hook.rubric_spec.get_hookimpls(), key=lambda i: i.plugin_name):
        spec = impl.function()
        if spec is None:
            continue
        if not isinstance(spec, RubricSpec):
            raise PluginConflict(f"plugin {impl.plugin_name!r}: rubric_spec returned {type(spec).__name__}")
        rid = spec.rubric_id
        if rid in specs:
            raise PluginConflict(
                f"rubric id {rid!r} is declared by both {owners[rid]!r} and {impl.plugin_name!r}"
            )
        if impl.plugin not in scoring_plugins:
            raise PluginConflict(f"plugin {impl.plugin_name!r} declares rubric {rid!r} but no rubric_score")
        for region in spec.regions:
            if region in regions:
                raise PluginConflict(
                    f"region {region!r} is claimed by rubric {regions[region]!r} and rubric {rid!r}"
                )
            regions[region] = rid
        specs[rid], owners[rid] = spec, impl.plugin_name
        others = [p for p in pm.get_plugins() if p is not impl.plugin]
        scorers[rid] = pm.subset_hook_caller("rubric_score", remove_plugins=others)
    defaults = sorted(rid for rid, spec in specs.items() if spec.default)
    if len(defaults) != 1:
        raise PluginConflict(f"exactly one rubric must be the national default, found {defaults or 'none'}")
    return RubricRegistry(
        pm=pm,
        specs=MappingProxyType(specs),
        regions=MappingProxyType(regions),
        default_id=defaults[0],
        _scorers=MappingProxyType(scorers),
    )


def build_registry(
    *,
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
    plugins: Iterable[tuple[str, object]] = (),
) -> RubricRegistry:
    """:func:`build_plugin_manager` then :func:`load_rubrics`: what a service calls at start-up.

    Logs one INFO line, ``rubrics loaded``, naming each rubric with its version, plugin and regions:
    how an operator confirms that a running service picked up an installed plugin."""
    registry = load_rubrics(build_plugin_manager(entry_points=entry_points, plugins=plugins))
    log.info("rubrics loaded", extra={"rubrics": registry.describe()})
    return registry
