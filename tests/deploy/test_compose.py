"""deploy/compose.yaml: valid against the compose-spec, and consistent with itself and the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import COMPOSE, DEPLOY, ROOT, SERVICE_VARS, SERVICES, TOPICS_SCRIPT, load_yaml

ONE_SHOT = {"topics"}


def check_schema(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with the compose-spec schema it vendors (no network)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cross_reference_problems(compose: dict[str, Any]) -> list[str]:
    """What the schema cannot see: dangling depends_on, missing health checks."""
    services: dict[str, Any] = compose.get("services", {})
    problems = []
    for name, service in services.items():
        depends = service.get("depends_on", {})
        targets = depends if isinstance(depends, list) else list(depends)
        unknown = [target for target in targets if target not in services]
        problems += [f"{name} depends on unknown service {target}" for target in unknown]
        if isinstance(depends, dict):
            for target, condition in depends.items():
                wanted = "service_completed_successfully" if target in ONE_SHOT else "service_healthy"
                if condition.get("condition") != wanted:
                    problems.append(f"{name} should wait for {target} with {wanted}")
        if name not in ONE_SHOT and "test" not in service.get("healthcheck", {}):
            problems.append(f"{name} has no healthcheck")
    return problems


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = load_yaml(COMPOSE)
    assert isinstance(data, dict)
    return data


def test_compose_file_matches_the_compose_spec() -> None:
    result = check_schema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_compose_file(tmp_path: Path) -> None:
    # An unquoted "a ? b : c" turns into a mapping: the mistake this check caught once already.
    text = COMPOSE.read_text(encoding="utf-8").replace(
        '"quit(db.adminCommand({ping: 1}).ok ? 0 : 1)"', "quit(db.adminCommand({ping:1}).ok ? 0 : 1)"
    )
    broken = tmp_path / "compose.yaml"
    broken.write_text(text, encoding="utf-8")
    assert text != COMPOSE.read_text(encoding="utf-8")
    result = check_schema(broken)
    assert result.returncode != 0
    assert "healthcheck" in result.stdout


def test_cross_references_hold(compose: dict[str, Any]) -> None:
    assert cross_reference_problems(compose) == []


def test_cross_reference_check_finds_dangling_and_unhealthy_services(compose: dict[str, Any]) -> None:
    broken = {"services": {name: dict(service) for name, service in compose["services"].items()}}
    broken["services"]["career"]["depends_on"] = {"zookeeper": {"condition": "service_healthy"}}
    del broken["services"]["scoring"]["healthcheck"]
    assert set(cross_reference_problems(broken)) == {
        "career depends on unknown service zookeeper",
        "scoring has no healthcheck",
    }


@pytest.mark.parametrize("name", SERVICES)
def test_service_runs_from_the_dockerfile_after_the_topic_step(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["command"] == ["python", "-m", f"services.{name}"]
    assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).resolve() == (
        ROOT / "Dockerfile"
    )
    assert service["depends_on"]["topics"] == {"condition": "service_completed_successfully"}
    assert "/health/ready" in " ".join(service["healthcheck"]["test"])
    env = service["environment"]
    assert env["KINERJA_HTTP_PORT"] == "8080"
    assert env["KINERJA_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert "mongo:27017" in env["KINERJA_MONGO_URL"]
    # A secret must come from the operator, never from a default in this file.
    assert env["KINERJA_JWT_SECRET"].startswith("${KINERJA_JWT_SECRET:?")
    assert env["KINERJA_SUBMISSION_SECRET"].startswith("${KINERJA_SUBMISSION_SECRET:?")


def test_service_environment_names_are_settings(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        unknown = set(compose["services"][name]["environment"]) - SERVICE_VARS
        assert unknown == set(), f"{name} sets variables no service reads: {unknown}"
    notify_env = set(compose["services"]["notify"]["environment"])
    assert {"KINERJA_SMTP_HOST", "KINERJA_SMTP_PORT", "KINERJA_SMTP_FROM"} <= notify_env
    assert {"KINERJA_SMTP_USERNAME", "KINERJA_SMTP_PASSWORD"} <= notify_env


def test_topic_step_runs_the_shared_script_in_the_kafka_image(compose: dict[str, Any]) -> None:
    topics = compose["services"]["topics"]
    kafka = compose["services"]["kafka"]
    assert topics["image"] == kafka["image"]
    assert kafka["image"].startswith("apache/kafka:")
    assert compose["services"]["mongo"]["image"] == "mongo:7"
    source, target, _mode = topics["volumes"][0].split(":")
    assert (DEPLOY / source).resolve() == TOPICS_SCRIPT
    assert topics["entrypoint"] == ["/bin/bash", target]
    assert topics["environment"]["KINERJA_TOPIC_REPLICATION"] == "1"
    # Topics come only from the topic step, with their partitions and retention.
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_env_example_covers_every_variable_compose_reads() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    defined = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and line[0] != "#"}
    used = set(re.findall(r"\$\{(KINERJA_[A-Z0-9_]+)", text))
    assert used - defined == set()
