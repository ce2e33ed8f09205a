"""The documents match the tree (issue #18): every relative link of the Markdown documents leads to a
file of the repository, no document or script points outside it, the README's layout names only
paths that exist, and stack.sh's usage line lists the commands it takes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
OUTSIDE = re.compile(r"\.\./(shared|\.library)\b|/work/")


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / line for line in out.stdout.splitlines() if (ROOT / line).is_file()]


def test_relative_links_of_the_documents_lead_to_files_of_the_repository() -> None:
    broken = []
    for doc in tracked("*.md"):
        for target in LINK.findall(doc.read_text()):
            if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
                continue
            path = (doc.parent / target).resolve()
            if not path.exists() or not path.is_relative_to(ROOT):
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_nothing_points_outside_the_repository() -> None:
    files = tracked("*.md", "*.py", "*.sh", "*.toml", "*.yaml", "*.yml", "Makefile", "Dockerfile")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in files
        if path != Path(__file__)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert found == []


def test_the_readme_layout_names_paths_that_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"\b((?:services|shared|tools|deploy|tests|bench|docs)/[\w./-]*\w)", layout))
    missing = sorted(n for n in named if "<" not in n and not (ROOT / n).exists())
    assert named and missing == []


def test_stack_usage_lists_the_commands_it_takes() -> None:
    script = (ROOT / "deploy/local/stack.sh").read_text()
    usage = re.search(r"^# Usage: stack\.sh ([\w|]+)$", script, re.M)
    echoed = re.search(r'echo "usage: \$0 ([\w|]+)"', script)
    branches = re.findall(r"^  (\w+)\)", script.split('case "${1:-}" in', 1)[1], re.M)
    assert usage and echoed
    assert usage.group(1).split("|") == echoed.group(1).split("|") == branches
