"""docs/deployment.md, docs/scale-out.md and docs/configuration.md describe what the files and the
settings really contain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.events.registry import TOPICS
from tests.deploy.support import (
    COMPOSE,
    K8S,
    ROOT,
    SERVICE_VARS,
    TOPICS_SCRIPT,
    WEB_VARS,
    manifest_files,
)
from tools.services import SERVICES

DOCS = ROOT / "docs"
DEPLOYMENT = DOCS / "deployment.md"
SCALE_OUT = DOCS / "scale-out.md"
CONFIGURATION = DOCS / "configuration.md"


def variables_in(path: Path) -> set[str]:
    return set(re.findall(r"\b(KINERJA_[A-Z0-9_]+)", path.read_text(encoding="utf-8")))


def test_deployment_guide_names_every_variable() -> None:
    documented = variables_in(DEPLOYMENT)
    # Every service and web setting, every knob of the topic script, every variable compose reads.
    wanted = SERVICE_VARS | WEB_VARS | variables_in(TOPICS_SCRIPT) | variables_in(COMPOSE)
    assert wanted - documented == set()


def test_deployment_guide_names_no_variable_that_does_not_exist() -> None:
    known = SERVICE_VARS | WEB_VARS | variables_in(TOPICS_SCRIPT) | variables_in(COMPOSE)
    assert variables_in(DEPLOYMENT) - known == set()


def test_topics_and_consumer_groups_are_documented() -> None:
    deployment = DEPLOYMENT.read_text(encoding="utf-8")
    scale_out = SCALE_OUT.read_text(encoding="utf-8")
    assert [topic for topic in TOPICS if f"`{topic}`" not in deployment] == []
    assert [s for s in SERVICES if f"`kinerja-{s}`" not in scale_out] == []
    assert "make run" in scale_out


@pytest.mark.parametrize("path", [DEPLOYMENT, SCALE_OUT], ids=lambda p: p.name)
def test_relative_links_resolve(path: Path) -> None:
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    assert targets, "expected links to the other documents"
    assert [t for t in targets if not (path.parent / t).exists()] == []


def test_configuration_reference_documents_every_web_setting() -> None:
    # services/web/config.py's WebSettings, each in a table row of its own.
    rows = {
        line.split("|")[1].strip()
        for line in CONFIGURATION.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `KINERJA_")
    }
    assert {f"`{name}`" for name in WEB_VARS if name.startswith("KINERJA_WEB_")} - rows == set()


def test_deployment_guide_describes_the_web_and_every_manifest() -> None:
    text = DEPLOYMENT.read_text(encoding="utf-8")
    assert "`python -m services.web`" in text
    # The Kubernetes table names each file of deploy/k8s, the web's and the Ingress's included.
    for path in [*manifest_files(), K8S / "web.yaml", K8S / "ingress.yaml"]:
        assert f"`{path.name}`" in text, path.name
    assert "`kinerja-web`" in text
