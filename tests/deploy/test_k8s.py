"""deploy/k8s: valid against the Kubernetes schemas (offline), and safe to run.

kubernetes-validate ships the OpenAPI schemas of each Kubernetes release; strict mode rejects
unknown fields, so a misspelt key fails here instead of being dropped by the API server.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from services.web.config import WebSettings
from tests.deploy.support import (
    K8S,
    SERVICE_VARS,
    TOPICS_SCRIPT,
    WEB,
    WEB_VARS,
    expected_topics,
    load_yaml,
    manifest_files,
    manifests,
    script_topics,
)
from tools.services import SERVICES

# The oldest release a region is likely to run, and the newest the package knows.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
MEMORY_LIMIT_MI = 256
# WeasyPrint lays the web's printable documents out in memory.
WEB_MEMORY_LIMIT_MI = 384


def validate(doc: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return float(quantity.removesuffix(suffix)) * factor
    return float(quantity) / 2**20


def pod_problems(name: str, pod: dict[str, Any], *, http: bool) -> list[str]:
    """Why a pod template is not fit to run: probes, limits, root."""
    problems = []
    pod_security = pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True or pod_security.get("runAsUser", 0) == 0:
        problems.append(f"{name}: pod may run as root")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: mounts a service-account token it does not need")
    for container in pod["containers"]:
        where = f"{name}/{container['name']}"
        if http:
            for probe in ("livenessProbe", "readinessProbe"):
                if "httpGet" not in container.get(probe, {}):
                    problems.append(f"{where}: no HTTP {probe}")
        limits = container.get("resources", {}).get("limits", {})
        requests = container.get("resources", {}).get("requests", {})
        if not {"cpu", "memory"} <= set(limits) or not {"cpu", "memory"} <= set(requests):
            problems.append(f"{where}: cpu and memory need requests and limits")
        security = container.get("securityContext", {})
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allows privilege escalation")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: writable root file system")
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: keeps Linux capabilities")
    return problems


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return manifests()


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_matches_the_kubernetes_schema(docs: list[dict[str, Any]], version: str) -> None:
    assert len(docs) >= 15
    for doc in docs:
        validate(doc, version)


def test_schema_check_rejects_a_broken_manifest(docs: list[dict[str, Any]]) -> None:
    deployment = copy.deepcopy(by_kind(docs, "Deployment")["kinerja-feedback"])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {"httpGet": {"path": "/"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment, KUBERNETES_VERSIONS[-1])
    deployment = copy.deepcopy(by_kind(docs, "Deployment")["kinerja-feedback"])
    deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = ["256Mi"]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment, KUBERNETES_VERSIONS[-1])


def test_kustomization_lists_every_manifest() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    assert sorted(kustomization["resources"]) == [p.name for p in manifest_files()]
    assert kustomization["namespace"] == "kinerja"
    generated = {item["name"]: item for item in kustomization["configMapGenerator"]}
    assert generated["kinerja-topics-script"]["files"] == [TOPICS_SCRIPT.name]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) is absent")
def test_kustomize_output_is_valid() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    docs = [doc for doc in yaml.safe_load_all(rendered) if doc]
    for doc in docs:
        validate(doc, KUBERNETES_VERSIONS[-1])
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "kinerja"
    script_maps = [d for d in docs if d["kind"] == "ConfigMap" and "topics.sh" in d.get("data", {})]
    assert len(script_maps) == 1
    job = by_kind(docs, "Job")["kinerja-topics"]
    volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    # kustomize rewrote the reference to the hashed name of the generated ConfigMap.
    assert volumes["script"]["configMap"]["name"] == script_maps[0]["metadata"]["name"]
    assert script_maps[0]["data"]["topics.sh"] == TOPICS_SCRIPT.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SERVICES)
def test_service_deployment_is_fit_to_run(docs: list[dict[str, Any]], name: str) -> None:
    deployment = by_kind(docs, "Deployment")[f"kinerja-{name}"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod_problems(name, pod, http=True) == []
    (container,) = pod["containers"]
    assert container["args"] == ["python", "-m", f"services.{name}"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert mebibytes(container["resources"]["limits"]["memory"]) <= MEMORY_LIMIT_MI
    assert mebibytes(container["resources"]["requests"]["memory"]) >= 128
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"]
    refs = [next(iter(ref.values()))["name"] for ref in container["envFrom"]]
    assert refs[:2] == ["kinerja-config", "kinerja-secrets"]
    assert ("kinerja-smtp" in refs) == (name == "notify")


def test_pod_check_finds_root_missing_probes_and_limits(docs: list[dict[str, Any]]) -> None:
    pod = copy.deepcopy(by_kind(docs, "Deployment")["kinerja-scoring"]["spec"]["template"]["spec"])
    del pod["securityContext"]["runAsNonRoot"]
    container = pod["containers"][0]
    del container["readinessProbe"]
    del container["resources"]["limits"]
    assert pod_problems("scoring", pod, http=True) == [
        "scoring: pod may run as root",
        "scoring/scoring: no HTTP readinessProbe",
        "scoring/scoring: cpu and memory need requests and limits",
    ]


@pytest.mark.parametrize("name", [*SERVICES, WEB])
def test_service_and_autoscaler_point_at_the_deployment(docs: list[dict[str, Any]], name: str) -> None:
    deployment = by_kind(docs, "Deployment")[f"kinerja-{name}"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = by_kind(docs, "Service")[f"kinerja-{name}"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    hpa = by_kind(docs, "HorizontalPodAutoscaler")[f"kinerja-{name}"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"kinerja-{name}",
    }
    # The HPA owns the replica count; a `replicas` field would undo it on every apply.
    assert "replicas" not in deployment["spec"]
    partitions = int(topics_env(docs)["KINERJA_TOPIC_PARTITIONS"])
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= partitions


def topics_env(docs: list[dict[str, Any]]) -> dict[str, Any]:
    job = by_kind(docs, "Job")["kinerja-topics"]
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in env}


def test_topic_job_runs_the_shared_script_safely(docs: list[dict[str, Any]]) -> None:
    job = by_kind(docs, "Job")["kinerja-topics"]
    pod = job["spec"]["template"]["spec"]
    assert pod_problems("topics", pod, http=False) == []
    (container,) = pod["containers"]
    assert container["image"].startswith("apache/kafka:")
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert container["command"] == ["/bin/bash", f"{mounts['script']}/{TOPICS_SCRIPT.name}"]
    env = topics_env(docs)
    assert env["KINERJA_KAFKA_BOOTSTRAP"]["configMapKeyRef"]["key"] == "KINERJA_KAFKA_BOOTSTRAP"
    assert env["KINERJA_TOPIC_PREFIX"]["configMapKeyRef"]["key"] == "KINERJA_TOPIC_PREFIX"
    assert int(env["KINERJA_TOPIC_PARTITIONS"]) == 12
    assert set(script_topics(TOPICS_SCRIPT.read_text(encoding="utf-8"))) == expected_topics()
    # A finished Job removes itself, so that the next apply (an upgrade) runs it again.
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_config_map_sets_only_settings_the_services_read(docs: list[dict[str, Any]]) -> None:
    data = by_kind(docs, "ConfigMap")["kinerja-config"]["data"]
    assert set(data) - SERVICE_VARS == set()
    assert data["KINERJA_HTTP_HOST"] == "0.0.0.0"
    assert data["KINERJA_HTTP_PORT"] == "8080"
    assert all(isinstance(value, str) for value in data.values())


def test_secrets_are_placeholders_only(docs: list[dict[str, Any]]) -> None:
    secrets = by_kind(docs, "Secret")
    assert set(secrets) == {"kinerja-secrets", "kinerja-smtp", "kinerja-web"}
    assert set(secrets["kinerja-secrets"]["stringData"]) == {
        "KINERJA_JWT_SECRET",
        "KINERJA_SUBMISSION_SECRET",
        "KINERJA_MONGO_URL",
    }
    assert set(secrets["kinerja-web"]["stringData"]) == {
        "KINERJA_WEB_SESSION_SECRET",
        "KINERJA_WEB_OIDC_CLIENT_SECRET",
    }
    for secret in secrets.values():
        assert "data" not in secret, "base64 data here would hide a real secret from review"
        assert set(secret["stringData"]) <= SERVICE_VARS | WEB_VARS
        for key, value in secret["stringData"].items():
            assert "REPLACE-ME" in value, f"{key} is not a placeholder"


def test_namespace_enforces_the_restricted_pod_security_standard(docs: list[dict[str, Any]]) -> None:
    labels = by_kind(docs, "Namespace")["kinerja"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def container_of(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    pod = by_kind(docs, "Deployment")[f"kinerja-{name}"]["spec"]["template"]["spec"]
    containers: list[dict[str, Any]] = pod["containers"]
    (container,) = containers
    return container


def test_web_deployment_is_fit_to_run_like_the_services(docs: list[dict[str, Any]]) -> None:
    pod = by_kind(docs, "Deployment")["kinerja-web"]["spec"]["template"]["spec"]
    feedback = by_kind(docs, "Deployment")["kinerja-feedback"]["spec"]["template"]["spec"]
    assert pod_problems(WEB, pod, http=True) == []
    # The same user, seccomp profile and container restrictions as the services.
    assert pod["securityContext"] == feedback["securityContext"]
    assert pod["volumes"] == feedback["volumes"]
    container, reference = container_of(docs, WEB), container_of(docs, "feedback")
    for key in ("image", "securityContext", "volumeMounts", "ports", "startupProbe"):
        assert container[key] == reference[key], key
    assert container["args"] == ["python", "-m", "services.web"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    # Ready while the four services answer (services/web/app.py).
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert mebibytes(container["resources"]["limits"]["memory"]) <= WEB_MEMORY_LIMIT_MI
    assert mebibytes(container["resources"]["requests"]["memory"]) >= 128
    config = by_kind(docs, "ConfigMap")["kinerja-web-config"]["data"]
    assert int(config["KINERJA_WEB_PORT"]) == container["ports"][0]["containerPort"]
    assert config["KINERJA_WEB_HTTP_HOST"] == "0.0.0.0"


def test_web_reads_only_its_own_settings_and_the_jwt_secret(docs: list[dict[str, Any]]) -> None:
    container = container_of(docs, WEB)
    refs = [(kind, ref["name"]) for item in container["envFrom"] for kind, ref in item.items()]
    assert refs == [("configMapRef", "kinerja-web-config"), ("secretRef", "kinerja-web")]
    env = {item["name"]: item["valueFrom"] for item in container["env"]}
    assert set(env) <= WEB_VARS
    # Of kinerja-secrets only the key it signs the services' tokens with: not the MongoDB URL, not
    # the submission secret.
    assert env["KINERJA_JWT_SECRET"] == {
        "secretKeyRef": {"name": "kinerja-secrets", "key": "KINERJA_JWT_SECRET"}
    }
    assert env["KINERJA_JWT_ISSUER"] == {
        "configMapKeyRef": {"name": "kinerja-config", "key": "KINERJA_JWT_ISSUER"}
    }
    secret_refs = [ref["secretKeyRef"]["name"] for ref in env.values() if "secretKeyRef" in ref]
    assert secret_refs == ["kinerja-secrets"]


def service_port(service: dict[str, Any], port: dict[str, Any]) -> dict[str, Any] | None:
    """The port of a Service that a backend's or URL's port (name or number) names."""
    ports: list[dict[str, Any]] = service["spec"]["ports"]
    for candidate in ports:
        if port.get("name") == candidate["name"] or port.get("number") == candidate["port"]:
            return candidate
    return None


def test_web_config_map_points_at_the_services_and_the_ingress(docs: list[dict[str, Any]]) -> None:
    data = by_kind(docs, "ConfigMap")["kinerja-web-config"]["data"]
    assert set(data) - WEB_VARS == set()
    assert all(isinstance(value, str) for value in data.values())
    services = by_kind(docs, "Service")
    for name in SERVICES:
        url = urlsplit(data[f"KINERJA_WEB_{name.upper()}_URL"])
        assert url.hostname == f"kinerja-{name}" and url.hostname in services
        assert service_port(services[url.hostname], {"number": url.port or 80}) is not None, url.geturl()
    # Behind the Ingress's TLS, at the Ingress's host.
    assert data["KINERJA_WEB_COOKIE_SECURE"] == "true"
    public = urlsplit(data["KINERJA_WEB_PUBLIC_URL"])
    (ingress,) = by_kind(docs, "Ingress").values()
    assert public.scheme == "https"
    assert public.hostname in {rule["host"] for rule in ingress["spec"]["rules"]}
    assert urlsplit(data["KINERJA_WEB_OIDC_ISSUER"]).scheme == "https"


def test_ingress_routes_the_region_host_to_the_web_with_tls(docs: list[dict[str, Any]]) -> None:
    (ingress,) = by_kind(docs, "Ingress").values()
    # No vendor's annotation in the base: the region's overlay adds its controller's.
    assert "annotations" not in ingress["metadata"]
    spec = ingress["spec"]
    hosts = [rule["host"] for rule in spec["rules"]]
    assert [host for tls in spec["tls"] for host in tls["hosts"]] == hosts
    assert all(tls["secretName"] for tls in spec["tls"])
    services = by_kind(docs, "Service")
    routes = {}
    for rule in spec["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] in services, backend
            assert service_port(services[backend["name"]], backend["port"]) is not None, backend
            routes[(path["path"], path["pathType"])] = backend["name"]
    # People open the web; feedback answers only its unauthenticated citizen API (/public).
    assert routes == {("/", "Prefix"): "kinerja-web", ("/public", "Prefix"): "kinerja-feedback"}


def test_web_settings_parse_from_the_manifests_and_refuse_the_placeholders(
    docs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = by_kind(docs, "ConfigMap")
    secrets = by_kind(docs, "Secret")
    env = {
        **config["kinerja-web-config"]["data"],
        **secrets["kinerja-web"]["stringData"],
        "KINERJA_JWT_SECRET": secrets["kinerja-secrets"]["stringData"]["KINERJA_JWT_SECRET"],
        "KINERJA_JWT_ISSUER": config["kinerja-config"]["data"]["KINERJA_JWT_ISSUER"],
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = WebSettings()
    assert settings.cookie_secure is True
    assert settings.http_host == "0.0.0.0"
    # Applied as they are, the placeholders stop the web from serving.
    assert settings.secret_problem() is not None
    monkeypatch.setenv("KINERJA_WEB_SESSION_SECRET", "0123456789abcdef" * 4)
    monkeypatch.setenv("KINERJA_JWT_SECRET", "fedcba9876543210" * 4)
    assert "KINERJA_WEB_OIDC_CLIENT_SECRET" in (WebSettings().secret_problem() or "")
    monkeypatch.setenv("KINERJA_WEB_OIDC_CLIENT_SECRET", "the-client-secret-the-provider-issued")
    assert WebSettings().secret_problem() is None
