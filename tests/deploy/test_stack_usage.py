"""The local stack script says what it does: its usage lines name exactly the commands it has."""

from __future__ import annotations

import re
from pathlib import Path

STACK = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.sh"


def test_the_usage_lines_name_the_commands_the_script_runs() -> None:
    text = STACK.read_text()
    header = re.search(r"^# Usage: stack\.sh ([a-z|-]+)$", text, re.MULTILINE)
    refusal = re.search(r'echo "usage: \$0 ([a-z|-]+)"', text)
    arms = set(re.findall(r"^  ([a-z-]+)\) ", text, re.MULTILINE))
    assert header and refusal, "stack.sh lost a usage line"
    assert set(header.group(1).split("|")) == arms == set(refusal.group(1).split("|"))
