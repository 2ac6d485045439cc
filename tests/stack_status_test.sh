#!/usr/bin/env bash
# `scripts/stack.sh status` against a real local stack (its own DATA_DIR and
# free ports): exit 0 while everything answers; non-zero, naming the
# service, when one is stopped, when its pid file names another process,
# and, within a bound, when one is hung (SIGSTOP); the logs, status and stop
# commands that `up` prints work for this DATA_DIR and these ports as
# printed. Stops everything it started, however it ends.
#   tests/stack_status_test.sh   (BIN_DIR: the binaries, build/bin)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export BIN_DIR=${BIN_DIR:-$root/build/bin}
stack=$root/scripts/stack.sh
# A bound far above the few seconds a status takes with hung services.
status_bound=60

export DATA_DIR
DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/shopstream-stack-XXXXXX")
stranger_pid=
stopped_pids=()

cleanup() {
  local pid cluster
  for pid in "${stopped_pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
  "$stack" down >/dev/null 2>&1 || true
  if [ -n "$stranger_pid" ]; then kill "$stranger_pid" 2>/dev/null || true; fi
  # As root the cluster may live elsewhere (see scripts/pg.sh).
  cluster=$(readlink -f "$DATA_DIR/pg" 2>/dev/null || true)
  if [ -n "$cluster" ]; then rm -rf "$cluster" "$cluster.initdb.log"; fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

used_ports=" "
# Below the kernel's ephemeral range (32768 and up), where the other tests'
# own connections take ports: one taken between this check and a service's
# bind would keep the stack from starting.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 12000))
    case "$used_ports" in *" $port "*) continue ;; esac
    port_open "$port" && continue
    used_ports+="$port "
    echo "$port"
    return
  done
}

for variable in HTTP_PORT INGEST_PORT QUERY_PORT PROCESSOR_PORT PG_PORT GATEWAY_METRICS_PORT \
  INGEST_METRICS_PORT QUERY_METRICS_PORT PROCESSOR_METRICS_PORT; do
  port=$(free_port)
  export "$variable=$port"
done

pid_of() { cat "$DATA_DIR/run/$1.pid"; }

# Runs `status` within the bound; sets $output and $code.
run_status() {
  code=0
  output=$(timeout "$status_bound" "$stack" status 2>&1) || code=$?
  echo "--- status (exit $code):"
  echo "$output"
  [ "$code" != 124 ] || fail "status took longer than $status_bound s"
}

expect_line() {
  grep -qx -- "$1" <<<"$output" || fail "no line matching '$1'"
}

"$stack" up >"$DATA_DIR/up.log" 2>&1 || { cat "$DATA_DIR/up.log" >&2; fail "stack.sh up"; }

# The gateway serves the build's web root, and up says where.
if [ -f "$(dirname "$BIN_DIR")/www/v1/openapi.json" ]; then
  curl -fs -o /dev/null "http://127.0.0.1:$HTTP_PORT/v1/openapi.json" ||
    fail "the gateway does not serve the web root's /v1/openapi.json"
  grep -q "^  API docs    http://localhost:$HTTP_PORT/docs/api/" "$DATA_DIR/up.log" ||
    fail "up does not say where the API reference is"
fi

run_status
[ "$code" = 0 ] || fail "status of a healthy stack exited $code"
for service in processor ingest query gateway; do expect_line "$service running (pid [0-9]*)"; done
expect_line "postgres running (port $PG_PORT)"

# A stopped service.
query_pid=$(pid_of query)
kill -TERM "$query_pid"
for _ in $(seq 1 300); do kill -0 "$query_pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$query_pid" 2>/dev/null || fail "query did not stop"
run_status
[ "$code" != 0 ] || fail "status exited 0 with query stopped"
expect_line "query stopped"
expect_line "gateway running (pid [0-9]*)"

# The pid file names a live process that is not the service (a reused pid).
sleep 600 >/dev/null 2>&1 &
stranger_pid=$!
echo "$stranger_pid" >"$DATA_DIR/run/query.pid"
run_status
[ "$code" != 0 ] || fail "status exited 0 with query's pid taken by another process"
expect_line "query stopped"

# Hung services keep their pids but answer nothing.
for service in ingest gateway; do
  pid=$(pid_of "$service")
  stopped_pids+=("$pid")
  kill -STOP "$pid"
done
run_status
[ "$code" != 0 ] || fail "status exited 0 with ingest and gateway hung"
expect_line "ingest not answering (pid [0-9]*): .*"
expect_line "gateway not answering (pid [0-9]*): .*"
expect_line "processor running (pid [0-9]*)"
for pid in "${stopped_pids[@]}"; do kill -CONT "$pid"; done
stopped_pids=()

# The commands `up` printed reach this stack as printed, from the checkout
# and without this test's environment: its DATA_DIR and ports are not the
# defaults.
hint() {
  local line
  line=$(sed -n "s/^  $1  *//p" "$DATA_DIR/up.log")
  [ -n "$line" ] || fail "up printed no $1 hint"
  echo "$line"
}
# Runs hint $2 within $1 seconds; sets $output and $code.
run_hint() {
  echo "--- $2"
  code=0
  output=$(timeout "$1" env -i PATH="$PATH" HOME="${HOME:-/}" \
    bash -c "cd $(printf '%q' "$root") && $2" 2>&1) || code=$?
}
logs_hint=$(hint logs)
run_hint 5 "$logs_hint"
grep -qF "$DATA_DIR/logs/gateway.log" <<<"$output" || fail "'$logs_hint' does not show this stack's logs: $output"
run_hint "$status_bound" "$(hint status)"
echo "$output"
expect_line "processor running (pid [0-9]*)"
expect_line "postgres running (port $PG_PORT)"
expect_line "query stopped"

# `down` leaves the process that merely has query's old pid alone.
pids=("$(pid_of processor)" "$(pid_of ingest)" "$(pid_of gateway)")
stop_hint=$(hint stop)
run_hint "$status_bound" "$stop_hint"
[ "$code" = 0 ] || fail "'$stop_hint' exited $code: $output"
for pid in "${pids[@]}"; do
  ! kill -0 "$pid" 2>/dev/null || fail "'$stop_hint' left pid $pid running"
done
[ ! -f "$DATA_DIR/pg/postmaster.pid" ] || fail "'$stop_hint' left PostgreSQL running"
kill -0 "$stranger_pid" 2>/dev/null || fail "stack.sh down killed a process that was not its own"
echo "PASS"
