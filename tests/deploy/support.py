"""What the deployment tests share: paths, YAML loading and the names the manifests may use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from services.web.config import WebSettings
from shared.events.registry import DLQ_SUFFIX, TOPICS
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
TOPICS_SCRIPT = K8S / "topics.sh"
DOCKERFILE = ROOT / "Dockerfile"

# The web application: the same image, its own settings (services/web/config.py).
WEB = "web"

# Settings of the notify service (docs/configuration.md, "Notify").
SMTP_VARS = frozenset(
    {
        "KINERJA_SMTP_HOST",
        "KINERJA_SMTP_PORT",
        "KINERJA_SMTP_FROM",
        "KINERJA_SMTP_USERNAME",
        "KINERJA_SMTP_PASSWORD",
        "KINERJA_SMTP_STARTTLS",
    }
)
SETTINGS_VARS = frozenset(f"KINERJA_{name.upper()}" for name in Settings.model_fields)
SERVICE_VARS = SETTINGS_VARS | SMTP_VARS


def setting_variables(settings: type[BaseSettings]) -> frozenset[str]:
    """The environment variables a settings class reads: the prefix and each field's name, or the
    names a field's ``validation_alias`` gives instead."""
    prefix = str(settings.model_config.get("env_prefix") or "")
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {choice.upper() for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{name}".upper())
    return frozenset(names)


# What the web reads: its KINERJA_WEB_* settings, and the services' JWT secret, issuer and log level.
WEB_VARS = setting_variables(WebSettings)


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation of ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``, defaults
    nested as compose allows (``${A:-${B:-x}}``); a required variable that is empty raises."""
    out, i = [], 0
    while (start := text.find("${", i)) != -1:
        out.append(text[i:start])
        depth, j = 1, start + 2
        while depth:
            if text.startswith("${", j):
                depth, j = depth + 1, j + 2
                continue
            depth -= text[j] == "}"
            j += 1
        match = re.fullmatch(r"([A-Za-z_]\w*)(?:(:-|:\?)(.*))?", text[start + 2 : j - 1], re.DOTALL)
        assert match is not None, f"not an interpolation compose knows: {text[start:j]}"
        name, operator, rest = match.groups()
        value = env.get(name, "")
        if not value and operator == ":-":
            value = interpolate(rest, env)
        elif not value and operator == ":?":
            raise ValueError(f"{name} is required: {rest}")
        out.append(value)
        i = j
    out.append(text[i:])
    return "".join(out)


def env_file(path: Path) -> dict[str, str]:
    """The variables of an env file such as deploy/env.example (``NAME=value`` lines)."""
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2 and not pair[0].startswith("#")}


def expected_topics() -> set[str]:
    """Every topic of shared/events and its dead-letter topic."""
    return set(TOPICS) | {topic + DLQ_SUFFIX for topic in TOPICS}


def script_topics(text: str) -> list[str]:
    """The entries of the ``TOPICS=( ... )`` array of deploy/k8s/topics.sh."""
    match = re.search(r"^TOPICS=\(\n(.*?)^\)", text, re.MULTILINE | re.DOTALL)
    if match is None:
        return []
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_documents(path: Path) -> list[dict[str, Any]]:
    """The non-empty documents of a multi-document YAML file."""
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc]


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def manifests() -> list[dict[str, Any]]:
    return [doc for path in manifest_files() for doc in load_documents(path)]
