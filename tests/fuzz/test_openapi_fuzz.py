"""Schemathesis against each service's own OpenAPI document, on the real stack.

Every operation of the four services gets generated requests, valid and invalid, from callers of
several roles (and none). These must hold for each answer:

- no 5xx: whatever a client sends, the service answers for it, it does not fail;
- every 4xx is a problem document (RFC 9457): ``application/problem+json`` with ``type``,
  ``title`` and ``status``, as shared/http.py promises;
- the answer is one the document describes: its status code, its media type and its body's
  schema (shared/openapi.py documents the problems of every operation).

Path, query and body fields named like the seeded ids (region, NIPs, cycles, units, ...) get a
seeded id three times out of four, so that requests reach the services' logic behind "not found".
Example counts are bounded (30 per operation; ``KINERJA_FUZZ_EXAMPLES`` sets another number for a
longer hunt) and generation is derandomised: the run is the same on every machine.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from litestar.serialization import encode_json
from motor.motor_asyncio import AsyncIOMotorClient
from schemathesis import DataGenerationMethod
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.errors import PROBLEM_BASE
from shared.settings import Settings
from tests.fuzz.stack import KNOWN_IDS, ServedStack, callers, factories, seed
from tests.isolation import TEST_DATABASES
from tools.contracts import service_app
from tools.services import SERVICES

#: Seeded ids and valid values by parameter name, read when examples are drawn; the ``stack``
#: fixture adds the ids only known once created (recommendations, notifications, subscriptions).
KNOWN: dict[str, list[Any]] = {name: list(ids) for name, ids in KNOWN_IDS.items()}
#: The roles requests are sent as (tokens signed with the secret every test settings share).
CALLERS = callers(Settings())
FUZZ = settings(
    max_examples=int(os.environ.get("KINERJA_FUZZ_EXAMPLES", "30")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# ------------------------------------------------------------------ steering towards seeded ids
def _pick(options: Sequence[Any]) -> st.SearchStrategy[Any]:
    """One of ``options``, about evenly (``sampled_from`` favours the first ones a lot)."""
    return st.integers(0, 2**16 - 1).map(lambda i: copy.deepcopy(options[i % len(options)]))


def _steer(values: Any) -> st.SearchStrategy[Any]:
    """Replace each value named like a seeded one by a seeded one, three times out of four."""
    if not isinstance(values, dict) or not values:
        return st.just(values)
    return st.fixed_dictionaries(
        {
            key: _pick([*KNOWN[key] * 3, *[value] * len(KNOWN[key])]) if KNOWN.get(key) else st.just(value)
            for key, value in values.items()
        }
    )


def before_generate_path_parameters(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy.flatmap(_steer)


def before_generate_query(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy.flatmap(_steer)


def before_generate_body(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy.flatmap(_steer)


def before_generate_case(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Each request as one of ``CALLERS``: part of the case, so a failure's reproduction has it.

    Drawn before the case: Hypothesis varies the start of an example more than its end.
    """

    def sign(drawn: tuple[str, Any]) -> Any:
        caller, case = drawn
        case.headers = {**(case.headers or {}), **CALLERS[caller]}
        return case

    return st.tuples(_pick(sorted(CALLERS)), strategy).map(sign)


@schemathesis.serializer("text/csv")
class CsvBody:
    """The employee import's CSV body: generated text sent as it is (anything else as its JSON)."""

    @staticmethod
    def _bytes(value: Any) -> bytes:
        return value.encode() if isinstance(value, str) else json.dumps(value).encode()

    def as_requests(self, context: Any, value: Any) -> dict[str, Any]:
        return {"data": self._bytes(value)}

    def as_werkzeug(self, context: Any, value: Any) -> dict[str, Any]:
        return {"data": self._bytes(value)}


def load(service: str) -> BaseSchema:
    """The OpenAPI document the service's app serves at /schema/openapi.json."""
    app = service_app(service)
    try:
        raw = json.loads(encode_json(app.openapi_schema.to_schema()))  # as served: sets become lists
    finally:
        app.state.kit.client.close()
    # Litestar writes OpenAPI 3.1; schemathesis 3 reads it behind an experiment flag.
    schemathesis.experimental.OPEN_API_3_1.enable()
    schema = schemathesis.from_dict(
        raw,
        data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
        # The bearer scheme is documented, but the tokens come from CALLERS (before_generate_case):
        # generated Authorization values would only test uvicorn's header parser.
        generation_config=schemathesis.GenerationConfig(with_security_parameters=False),
    )
    for hook in (
        before_generate_path_parameters,
        before_generate_query,
        before_generate_body,
        before_generate_case,
    ):
        schema.hook(hook)
    # Liveness and readiness take no input; tests/kernel/test_http.py covers them.
    return schema.exclude(path_regex="^/health/")


SCHEMAS = {service: load(service) for service in SERVICES}


# ------------------------------------------------------------------ the check
def problem_document(ctx: Any, response: Any, case: Any) -> None:
    """A 4xx answer is an RFC 9457 problem document of the services' problem types."""
    status = response.status_code
    if not 400 <= status < 500:
        return
    media_type = response.headers.get("content-type", "")
    assert media_type.startswith("application/problem+json"), f"{status} with {media_type!r}: {response.text}"
    body = json.loads(response.content)  # JSON is UTF-8; ``text`` would guess a charset
    assert isinstance(body, dict), f"{status}: the problem is not an object: {response.text}"
    assert isinstance(body.get("type"), str) and body["type"].startswith(PROBLEM_BASE), response.text
    assert isinstance(body.get("title"), str) and body["title"], response.text
    assert body.get("status") == status, response.text


# ------------------------------------------------------------------ the stack
@pytest.fixture(scope="module")
async def stack(settings: Settings) -> AsyncIterator[ServedStack]:
    """The four services on this module's databases and topics, with one region seeded."""
    tag = uuid.uuid4().hex[:6]
    mine = settings.model_copy(
        update={"db_prefix": f"{settings.db_prefix}{tag}", "topic_prefix": f"{settings.topic_prefix}{tag}."}
    )
    defaults = Settings()
    assert (mine.jwt_secret, mine.jwt_issuer) == (defaults.jwt_secret, defaults.jwt_issuer), "CALLERS' tokens"
    served = ServedStack(factories(mine))
    created: dict[str, list[str]] = {}
    served.start()
    try:
        created = await seed(mine, served.urls)
        KNOWN.update(created)
        yield served
    finally:
        for name in created:
            KNOWN.pop(name, None)
        served.stop()
        client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(settings.mongo_url)
        try:
            for name in TEST_DATABASES:
                await client.drop_database(mine.database(name))
        finally:
            client.close()


def fuzz(service: str) -> Callable[..., None]:
    schema = SCHEMAS[service]

    @schema.parametrize()
    @FUZZ
    def test(case: Any, stack: ServedStack) -> None:
        response = case.call(base_url=stack.urls[service], timeout=30)
        case.validate_response(
            response,
            checks=(
                not_a_server_error,
                problem_document,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ),
        )

    test.__name__ = f"test_{service}_api"
    return test


test_feedback_api = fuzz("feedback")
test_scoring_api = fuzz("scoring")
test_career_api = fuzz("career")
test_notify_api = fuzz("notify")


@pytest.mark.parametrize("service", SERVICES)
def test_the_fuzzing_covers_every_documented_operation_and_every_answer_is_documented(service: str) -> None:
    app = service_app(service)
    try:
        document = json.loads(encode_json(app.openapi_schema.to_schema()))
    finally:
        app.state.kit.client.close()
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"} and not path.startswith("/health/")
    }
    fuzzed = {(op.method.upper(), op.path) for op in (r.ok() for r in SCHEMAS[service].get_all_operations())}
    assert fuzzed == documented
    for method, path in documented:
        operation = document["paths"][path][method.lower()]
        assert {"400", "500"} <= set(operation["responses"]), (method, path)
        for code, answer in operation["responses"].items():
            if code.startswith(("4", "5")):
                assert list(answer["content"]) == ["application/problem+json"], (method, path, code)
        if not path.startswith("/public/"):
            assert operation["security"] == [{"bearer": []}], (method, path)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# ------------------------------------------------------------------ what schemathesis does not send
#: A JSON endpoint of each service, and the caller allowed to use it.
ENDPOINTS = {
    "feedback": ("PUT", f"/regions/{KNOWN_IDS['region'][0]}/units/dinkes", "hr"),
    "scoring": ("POST", f"/cycles/{KNOWN_IDS['cycle_id'][0]}/scores/{KNOWN_IDS['nip'][3]}/calibration", "hr"),
    "career": ("POST", "/recommendations/rec-none/decision", "hr"),
    "notify": ("POST", "/subscriptions", "admin"),
}


@pytest.mark.parametrize("service", SERVICES)
def test_rejections_outside_the_schema_are_problem_documents(service: str, stack: ServedStack) -> None:
    """Bodies and methods no OpenAPI document describes, so schemathesis never sends them.

    Regressions: a body nested ~1,000 levels deep was a 500 (RecursionError in the body guard);
    a body with ``$`` keys passed the guard when sent as ``text/plain``, which Litestar still
    decodes as JSON.
    """
    method, path, caller = ENDPOINTS[service]
    auth = CALLERS[caller]
    as_json = {**auth, "content-type": "application/json"}
    cases: list[tuple[str, str, str, bytes | None, dict[str, str]]] = [
        # (problem type, method, path, body, headers)
        ("too-deep", method, path, b"[" * 20_000 + b"]" * 20_000, as_json),
        ("too-deep", method, path, b'{"reason": ' + b"[" * 40 + b"]" * 40 + b"}", as_json),
        ("unsafe-key", method, path, b'{"$where": "1"}', {**auth, "content-type": "text/plain"}),
        ("malformed-json", method, path, b'{"reason": ', as_json),
        ("method-not-allowed", "DELETE", path, None, auth),
        ("not-found", "GET", "/nothing/here", None, auth),
        ("payload-too-large", method, path, b"[" + b"1," * 600_000 + b"1]", as_json),
    ]
    with httpx.Client(base_url=stack.urls[service], timeout=30) as client:
        for slug, verb, target, body, headers in cases:
            response = client.request(verb, target, content=body, headers=headers)
            media_type = response.headers["content-type"]
            assert media_type.startswith("application/problem+json"), (slug, response, media_type)
            problem = response.json()
            assert problem["type"] == PROBLEM_BASE + slug, (slug, problem)
            assert problem["status"] == response.status_code and 400 <= response.status_code < 500
