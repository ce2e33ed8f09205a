#!/usr/bin/env bash
# Creates the Kinerja topics with their partitions and retention. Idempotent: run it on every
# install and every upgrade. A missing topic is created; an existing one gets its configuration
# re-applied (so a changed retention reaches the cluster) and its partition count checked.
#
# Runs inside the official apache/kafka image (its kafka-topics.sh and kafka-configs.sh):
#   - deploy/compose.yaml runs it as the one-shot `topics` service;
#   - deploy/k8s/topics-job.yaml runs it as the `kinerja-topics` Job (kustomize mounts this file).
# It lives under deploy/k8s/ because kustomize reads files only below its kustomization.yaml.
#
# Environment (all optional except the bootstrap servers):
#   KINERJA_KAFKA_BOOTSTRAP          bootstrap servers, as the services use them
#   KINERJA_TOPIC_PREFIX             put before every topic name, as the services do
#   KINERJA_TOPIC_PARTITIONS         partitions per topic (default 12; see docs/scale-out.md)
#   KINERJA_TOPIC_REPLICATION        replication factor (default 3; 1 on a single broker)
#   KINERJA_TOPIC_RETENTION_MS       retention of the event topics (default 400 days)
#   KINERJA_DLQ_RETENTION_MS         retention of the dead-letter topics (default 90 days)
#   KINERJA_TOPIC_GROW_PARTITIONS    1 = raise the partitions of existing topics to the target;
#                                    this moves keys to other partitions, so drain consumers first
#   KINERJA_KAFKA_CLIENT_CONFIG      client .properties file for TLS/SASL clusters
#   KINERJA_TOPIC_WAIT_S             how long to wait for the broker (default 180)
#   KAFKA_BIN                        folder of the Kafka tools (default /opt/kafka/bin)
set -euo pipefail

BOOTSTRAP="${KINERJA_KAFKA_BOOTSTRAP:?KINERJA_KAFKA_BOOTSTRAP must name the Kafka bootstrap servers}"
PREFIX="${KINERJA_TOPIC_PREFIX:-}"
# As the services do (shared/settings.py): a prefix without a trailing separator gets a dot.
if [[ -n "$PREFIX" && ! "$PREFIX" =~ [._-]$ ]]; then PREFIX="$PREFIX."; fi
PARTITIONS="${KINERJA_TOPIC_PARTITIONS:-12}"
REPLICATION="${KINERJA_TOPIC_REPLICATION:-3}"
RETENTION_MS="${KINERJA_TOPIC_RETENTION_MS:-34560000000}"
DLQ_RETENTION_MS="${KINERJA_DLQ_RETENTION_MS:-7776000000}"
GROW="${KINERJA_TOPIC_GROW_PARTITIONS:-0}"
WAIT_S="${KINERJA_TOPIC_WAIT_S:-180}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"

# The topics of shared/events (shared.events.registry.TOPICS) and one dead-letter topic per
# source topic (suffix .dlq). tests/deploy checks that this list matches the code.
TOPICS=(
  kinerja.feedback.employees.v1
  kinerja.feedback.cycles.v1
  kinerja.feedback.inputs.v1
  kinerja.scoring.scores.v1
  kinerja.career.recommendations.v1
  kinerja.notify.deliveries.v1
  kinerja.feedback.employees.v1.dlq
  kinerja.feedback.cycles.v1.dlq
  kinerja.feedback.inputs.v1.dlq
  kinerja.scoring.scores.v1.dlq
  kinerja.career.recommendations.v1.dlq
  kinerja.notify.deliveries.v1.dlq
)

log() { printf '[topics] %s\n' "$*" >&2; }

for number in "$PARTITIONS" "$REPLICATION" "$RETENTION_MS" "$DLQ_RETENTION_MS" "$WAIT_S"; do
  [[ "$number" =~ ^-?[0-9]+$ ]] || { log "not a number: '$number'"; exit 2; }
done

CLIENT=(--bootstrap-server "$BOOTSTRAP")
if [[ -n "${KINERJA_KAFKA_CLIENT_CONFIG:-}" ]]; then
  CLIENT+=(--command-config "$KINERJA_KAFKA_CLIENT_CONFIG")
fi

# With three replicas a write must reach two of them; with fewer, one is all there is.
MIN_ISR=1
if ((REPLICATION >= 3)); then MIN_ISR=2; fi

topic_config() {
  local retention="$RETENTION_MS"
  if [[ "$1" == *.dlq ]]; then retention="$DLQ_RETENTION_MS"; fi
  printf 'cleanup.policy=delete,retention.ms=%s,min.insync.replicas=%s' "$retention" "$MIN_ISR"
}

# Wait for the broker: the Job and the compose step may start before Kafka accepts clients.
deadline=$((SECONDS + WAIT_S))
until described="$("$KAFKA_BIN/kafka-topics.sh" "${CLIENT[@]}" --describe --exclude-internal)"; do
  if ((SECONDS >= deadline)); then
    log "Kafka at $BOOTSTRAP did not answer within ${WAIT_S}s"
    exit 1
  fi
  log "waiting for Kafka at $BOOTSTRAP"
  sleep 3
done

# Partition count of each existing topic, from the "Topic: <name> ... PartitionCount: <n>" lines.
declare -A existing=()
while read -r name count; do
  existing["$name"]="$count"
done < <(printf '%s\n' "$described" | awk '
  /^Topic: / {
    name = ""; count = ""
    for (i = 1; i <= NF; i++) {
      if ($i == "Topic:") name = $(i + 1)
      if ($i == "PartitionCount:") count = $(i + 1)
    }
    if (name != "" && count != "") print name, count
  }')

for topic in "${TOPICS[@]}"; do
  name="$PREFIX$topic"
  config="$(topic_config "$topic")"
  if [[ -z "${existing[$name]:-}" ]]; then
    log "creating $name ($PARTITIONS partitions, replication $REPLICATION, $config)"
    config_args=()
    IFS=',' read -r -a pairs <<<"$config"
    for pair in "${pairs[@]}"; do config_args+=(--config "$pair"); done
    "$KAFKA_BIN/kafka-topics.sh" "${CLIENT[@]}" --create --if-not-exists --topic "$name" \
      --partitions "$PARTITIONS" --replication-factor "$REPLICATION" "${config_args[@]}"
    continue
  fi
  count="${existing[$name]}"
  log "exists: $name ($count partitions); applying $config"
  "$KAFKA_BIN/kafka-configs.sh" "${CLIENT[@]}" --alter --entity-type topics --entity-name "$name" \
    --add-config "$config"
  if ((count < PARTITIONS)); then
    if [[ "$GROW" == "1" ]]; then
      log "raising $name from $count to $PARTITIONS partitions"
      "$KAFKA_BIN/kafka-topics.sh" "${CLIENT[@]}" --alter --topic "$name" --partitions "$PARTITIONS"
    else
      log "warning: $name has $count partitions, fewer than $PARTITIONS;" \
        "set KINERJA_TOPIC_GROW_PARTITIONS=1 to raise it (see docs/scale-out.md first)"
    fi
  fi
done
log "done: ${#TOPICS[@]} topics"
