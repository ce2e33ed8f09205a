"""deploy/compose.yaml: valid against the compose-spec, and consistent with itself and the code."""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.web.config import WebSettings
from shared.settings import Settings
from tests.deploy.support import (
    COMPOSE,
    DEPLOY,
    ROOT,
    SERVICE_VARS,
    TOPICS_SCRIPT,
    WEB,
    WEB_VARS,
    env_file,
    interpolate,
    load_yaml,
)
from tools.services import SERVICES

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


def test_web_runs_from_the_same_image_as_the_services(compose: dict[str, Any]) -> None:
    web, feedback = compose["services"][WEB], compose["services"]["feedback"]
    assert web["command"] == ["python", "-m", "services.web"]
    for key in ("build", "image", "read_only", "tmpfs", "security_opt", "cap_drop", "networks", "restart"):
        assert web[key] == feedback[key], key
    # Liveness: readiness asks the four services, whose outage must not mark the web unhealthy.
    assert "/health/live" in " ".join(web["healthcheck"]["test"])
    assert web["ports"] == ["${KINERJA_PUBLISH_ADDRESS:-127.0.0.1}:${KINERJA_WEB_PUBLISHED_PORT:-8085}:8080"]
    assert web["depends_on"] == {name: {"condition": "service_healthy"} for name in SERVICES}


def test_web_environment_reaches_the_services_and_keeps_its_secrets(compose: dict[str, Any]) -> None:
    services = compose["services"]
    env = services[WEB]["environment"]
    assert set(env) - WEB_VARS == set(), "the web reads no such variable"
    # No Kafka, no database, no submission secret: the web has none of them.
    assert not {"KINERJA_MONGO_URL", "KINERJA_SUBMISSION_SECRET", "KINERJA_KAFKA_BOOTSTRAP"} & set(env)
    assert env["KINERJA_WEB_HTTP_HOST"] == "0.0.0.0"
    assert env["KINERJA_WEB_PORT"] == "8080"
    for name in SERVICES:
        assert (
            env[f"KINERJA_WEB_{name.upper()}_URL"]
            == f"http://{name}:{services[name]['environment']['KINERJA_HTTP_PORT']}"
        )
    # The tokens it signs are the services' own: the same secret and issuer.
    for key in ("KINERJA_JWT_SECRET", "KINERJA_JWT_ISSUER"):
        assert env[key] == services["feedback"]["environment"][key], key
    for required in ("KINERJA_WEB_SESSION_SECRET", "KINERJA_WEB_OIDC_ISSUER", "KINERJA_WEB_PUBLIC_URL"):
        assert env[required].startswith(f"${{{required}:?"), f"{required} must come from deploy/.env"
    assert interpolate(env["KINERJA_WEB_COOKIE_SECURE"], {}) == "true"
    sign_in = {"KINERJA_WEB_OIDC_CLIENT_ID", "KINERJA_WEB_OIDC_CLIENT_SECRET", "KINERJA_WEB_CLAIM_ROLE"}
    assert sign_in <= set(env)


def trusted_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks a KINERJA_TRUSTED_PROXIES-style value names, as the services parse it."""
    return [ipaddress.ip_network(item) for item in Settings(trusted_proxies=value).forwarded_allow_ips()]


@pytest.mark.parametrize(
    "env",
    [{}, env_file(DEPLOY / "env.example"), {"KINERJA_COMPOSE_SUBNET": "10.99.7.0/24"}],
    ids=["defaults", "env.example", "another-subnet"],
)
def test_feedback_and_the_web_believe_the_compose_network(
    compose: dict[str, Any], env: dict[str, str]
) -> None:
    # The web forwards each citizen's address to feedback, whose citizen rate limit counts it: feedback
    # must believe the web's X-Forwarded-For, and the web a reverse proxy on the host (which reaches
    # the published ports from the network's gateway).
    (ipam,) = compose["networks"]["kinerja"]["ipam"]["config"]
    network = ipaddress.ip_network(interpolate(ipam["subnet"], env))
    assert network.is_private
    for service, key in (("feedback", "KINERJA_TRUSTED_PROXIES"), (WEB, "KINERJA_WEB_TRUSTED_PROXIES")):
        value = interpolate(compose["services"][service]["environment"][key], env)
        ends = (network.network_address, network.broadcast_address)
        believed = [trusted for trusted in trusted_networks(value) if all(end in trusted for end in ends)]
        assert believed, f"{service} does not believe {network}: {key}={value}"
    extra = {**env, "KINERJA_TRUSTED_PROXIES": "192.0.2.10"}
    value = interpolate(compose["services"]["feedback"]["environment"]["KINERJA_TRUSTED_PROXIES"], extra)
    assert ipaddress.ip_network("192.0.2.10/32") in trusted_networks(value)


def test_interpolation_follows_compose() -> None:
    assert interpolate("${A:-${B:-x}},${C:-}", {}) == "x,"
    assert interpolate("${A:-${B:-x}}", {"B": "b"}) == "b"
    assert interpolate("a${A}b", {"A": "1"}) == "a1b"
    with pytest.raises(ValueError, match="S is required"):
        interpolate("${S:?set it}", {})


def test_web_settings_parse_from_compose_and_env_example(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        **env_file(DEPLOY / "env.example"),
        "KINERJA_JWT_SECRET": "0123456789abcdef" * 4,
        "KINERJA_WEB_SESSION_SECRET": "fedcba9876543210" * 4,
        "KINERJA_WEB_OIDC_ISSUER": "https://sso.example.go.id/realms/asn",
        "KINERJA_WEB_PUBLIC_URL": "https://kinerja.example.go.id",
    }
    for key, value in compose["services"][WEB]["environment"].items():
        monkeypatch.setenv(key, interpolate(value, env))
    settings = WebSettings()
    assert settings.secret_problem() is None
    assert settings.cookie_secure is True
    assert settings.port == 8080
    assert settings.claim_role == "groups[role:]"
    assert settings.base_url() == "https://kinerja.example.go.id"
