"""``kinerja plugins list|validate``: the installed rubrics, and the conformance kit on one plugin."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from shared.plugins.conformance import check_rubric
from shared.plugins.manager import BUILTIN_RUBRICS, ENTRY_POINT_GROUP, PluginConflict, build_registry
from shared.plugins.model import RubricSpec
from tools.cli.base import EXIT_PROBLEMS, fail

app = typer.Typer(help="Rubric plugins: what is installed, and whether one keeps the rubric contract.")


def describe_spec(spec: RubricSpec, regions: list[str]) -> dict[str, Any]:
    """What ``plugins list`` reports about one rubric, as plain data (also its ``--json`` form)."""
    return {
        "rubric_id": spec.rubric_id,
        "version": spec.version,
        "title": spec.title,
        "default": spec.default,
        "regions": regions,
        "criteria": [
            {"criterion_id": c.criterion_id, "component": c.component.value, "label": c.label_en}
            for c in spec.criteria
        ],
    }


@app.command("list")
def list_plugins(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Every rubric the services would load: id, version, regions and criteria."""
    try:
        registry = build_registry()
    except PluginConflict as exc:
        # The services would refuse to start with the same message; say it before they do.
        fail(f"the installed plugins conflict: {exc}", EXIT_PROBLEMS)
    rubrics = [
        describe_spec(spec, sorted(r for r, rid in registry.regions.items() if rid == spec.rubric_id))
        for _, spec in sorted(registry.specs.items())
    ]
    if as_json:
        typer.echo(json.dumps(rubrics, indent=2))
        return
    for rubric in rubrics:
        regions = ", ".join(rubric["regions"]) or "-"
        default = " (national default)" if rubric["default"] else ""
        typer.echo(f"{rubric['rubric_id']} {rubric['version']}{default}: {rubric['title']}")
        typer.echo(f"  regions: {regions}")
        criteria = ", ".join(f"{c['criterion_id']} ({c['component']})" for c in rubric["criteria"])
        typer.echo(f"  criteria: {criteria}")


def load_plugin(target: str) -> object:
    """The plugin named by ``target``: a ``.py`` file, a ``kinerja`` entry point, or ``module[:attr]``.

    Raises whatever importing raises; the caller reports it as a problem of the plugin.
    """
    path = Path(target)
    if path.suffix == ".py" and path.is_file():
        name = f"kinerja_cli_validate_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and pydantic look their module up while defining
        spec.loader.exec_module(module)
        return module
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == target:
            return entry_point.load()
    module_name, _, attribute = BUILTIN_RUBRICS.get(target, target).partition(":")
    plugin: object = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        plugin = getattr(plugin, part)
    return plugin


@app.command("validate")
def validate(
    target: Annotated[
        str,
        typer.Argument(
            metavar="MODULE_OR_ENTRYPOINT",
            help="An entry point of the kinerja group (marelan), a module (kinerja_rubric_contoh, "
            "pkg.mod:obj) or a .py file.",
        ),
    ],
) -> None:
    """Run the conformance kit (shared/plugins/conformance.py); exit 1 listing every problem."""
    try:
        plugin = load_plugin(target)
    except Exception as exc:  # any import-time failure is the plugin's problem, reported as such
        typer.echo(f"{target} does not conform:\n- cannot be loaded: {exc!r}")
        raise typer.Exit(EXIT_PROBLEMS) from None
    problems = check_rubric(plugin, name=target)
    if problems:
        typer.echo(f"{target} does not conform:")
        for problem in problems:
            typer.echo(f"- {problem}")
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo(f"{target} conforms to the rubric contract")
