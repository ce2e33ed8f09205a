"""``make run``: the stack, the four services and the web application as separate processes,
until Ctrl-C.

Later steps of the main job (the demo cycle and its summary) hook in through :func:`main`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from services.web.config import DEFAULT_PORT as WEB_PORT
from shared.runtime import DEFAULT_PORTS
from shared.settings import Settings
from tools.logins import print_table
from tools.services import APPS, SERVICES
from tools.showcase import mail_catcher, open_web_cycles, run_demo

ROOT = Path(__file__).resolve().parent.parent
STACK = ROOT / "deploy" / "local" / "stack.sh"
LOGS = ROOT / ".cache" / "run-logs"


def say(message: str) -> None:
    print(f"[kinerja] {message}", flush=True)


def stack_running() -> bool:
    return subprocess.run([str(STACK), "status"], capture_output=True).returncode == 0


def stack_up() -> bool:
    """Bring the stack up; True when this call started it (and so should stop it)."""
    if stack_running():
        say("Kafka, FerretDB and Dex are already running on 127.0.0.1")
        return False
    say("bringing up Kafka, FerretDB and Dex (the sign-in) on 127.0.0.1 ...")
    subprocess.run([str(STACK), "up"], check=True)
    return True


def stack_down() -> None:
    say("stopping Kafka, FerretDB and Dex")
    subprocess.run([str(STACK), "down"], check=False)


def start_services(settings: Settings) -> dict[str, subprocess.Popen[bytes]]:
    LOGS.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for name in APPS:
        env = dict(os.environ, KINERJA_HTTP_PORT=str(port_of(settings, name)))
        if name == "feedback":
            # The web sends citizens' forms on with their address, which the rate limit counts.
            env.setdefault("KINERJA_TRUSTED_PROXIES", "127.0.0.1")
        if name == "web":
            env.setdefault("KINERJA_WEB_PORT", str(WEB_PORT))
        log = (LOGS / f"{name}.log").open("ab")
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            # Out of the terminal's process group: Ctrl-C reaches only this launcher, which stops
            # the services in order, instead of each service dying of SIGINT on its own.
            start_new_session=True,
        )
        say(f"started {name} (pid {procs[name].pid}) on http://127.0.0.1:{port_of(settings, name)}")
    return procs


def port_of(settings: Settings, name: str) -> int:
    return WEB_PORT if name == "web" else DEFAULT_PORTS[name]


async def wait_ready(
    settings: Settings, procs: dict[str, subprocess.Popen[bytes]], timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=3) as client:
        for name in APPS:
            url = f"http://127.0.0.1:{port_of(settings, name)}/health/ready"
            while True:
                if procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited with {procs[name].returncode}: see {LOGS / name}.log")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).status_code == 200:
                        say(f"{name} is ready")
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready after {timeout:.0f} s: see {LOGS / name}.log")
                await asyncio.sleep(0.5)


def stop_services(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for name, proc in procs.items():
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        say(f"stopped {name}")


@contextlib.contextmanager
def running(settings: Settings) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    procs = start_services(settings)
    try:
        yield procs
    finally:
        stop_services(procs)


def print_web(port: int) -> None:
    """Where the web is, and who can sign in (local demo accounts of the stack's Dex)."""
    print(f"\n=== The web application: http://127.0.0.1:{port}/ ===\n")
    print("Sign in with one of these demo accounts (docs/web.md):\n")
    print_table()
    print(
        "\nEach region has an open cycle for the web: the employee can report progress and the"
        "\nsupervisor sees it on 'My team', where one plan waits for approval."
        f"\nThe citizen form: http://127.0.0.1:{port}/c/marelan/dinkes\n",
        flush=True,
    )


def _stop_requested(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and a SIGTERM (from a supervisor, or `kill`) both stop the services in order. SIGINT
    # is set explicitly: a shell starts background jobs with it ignored, and Python keeps that.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_requested)
    settings = Settings()
    started = stack_up()
    try:
        return _run_services(settings)
    finally:
        if started:
            stack_down()


def _run_services(settings: Settings) -> int:
    with running(settings) as procs:
        try:
            asyncio.run(wait_ready(settings, procs))
            say("all four services are up; running the demo appraisal cycle")
            with mail_catcher() as mails:
                asyncio.run(run_demo(settings, {n: port_of(settings, n) for n in SERVICES}, say, mails))
                asyncio.run(open_web_cycles(settings, port_of(settings, "feedback"), say))
                print_web(port_of(settings, "web"))
                say("demo done; the services and the web keep running: press Ctrl-C to stop")
            while all(p.poll() is None for p in procs.values()):
                time.sleep(1)
            say("a service exited; stopping")
            return 1
        except KeyboardInterrupt:
            say("Ctrl-C: stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main())
