"""``kinerja stack up|down|status``: the local servers, through deploy/local/stack.sh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from tools.cli.base import EXIT_USAGE, fail

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.sh"
"""The script in the source checkout this package was imported from."""

app = typer.Typer(help="Start, stop or inspect the local Kafka, FerretDB and Dex (deploy/local/stack.sh).")

Script = Annotated[
    Path, typer.Option("--script", help="The stack script to run (default: the checkout's own).")
]


def _fileno(stream: object) -> int | None:
    fileno = getattr(stream, "fileno", None)
    if fileno is None:
        return None
    try:
        return int(fileno())
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def run_script(script: Path, action: str) -> int:
    """Run ``script action`` and return its exit code; output goes where this process's goes."""
    if not script.is_file():
        fail(f"no stack script at {script}: the stack commands work in a source checkout", EXIT_USAGE)
    out, err = _fileno(sys.stdout), _fileno(sys.stderr)
    if out is not None and err is not None:
        # Real file descriptors: let `up` stream its progress as it happens.
        return subprocess.call([str(script), action], stdout=out, stderr=err)
    # Captured streams (tests, embedding): relay the output once the script is done.
    done = subprocess.run([str(script), action], capture_output=True, text=True, check=False)
    if done.stdout:
        typer.echo(done.stdout, nl=False)
    if done.stderr:
        typer.echo(done.stderr, nl=False, err=True)
    return done.returncode


@app.command()
def up(script: Script = SCRIPT) -> None:
    """Start Kafka, FerretDB and Dex on 127.0.0.1 (or reuse them) and wait until they are ready."""
    raise typer.Exit(run_script(script, "up"))


@app.command()
def down(script: Script = SCRIPT) -> None:
    """Stop the servers the stack script started."""
    raise typer.Exit(run_script(script, "down"))


@app.command()
def status(script: Script = SCRIPT) -> None:
    """One line per server; exit code 3 when one of them is stopped."""
    raise typer.Exit(run_script(script, "status"))
