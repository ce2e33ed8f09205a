"""A service reachable from other machines refuses a secret that anyone could know."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shared.settings import DEV_JWT_SECRET, DEV_SUBMISSION_SECRET, Settings

STRONG = "5f0c3b9e2a7d4c1f8e6b0a9d3c2e1f4a"


@pytest.mark.parametrize(
    ("host", "secret", "problem"),
    [
        ("127.0.0.1", DEV_JWT_SECRET, None),
        ("localhost", "short", None),
        ("0.0.0.0", DEV_JWT_SECRET, "built-in development secret"),
        ("0.0.0.0", "REPLACE-ME-openssl-rand-hex-32", "placeholder"),
        ("10.1.2.3", "s3cret", "shorter than 32"),
        ("0.0.0.0", STRONG, None),
    ],
)
def test_weak_secrets_are_refused_beyond_loopback(host: str, secret: str, problem: str | None) -> None:
    found = Settings(http_host=host, jwt_secret=secret).secret_problem()
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (DEV_SUBMISSION_SECRET, "KINERJA_SUBMISSION_SECRET is the built-in development secret"),
        ("REPLACE-ME-openssl-rand-hex-32", "KINERJA_SUBMISSION_SECRET is still the deployment template"),
        ("short", "KINERJA_SUBMISSION_SECRET is shorter than 32"),
        (STRONG[::-1], None),
    ],
)
def test_the_feedback_service_beyond_loopback_needs_its_own_submission_secret(
    secret: str, problem: str | None
) -> None:
    settings = Settings(http_host="0.0.0.0", jwt_secret=STRONG, submission_secret=secret)
    found = settings.secret_problem("feedback")
    assert found is None if problem is None else (found is not None and problem in found), found
    # The other services never make submission ids, so they do not need it.
    assert settings.secret_problem("scoring") is None


def test_a_service_on_all_interfaces_with_the_built_in_secret_does_not_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")}
    env["KINERJA_HTTP_HOST"] = "0.0.0.0"
    done = subprocess.run(
        [sys.executable, "-m", "services.notify"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    refusal = "refusing to serve on 0.0.0.0: KINERJA_JWT_SECRET is the built-in development secret"
    assert refusal in done.stderr
