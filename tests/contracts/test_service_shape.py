"""Every service has the house shape (README, "Layout"; docs/HOUSE_STYLE.md), so that a reader who
knows one knows them all.

- The modules the shape requires exist: app, domain, service, api, store, access; the web, which
  renders pages from the four services' APIs, has pages/ for api, clients.py for a store, and no
  domain of its own.
- The controllers receive one object of the service's use cases (a class of its service module).
- handlers.py exists exactly when the service consumes events, and it is where every
  subscription's handler is defined: read from the app's ``ServiceKit`` after ``create_app``.
- worker.py exists exactly when the service runs a background loop, and every loop is one of its:
  a loop is a task the app leaves running after its start-up whose coroutine is the service's own
  code (the kernel's, such as the outbox relay and the Kafka consumer, are not the service's).
  Starting an app needs the stack (Kafka and the database), as the other tests on the apps do.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.di import Provide

from shared.runtime import ServiceKit
from shared.settings import Settings
from tools import services as suite

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/__init__.py"))
HOUSE = frozenset({"app", "domain", "service", "api", "store", "access"})
#: Where a service departs from the house shape, and why (README, "Layout").
SHAPES = {
    # The web has no data and no rules of its own: its pages call the four services' APIs.
    "web": (HOUSE - {"api", "store", "domain"}) | {"pages", "clients"},
}


def test_the_services_are_found_and_named_once_for_the_tools() -> None:
    assert {"feedback", "scoring", "career", "notify", "web"} <= set(SERVICES)
    assert sorted(suite.APPS) == SERVICES
    assert sorted(suite.CONSUMERS) == [s for s in SERVICES if _exists(s, "handlers")]


@pytest.mark.parametrize("service", SERVICES)
def test_the_modules_of_the_shape_exist(service: str) -> None:
    missing = sorted(m for m in SHAPES.get(service, HOUSE) if not _exists(service, m))
    assert missing == [], f"services/{service} lacks {missing}"


@pytest.mark.parametrize("service", SERVICES)
async def test_the_controllers_receive_one_service_object(service: str, settings: Settings) -> None:
    app = _create_app(service, settings)
    try:
        objects = [_provided(p) for p in app.dependencies.values() if isinstance(p, Provide)]
        ours = [o for o in objects if type(o).__module__.startswith(f"services.{service}.service")]
        assert len(ours) == 1, f"services/{service}'s controllers get {ours}, not one service object"
    finally:
        _close(app)


@pytest.mark.parametrize("service", SERVICES)
async def test_handlers_exist_exactly_when_the_service_consumes_events(
    service: str, settings: Settings
) -> None:
    app = _create_app(service, settings)
    try:
        kit = _kit(app)
        subscriptions = kit.subscriptions if kit is not None else []
        consumed = sorted(s.topic for s in subscriptions)
        assert _exists(service, "handlers") == bool(subscriptions), (
            f"services/{service} consumes {consumed or 'nothing'}: "
            f"{'add' if subscriptions else 'remove'} handlers.py"
        )
        elsewhere = {
            s.topic: s.function.__module__
            for s in subscriptions
            if s.function.__module__ != f"services.{service}.handlers"
        }
        assert elsewhere == {}, f"handlers defined outside services/{service}/handlers.py"
    finally:
        _close(app)


@pytest.mark.parametrize("service", SERVICES)
async def test_worker_exists_exactly_when_the_service_runs_background_loops(
    service: str, isolated_settings: Settings
) -> None:
    app = _create_app(service, isolated_settings)
    before = asyncio.all_tasks()
    async with app.lifespan():
        started = asyncio.all_tasks() - before
        loops = {
            name: path
            for name, path in map(_origin, started)
            if path.is_relative_to(ROOT / "services" / service)
        }
    assert _exists(service, "worker") == bool(loops), (
        f"services/{service} runs {sorted(loops) or 'no loop'}: {'add' if loops else 'remove'} worker.py"
    )
    worker = ROOT / "services" / service / "worker"
    elsewhere = {
        name: str(path.relative_to(ROOT))
        for name, path in loops.items()
        if path != worker.with_suffix(".py") and not path.is_relative_to(worker)
    }
    assert elsewhere == {}, f"background loops outside services/{service}/worker.py"


def _exists(service: str, module: str) -> bool:
    return find_spec(f"services.{service}.{module}") is not None


def _create_app(service: str, settings: Settings) -> Litestar:
    create_app: Callable[..., Litestar] = importlib.import_module(f"services.{service}.app").create_app
    # The web reads its own settings (WebSettings) and starts without the stack; the others share
    # the test's database and topic prefixes.
    return create_app() if service == "web" else create_app(settings)


def _kit(app: Litestar) -> ServiceKit | None:
    kit = getattr(app.state, "kit", None)
    return kit if isinstance(kit, ServiceKit) else None


def _close(app: Litestar) -> None:
    if (kit := _kit(app)) is not None:
        kit.client.close()


def _provided(provider: Provide) -> Any:
    """What a dependency gives the controllers: the composition roots provide what they built
    through plain functions; anything else is no service object."""
    dependency = provider.dependency
    if inspect.iscoroutinefunction(dependency) or inspect.isgeneratorfunction(dependency):
        return None
    return dependency()


def _origin(task: asyncio.Task[Any]) -> tuple[str, Path]:
    """The task's name and the file of the code it runs."""
    code = getattr(task.get_coro(), "cr_code", None)
    return task.get_name(), Path(code.co_filename).resolve() if code is not None else Path("/")
