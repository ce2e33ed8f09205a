"""A Kafka broker and a FerretDB of the fault tests alone, for the module that kills them.

They run on their own ports with their own state directory, so that SIGKILLing them leaves the
shared stack (and everyone's tests on it) alone. Ports are free ones the OS hands out, or
``KINERJA_FAULTS_KAFKA_PORT``, ``KINERJA_FAULTS_KAFKA_CONTROLLER_PORT`` and
``KINERJA_FAULTS_MONGO_PORT``. The jars and the FerretDB binary come from the shared cache
(``.cache/stack``), built by ``make stack-fetch``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.harness import PrivateStack, free_port, say


def _port(name: str) -> int:
    value = os.environ.get(f"KINERJA_FAULTS_{name}")
    return int(value) if value else free_port()


@pytest.fixture(scope="module")
def private_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateStack]:
    state = tmp_path_factory.mktemp("faults-stack")
    stack = PrivateStack(
        state=state,
        kafka_port=_port("KAFKA_PORT"),
        controller_port=_port("KAFKA_CONTROLLER_PORT"),
        mongo_port=_port("MONGO_PORT"),
    )
    say(f"private stack: kafka {stack.bootstrap}, ferretdb {stack.mongo_url}, state {state}")
    try:
        stack.up()
        yield stack
    finally:
        stack.down()
        # The logs stay for a post-mortem; the data (tens of MB) goes.
        for data in ("kafka-data", "ferretdb-data"):
            shutil.rmtree(state / data, ignore_errors=True)


@pytest.fixture(scope="module")
def fault_logs(private_stack: PrivateStack) -> Path:
    """Where the service processes of the scenarios write their output."""
    return private_stack.state / "logs" / "services"
