"""Fixtures of the CLI tests: a runner, the environment of one isolated test, the feedback and
scoring APIs.

The CLI calls ``asyncio.run`` itself, so tests run it in a worker thread (``invoke``), away from
the event loop that pytest-asyncio runs the fixtures and the in-process feedback API on.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import uvicorn
from litestar import Litestar
from typer.testing import CliRunner, Result

from services.feedback.app import create_app
from services.scoring.app import create_app as scoring_app
from shared.settings import Settings
from tools.cli import app

Invoke = Callable[..., Awaitable[Result]]


@pytest.fixture
def cli_env(isolated_settings: Settings) -> dict[str, str]:
    """KINERJA_* variables that point the CLI at this test's databases, topics and secret."""
    env = {f"KINERJA_{name.upper()}": str(value) for name, value in isolated_settings.model_dump().items()}
    env["KINERJA_TOKEN"] = ""  # a token in the developer's shell must not leak into a test
    env["COLUMNS"] = "400"  # Typer's usage errors are boxed by rich: one line per message
    return env


@pytest.fixture
def invoke(cli_env: dict[str, str]) -> Invoke:
    """Run ``kinerja *args`` with ``cli_env`` (plus ``env``) in a thread; returns Click's result."""

    async def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        return await asyncio.to_thread(
            lambda: runner.invoke(
                app, list(args), env={**cli_env, **(env or {})}, input=input, catch_exceptions=False
            )
        )

    return run


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def feedback_api(isolated_settings: Settings) -> AsyncIterator[str]:
    """The real feedback app served by uvicorn on 127.0.0.1 in this process; yields its base URL."""
    async for url in _served(create_app(isolated_settings)):
        yield url


@pytest.fixture
async def scoring_api(isolated_settings: Settings) -> AsyncIterator[str]:
    """The real scoring app, served like :func:`feedback_api`; yields its base URL."""
    async for url in _served(scoring_app(isolated_settings)):
        yield url


async def _served(app: Litestar) -> AsyncIterator[str]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why the server could not start
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
