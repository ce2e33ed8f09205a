#!/usr/bin/env bash
# Local stack of real servers on 127.0.0.1, no Docker:
#   - Apache Kafka (KRaft, combined broker + controller) from Maven Central jars on the installed Java;
#   - FerretDB v1 (MongoDB wire protocol, SQLite backend) built with the installed Go;
#   - Dex (OpenID Connect provider of the web's sign-in, in memory) built with the installed Go, with
#     the demo logins of tools/logins.py. KINERJA_STACK_OIDC=off leaves it out.
# Usage: stack.sh up|down|status|fetch
# Idempotent: `up` reuses servers that already run; downloads and builds are cached.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${KINERJA_STACK_CACHE:-$ROOT/.cache/stack}"
STATE="${KINERJA_STACK_STATE:-$ROOT/.cache/stack-state}"
KAFKA_PORT="${KINERJA_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KINERJA_KAFKA_CONTROLLER_PORT:-19093}"
MONGO_PORT="${KINERJA_MONGO_PORT:-27018}"
KAFKA_HEAP="${KINERJA_KAFKA_HEAP:-512m}"
OIDC_PORT="${KINERJA_OIDC_PORT:-5556}"
OIDC_CLIENT_ID="${KINERJA_OIDC_CLIENT_ID:-kinerja-web}"
OIDC="${KINERJA_STACK_OIDC:-on}"
FERRETDB_VERSION="v1.24.2"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

LIBS="$CACHE/kafka-libs"
# Our patches to FerretDB, applied in name order (deploy/local/ferretdb/README.md says what each does
# and which test proves it). The cached binary is named by a hash of the version and the patches,
# so that any change to either builds anew.
FERRETDB_PATCHES="$HERE/ferretdb"
FERRETDB_KEY="$( { echo "$FERRETDB_VERSION"; cat "$FERRETDB_PATCHES"/*.patch; } | sha256sum | cut -c1-16)"
FERRETDB_BIN="$CACHE/ferretdb-$FERRETDB_VERSION-$FERRETDB_KEY"
# Dex v2.45.1. The Go module proxy serves none of Dex's v2 tags: its go.mod says
# `module github.com/dexidp/dex`, without /v2, so a v2.x.y tag is no valid version of that path. The
# proxy does serve the pseudo-version of the tag's commit, 11d2eeb52b42 = v2.45.1 (`go list -m`).
DEX_VERSION="v2.45.1"
DEX_MODULE="github.com/dexidp/dex@v0.0.0-20260303133905-11d2eeb52b42"
# Everything that changes the binary is in the cache key: the module, the go.mod edit and the flags.
# No cgo: the memory storage needs no SQLite, and the build no C compiler.
DEX_DROP_REPLACE="github.com/dexidp/dex/api/v2"
DEX_LDFLAGS="-w -X main.version=$DEX_VERSION"
DEX_KEY="$(echo "$DEX_MODULE -dropreplace=$DEX_DROP_REPLACE CGO_ENABLED=0 -trimpath -ldflags=$DEX_LDFLAGS" \
  | sha256sum | cut -c1-16)"
DEX_BIN="$CACHE/dex-$DEX_VERSION-$DEX_KEY"
LOGS="$STATE/logs"
RUN="$STATE/run"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

need() {
  local tool="$1" hint="$2"
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing. $hint"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() {
  local f="$RUN/$1.pid"
  [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# ---------------------------------------------------------------- downloads and builds
fetch_kafka() {
  if [[ -f "$LIBS/.complete" ]]; then return; fi
  need java "Install Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)."
  need mvn "Install Apache Maven (Debian: apt-get install maven)."
  log "resolving Kafka jars from Maven Central into $LIBS"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  mvn -q -B -Dstyle.color=never -f "$HERE/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIBS" \
    || die "Maven could not resolve the Kafka jars (see the output above)."
  touch "$LIBS/.complete"
}

# Apply deploy/local/ferretdb/*.patch, in name order, to the FerretDB source in "$1". Each patch is
# checked with `patch --dry-run` before it is applied: a FerretDB source that differs stops the
# build instead of building unpatched or half patched.
patch_ferretdb() {
  local src="$1" p
  need patch "Install patch (Debian: apt-get install patch)."
  # In order: a patch may build on the ones before it.
  for p in "$FERRETDB_PATCHES"/*.patch; do
    patch --dry-run --forward --silent -p1 -d "$src" < "$p" >/dev/null \
      || die "$(basename "$p") does not apply to FerretDB $FERRETDB_VERSION; review the patch."
    patch --forward --silent -p1 -d "$src" < "$p" || die "applying $(basename "$p") failed"
    log "applied $(basename "$p")"
  done
}

build_ferretdb() {
  if [[ -x "$FERRETDB_BIN" ]]; then return; fi
  need go "Install Go 1.22 or newer (https://go.dev/doc/install, or Debian: apt-get install golang)."
  log "building FerretDB $FERRETDB_VERSION with $(go version | cut -d' ' -f3)"
  local dir src
  dir="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
        | "${PYTHON_FOR_JSON:-python3}" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" \
    || die "the Go module proxy could not supply github.com/FerretDB/FerretDB@$FERRETDB_VERSION"
  src="$CACHE/ferretdb-src"
  rm -rf "$src"; mkdir -p "$CACHE"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  # The module leaves out build/version/version.txt, which FerretDB embeds and requires at start-up.
  echo "$FERRETDB_VERSION" > "$src/build/version/version.txt"
  patch_ferretdb "$src"
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb) \
    || die "go build of FerretDB failed (see the output above)."
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  rm -rf "$src"
}

build_dex() {
  if [[ -x "$DEX_BIN" ]]; then return; fi
  need go "Install Go 1.22 or newer (https://go.dev/doc/install, or Debian: apt-get install golang)."
  log "building Dex $DEX_VERSION with $(go version | cut -d' ' -f3)"
  local dir src
  dir="$(go mod download -json "$DEX_MODULE" \
        | "${PYTHON_FOR_JSON:-python3}" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" \
    || die "the Go module proxy could not supply $DEX_MODULE"
  mkdir -p "$CACHE"
  src="$(mktemp -d "$CACHE/dex-src.XXXXXX")"
  cp -r "$dir/." "$src"; chmod -R u+w "$src"
  # Dex's go.mod replaces its API module with ./api/v2, a nested module that the module zip leaves
  # out. Without the replace, go takes api/v2 v2.4.0 (the version go.mod requires) from the proxy:
  # the same generated code as the tag's api/v2, whose go.mod differs only in dependency versions,
  # which the main module's requirements decide anyway. -mod=mod adds its sums to go.sum.
  (cd "$src" && go mod edit -dropreplace="$DEX_DROP_REPLACE" \
    && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$DEX_LDFLAGS" -o "$DEX_BIN.tmp" ./cmd/dex) \
    || { rm -rf "$src"; die "go build of Dex failed (see the output above)."; }
  mv "$DEX_BIN.tmp" "$DEX_BIN"
  rm -rf "$src"
}

# ---------------------------------------------------------------- kafka
write_kafka_config() {
  mkdir -p "$STATE/kafka-data" "$LOGS"
  cat > "$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$STATE/kafka-data
num.partitions=${KINERJA_KAFKA_PARTITIONS:-12}
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=2
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=67108864
PROPS
  cat > "$STATE/log4j2.properties" <<PROPS
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $LOGS/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
PROPS
}

start_kafka() {
  if pid_alive kafka && port_open "$KAFKA_PORT"; then log "kafka already running on 127.0.0.1:$KAFKA_PORT"; return; fi
  if port_open "$KAFKA_PORT"; then die "port $KAFKA_PORT is taken by another process; set KINERJA_KAFKA_PORT"; fi
  need java "Install Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)."
  fetch_kafka
  write_kafka_config
  local cp="$LIBS/*"
  if [[ ! -f "$STATE/kafka-data/meta.properties" ]]; then
    local cluster
    cluster="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    java -cp "$cp" -Dlog4j2.configurationFile="$STATE/log4j2.properties" kafka.tools.StorageTool format \
      -t "$cluster" -c "$STATE/server.properties" --ignore-formatted >"$LOGS/kafka-format.log" 2>&1 \
      || die "formatting Kafka storage failed: see $LOGS/kafka-format.log"
  fi
  mkdir -p "$RUN"
  log "starting kafka on 127.0.0.1:$KAFKA_PORT (heap $KAFKA_HEAP)"
  setsid nohup java -Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$STATE/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$STATE/server.properties" >"$LOGS/kafka.out" 2>&1 &
  echo $! > "$RUN/kafka.pid"
}

# ---------------------------------------------------------------- ferretdb
start_ferretdb() {
  if pid_alive ferretdb && port_open "$MONGO_PORT"; then log "ferretdb already running on 127.0.0.1:$MONGO_PORT"; return; fi
  if port_open "$MONGO_PORT"; then die "port $MONGO_PORT is taken by another process; set KINERJA_MONGO_PORT"; fi
  build_ferretdb
  mkdir -p "$STATE/ferretdb-data" "$STATE/ferretdb-state" "$LOGS" "$RUN"
  log "starting ferretdb on 127.0.0.1:$MONGO_PORT"
  setsid nohup "$FERRETDB_BIN" --handler=sqlite --sqlite-url="file:$STATE/ferretdb-data/" \
    --state-dir="$STATE/ferretdb-state" --listen-addr="127.0.0.1:$MONGO_PORT" \
    --debug-addr="${KINERJA_FERRETDB_DEBUG_ADDR:--}" --telemetry=disable --log-level=warn >"$LOGS/ferretdb.log" 2>&1 &
  echo $! > "$RUN/ferretdb.pid"
}

# ---------------------------------------------------------------- dex
# The configuration is written at every start from tools/logins.py, the one list of demo logins.
# Dex embeds its web templates (web/web.go, go:embed), so it needs no files beside the binary.
start_dex() {
  [[ "$OIDC" == off ]] && return
  if pid_alive dex && port_open "$OIDC_PORT"; then log "dex already running on 127.0.0.1:$OIDC_PORT"; return; fi
  if port_open "$OIDC_PORT"; then die "port $OIDC_PORT is taken by another process; set KINERJA_OIDC_PORT"; fi
  build_dex
  [[ -x "$PYTHON" ]] || die "no Python environment at $PYTHON: run 'make venv' first"
  mkdir -p "$LOGS" "$RUN"
  # From the checkout's root, so that this checkout's tools/ is the one imported.
  (cd "$ROOT" && "$PYTHON" -m tools.logins dex-config "$STATE/dex.yaml" \
    --port "$OIDC_PORT" --client-id "$OIDC_CLIENT_ID") || die "writing the Dex configuration failed"
  log "starting dex on 127.0.0.1:$OIDC_PORT (issuer http://127.0.0.1:$OIDC_PORT/dex)"
  setsid nohup "$DEX_BIN" serve "$STATE/dex.yaml" >"$LOGS/dex.log" 2>&1 &
  echo $! > "$RUN/dex.pid"
}

# ---------------------------------------------------------------- readiness
wait_ready() {
  local deadline=$((SECONDS + ${KINERJA_STACK_TIMEOUT:-120}))
  local oidc_args=()
  until port_open "$KAFKA_PORT" && port_open "$MONGO_PORT" && { [[ "$OIDC" == off ]] || port_open "$OIDC_PORT"; }; do
    pid_alive kafka || die "kafka exited during start-up: see $LOGS/kafka.log and $LOGS/kafka.out"
    pid_alive ferretdb || die "ferretdb exited during start-up: see $LOGS/ferretdb.log"
    [[ "$OIDC" == off ]] || pid_alive dex || die "dex exited during start-up: see $LOGS/dex.log"
    (( SECONDS < deadline )) || die "servers did not open their ports in time: see $LOGS/"
    sleep 0.5
  done
  # Ready means: the broker accepted a produce, the database answered a ping and Dex served its
  # discovery document.
  [[ -x "$PYTHON" ]] || die "no Python environment at $PYTHON: run 'make venv' first"
  [[ "$OIDC" == off ]] || oidc_args=(--oidc "http://127.0.0.1:$OIDC_PORT/dex")
  "$PYTHON" "$HERE/ready.py" --kafka "127.0.0.1:$KAFKA_PORT" --mongo "mongodb://127.0.0.1:$MONGO_PORT" \
    "${oidc_args[@]}" --timeout $((deadline - SECONDS)) || die "stack not ready: see $LOGS/"
  log "ready: kafka 127.0.0.1:$KAFKA_PORT, mongodb-wire 127.0.0.1:$MONGO_PORT${oidc_args[1]:+, oidc ${oidc_args[1]}}, logs in $LOGS"
}

stop_one() {
  local name="$1" f="$RUN/$1.pid"
  if ! pid_alive "$name"; then rm -f "$f"; log "$name not running"; return; fi
  local pid; pid="$(cat "$f")"
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in 30 s, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$f"
}

status() {
  local rc=0
  local names=(kafka ferretdb)
  [[ "$OIDC" == off ]] || names+=(dex)
  for name in "${names[@]}"; do
    local port
    case $name in kafka) port=$KAFKA_PORT ;; ferretdb) port=$MONGO_PORT ;; dex) port=$OIDC_PORT ;; esac
    if pid_alive "$name" && port_open "$port"; then
      printf '%-9s running  pid %-7s 127.0.0.1:%s\n' "$name" "$(cat "$RUN/$name.pid")" "$port"
    else
      printf '%-9s stopped  %-11s 127.0.0.1:%s\n' "$name" "" "$port"; rc=3
    fi
  done
  return $rc
}

case "${1:-}" in
  up) start_ferretdb; start_kafka; start_dex; wait_ready ;;
  down) stop_one dex; stop_one kafka; stop_one ferretdb ;;
  status) status ;;
  fetch) fetch_kafka; build_ferretdb; [[ "$OIDC" == off ]] || build_dex ;;
  *) echo "usage: $0 up|down|status|fetch" >&2; exit 2 ;;
esac
