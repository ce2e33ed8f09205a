"""``kinerja stack``: the real script's status, and the script's exit codes passed through unchanged."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from typer.testing import Result

Invoke = Callable[..., Awaitable[Result]]


async def test_status_reports_the_running_servers(invoke: Invoke) -> None:
    result = await invoke("stack", "status")

    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    # The stack's ports are configurable (a second checkout runs its own stack beside a developer's).
    kafka_port = os.environ.get("KINERJA_KAFKA_PORT", "19092")
    mongo_port = os.environ.get("KINERJA_MONGO_PORT", "27018")
    assert lines["kafka"][1] == "running" and lines["kafka"][-1] == f"127.0.0.1:{kafka_port}"
    assert lines["ferretdb"][1] == "running" and lines["ferretdb"][-1] == f"127.0.0.1:{mongo_port}"


async def test_up_and_down_run_the_script_and_keep_its_exit_code(invoke: Invoke, tmp_path: Path) -> None:
    script = tmp_path / "stack.sh"
    script.write_text('#!/bin/sh\necho "did $1"\necho "log of $1" >&2\n[ "$1" = up ] && exit 0\nexit 7\n')
    script.chmod(0o755)

    up = await invoke("stack", "up", "--script", str(script))
    down = await invoke("stack", "down", "--script", str(script))

    assert (up.exit_code, up.stdout, up.stderr) == (0, "did up\n", "log of up\n")
    assert (down.exit_code, down.stdout) == (7, "did down\n")


async def test_a_missing_script_is_a_usage_error(invoke: Invoke, tmp_path: Path) -> None:
    result = await invoke("stack", "status", "--script", str(tmp_path / "nowhere.sh"))

    assert result.exit_code == 2
    assert "no stack script" in result.stderr
