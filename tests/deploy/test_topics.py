"""deploy/k8s/topics.sh: the topics of shared/events, created with partitions and retention.

The script runs first against stand-ins of the Kafka tools (to see every call it makes), then
against the real broker of the local stack with the real Kafka 4.1.1 tool classes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.deploy.support import ROOT, TOPICS_SCRIPT, expected_topics, script_topics

# Answers `--describe` with one existing topic and records every call, one line each.
FAKE_TOOL = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$CALLS"
if [[ " $* " == *" --describe "* ]]; then
  printf 'Topic: %s\\tTopicId: x\\tPartitionCount: 3\\tReplicationFactor: 1\\tConfigs: \\n' "$EXISTING"
  printf '\\tTopic: %s\\tPartition: 0\\tLeader: 1\\tReplicas: 1\\tIsr: 1\\n' "$EXISTING"
fi
"""


def run_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(TOPICS_SCRIPT)],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_script_lists_exactly_the_topics_of_shared_events() -> None:
    listed = script_topics(TOPICS_SCRIPT.read_text(encoding="utf-8"))
    assert len(listed) == len(set(listed)), "a topic is listed twice"
    assert set(listed) == expected_topics()


def test_topic_list_check_can_fail() -> None:
    text = TOPICS_SCRIPT.read_text(encoding="utf-8").replace("  kinerja.scoring.scores.v1.dlq\n", "")
    assert set(script_topics(text)) != expected_topics()
    assert script_topics("no array here") == []


@pytest.fixture
def fake_kafka(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("kafka-topics.sh", "kafka-configs.sh"):
        (bin_dir / tool).write_text(FAKE_TOOL, encoding="utf-8")
        (bin_dir / tool).chmod(0o755)
    return {
        "KAFKA_BIN": str(bin_dir),
        "CALLS": str(tmp_path / "calls"),
        "KINERJA_KAFKA_BOOTSTRAP": "kafka:9092",
        "KINERJA_TOPIC_PREFIX": "dev.",
        "EXISTING": "dev.kinerja.feedback.employees.v1",
    }


def test_script_creates_missing_topics_and_reconfigures_existing_ones(fake_kafka: dict[str, str]) -> None:
    result = run_script(fake_kafka)
    assert result.returncode == 0, result.stderr
    calls = Path(fake_kafka["CALLS"]).read_text(encoding="utf-8").splitlines()
    creates = [line for line in calls if " --create " in line]
    created = set(re.findall(r"--topic (\S+)", "\n".join(creates)))
    assert created == {f"dev.{t}" for t in expected_topics()} - {fake_kafka["EXISTING"]}
    for line in creates:
        assert "--partitions 12 --replication-factor 3" in line
        assert "--config min.insync.replicas=2" in line
        retention = "7776000000" if ".dlq " in line else "34560000000"
        assert f"--config retention.ms={retention}" in line
    alters = [line for line in calls if line.startswith("kafka-configs.sh")]
    assert alters == [
        "kafka-configs.sh --bootstrap-server kafka:9092 --alter --entity-type topics --entity-name "
        "dev.kinerja.feedback.employees.v1 --add-config "
        "cleanup.policy=delete,retention.ms=34560000000,min.insync.replicas=2"
    ]
    # Fewer partitions than wanted: a warning, no silent repartitioning (it moves keys).
    assert "has 3 partitions, fewer than 12" in result.stderr
    assert not [line for line in calls if "--alter --topic" in line]


def test_script_grows_partitions_only_when_asked(fake_kafka: dict[str, str]) -> None:
    result = run_script({**fake_kafka, "KINERJA_TOPIC_GROW_PARTITIONS": "1"})
    assert result.returncode == 0, result.stderr
    calls = Path(fake_kafka["CALLS"]).read_text(encoding="utf-8")
    assert "--alter --topic dev.kinerja.feedback.employees.v1 --partitions 12" in calls


def test_script_refuses_bad_settings(fake_kafka: dict[str, str]) -> None:
    assert run_script({**fake_kafka, "KINERJA_TOPIC_PARTITIONS": "twelve"}).returncode == 2
    without_bootstrap = {k: v for k, v in fake_kafka.items() if k != "KINERJA_KAFKA_BOOTSTRAP"}
    result = run_script(without_bootstrap)
    assert result.returncode != 0
    assert "KINERJA_KAFKA_BOOTSTRAP" in result.stderr


def kafka_libs() -> Path:
    cache = Path(os.environ.get("KINERJA_STACK_CACHE", ROOT / ".cache" / "stack"))
    return cache / "kafka-libs"


def test_script_against_the_local_kafka(tmp_path: Path) -> None:
    """The real kafka-topics / kafka-configs classes of Kafka 4.1.1 against the local broker."""
    libs = kafka_libs()
    if shutil.which("java") is None or not (libs / ".complete").exists():
        pytest.skip("needs java and the Kafka jars of `make stack-fetch`")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # The same classes that /opt/kafka/bin/kafka-topics.sh and kafka-configs.sh run in the image.
    for tool, main in (
        ("kafka-topics.sh", "org.apache.kafka.tools.TopicCommand"),
        ("kafka-configs.sh", "kafka.admin.ConfigCommand"),
    ):
        script = f'#!/usr/bin/env bash\nexec java -Xmx128m -cp "{libs}/*" {main} "$@"\n'
        (bin_dir / tool).write_text(script, encoding="utf-8")
        (bin_dir / tool).chmod(0o755)
    bootstrap = Settings().kafka_bootstrap
    prefix = f"deploy{uuid.uuid4().hex[:8]}."
    topics_tool = str(bin_dir / "kafka-topics.sh")
    try:
        result = run_script(
            {
                "KAFKA_BIN": str(bin_dir),
                "KINERJA_KAFKA_BOOTSTRAP": bootstrap,
                "KINERJA_TOPIC_PREFIX": prefix,
                "KINERJA_TOPIC_PARTITIONS": "2",
                "KINERJA_TOPIC_REPLICATION": "1",
                "KINERJA_TOPIC_WAIT_S": "30",
            }
        )
        assert result.returncode == 0, result.stderr[-3000:]
        described = subprocess.run(
            [topics_tool, "--bootstrap-server", bootstrap, "--describe", "--topic", f"{prefix}.*"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        summaries = [line for line in described.splitlines() if line.startswith("Topic: ")]
        found = {line.split()[1].removeprefix(prefix): line for line in summaries}
        assert set(found) == expected_topics()
        for topic, line in found.items():
            assert "PartitionCount: 2" in line
            retention = "7776000000" if topic.endswith(".dlq") else "34560000000"
            assert f"retention.ms={retention}" in line
    finally:
        subprocess.run(
            [topics_tool, "--bootstrap-server", bootstrap, "--delete", "--topic", f"{prefix}.*"],
            capture_output=True,
            timeout=120,
            check=False,
        )
