"""An external rubric package is installed and scored with, as a region would ship one.

The package (tests/plugins/example_rubric) is installed into a temporary directory the way an
installer lays it out: its modules plus a ``.dist-info`` whose ``entry_points.txt`` comes from
its pyproject.toml. Putting that directory on sys.path makes the ``kinerja`` entry point visible
to importlib.metadata, which is how the manager finds installed rubrics. (pip itself is not used:
the test must run offline, and this environment's setuptools cannot build wheels without the
``wheel`` package.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.scoring.domain import (
    AchievementInput,
    CycleInputs,
    FeedbackInput,
    PlanInput,
    RaterStats,
    compute_score,
)
from shared.events.feedback import Aspect, Direction, ResultKind, Source
from shared.events.scoring import Predicate
from shared.plugins.manager import build_registry
from shared.plugins.model import IndicatorOutcome

EXAMPLE = Path(__file__).resolve().parent / "example_rubric"
ROOT = Path(__file__).resolve().parents[2]


def install(source: Path, target: Path) -> None:
    """Lay out ``source`` in ``target`` as an installer would: packages and dist-info."""
    project = tomllib.loads((source / "pyproject.toml").read_text())
    meta = project["project"]
    for package in project["tool"]["setuptools"]["packages"]:
        shutil.copytree(source / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    dist_info = target / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n"
    )
    lines = [
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items())
        for group, entries in meta["entry-points"].items()
    ]
    (dist_info / "entry_points.txt").write_text("\n".join(lines))
    (dist_info / "INSTALLER").write_text("tests/plugins\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    target = tmp_path_factory.mktemp("site")
    install(EXAMPLE, target)
    yield target


@pytest.fixture()
def installed(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "kinerja_example_rubric", raising=False)
    return site


def test_installed_rubric_is_found_through_its_entry_point_and_scores(installed: Path) -> None:
    assert (installed / "kinerja_example_rubric" / "__init__.py").exists()
    registry = build_registry()
    spec = registry.for_region("sabang")
    assert (spec.rubric_id, spec.version) == ("sabang", "1.0.0")
    assert registry.pm.get_plugin("sabang").__file__.startswith(str(installed))  # type: ignore[union-attr]
    # The built-ins are still there: installing a rubric adds, it does not replace.
    assert {"national", "marelan", "plaju", "asemrowo", "siulak", "sabang"} == set(registry.specs)

    nip = "198503122010011002"
    feedback = (
        FeedbackInput(
            "e1", "s1", 1, Source.SUPERVISOR, "197801012005011001", nip, "sabang", {"pelayanan_publik": 4}
        ),
        *(
            FeedbackInput(f"c{i}", f"c{i}", 1, Source.CITIZEN, None, nip, "sabang", {"pelayanan_publik": 5})
            for i in range(3)
        ),
    )
    indicator = IndicatorOutcome(
        "rhk-1",
        ResultKind.MAIN,
        "izin",
        "Izin terbit",
        Aspect.QUANTITY,
        Direction.HIGHER_IS_BETTER,
        200,
        None,
        None,
    )
    inputs = CycleInputs(
        "sabang-2026",
        nip,
        "dpmptsp",
        plan=PlanInput("plan-evt", "plan-1", (indicator,)),
        achievements=(AchievementInput("ach", 1, {"izin": 230.0}),),
        feedback=feedback,
    )
    score = compute_score(inputs, spec, registry.score, RaterStats())
    # results: 230 / 200 = 1.15, capped at the example's 1.1 -> 100
    # pelayanan_publik: (.6 x 4 + .2 x 5) / .8 = 4.25 -> 50 + 25 x 1.25 = 81.25; kerja_sama unrated
    assert (score.results_score, score.behaviour_score) == (100.0, 81.25)
    assert score.predicate is Predicate.SANGAT_BAIK
    assert score.rubric_id == "sabang"


def test_installed_rubric_passes_its_own_tests(installed: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), str(ROOT)])}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(EXAMPLE),
            EXAMPLE / "tests",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=EXAMPLE,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
