#!/usr/bin/env bash
# Runs the local shopstream stack: a PostgreSQL cluster and the four
# services, all state under $DATA_DIR (default ./.data).
#   scripts/stack.sh up | down | logs | status
# `status` asks each part whether it answers and exits 1 when one does not.
# Ports: HTTP_PORT (8080), INGEST_PORT (50051), QUERY_PORT (50052),
# PROCESSOR_PORT (50053), PG_PORT (55433); /metrics on GATEWAY_METRICS_PORT
# (9100), INGEST_METRICS_PORT (9101), QUERY_METRICS_PORT (9102),
# PROCESSOR_METRICS_PORT (9103). Binaries: BIN_DIR (build/bin); the web
# root the gateway serves: WWW_DIR (build/www).
# API keys for shop "default" (one write, one read) are kept in
# $DATA_DIR/keys.env. SHOPSTREAM_AUTH=false turns key checks off (local
# experiments only). The token of the internal RPCs (ingest -> processor,
# gateway -> ingest) is kept in $DATA_DIR/service-token (mode 0600).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# Also what the hints `up` prints leave out: a variable at its default
# need not be repeated.
declare -A defaults=(
  [DATA_DIR]=$root/.data [BIN_DIR]=$root/build/bin [HTTP_PORT]=8080
  [INGEST_PORT]=50051 [QUERY_PORT]=50052 [PROCESSOR_PORT]=50053 [PG_PORT]=55433
  [GATEWAY_METRICS_PORT]=9100 [INGEST_METRICS_PORT]=9101 [QUERY_METRICS_PORT]=9102
  [PROCESSOR_METRICS_PORT]=9103
)
for name in "${!defaults[@]}"; do
  declare "$name=${!name:-${defaults[$name]}}"
done
mkdir -p "$DATA_DIR"
DATA_DIR=$(cd "$DATA_DIR" && pwd)
# Beside the binaries, as the build makes them.
WWW_DIR=${WWW_DIR:-$(dirname "$BIN_DIR")/www}
services=(processor ingest query gateway)
# The cluster's password is in its password file (scripts/pg.sh).
pg_server="host=127.0.0.1 port=$PG_PORT user=postgres passfile='$DATA_DIR/pg/pgpass'"
conninfo="$pg_server dbname=shopstream"

# The pid of service $1 from its pid file, when that process is still the
# service: a pid file outlives its process, and the kernel reuses pids.
pid_of() {
  local f="$DATA_DIR/run/$1.pid" pid exe
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  # A binary rebuilt under its running service reads "... (deleted)".
  [ "$(basename "${exe% (deleted)}")" = "shopstream-$1" ] || return 1
  echo "$pid"
}

start_service() {
  local name=$1; shift
  if pid=$(pid_of "$name"); then
    echo "$name already running (pid $pid)"
    return
  fi
  # A session of its own, so the service outlives this script and make.
  setsid "$BIN_DIR/shopstream-$name" "$@" >>"$DATA_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$DATA_DIR/run/$name.pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_until() {
  local what=$1 deadline=$((SECONDS + 60)); shift
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "stack: $what did not become healthy; see $DATA_DIR/logs/" >&2
      return 1
    fi
    sleep 0.2
  done
}

# Whether the process started as service $1 still runs, whatever it has
# exec'ed into yet (pid_of wants the service's binary); an exited child
# not yet reaped counts as gone.
still_running() {
  local pid state
  pid=$(cat "$DATA_DIR/run/$1.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# The processor applies migrations before it listens; over a large
# database a new rollup's backfill takes minutes, so it is waited for as
# long as it runs (at most 30 minutes), not for a fixed minute.
wait_for_processor() {
  local deadline=$((SECONDS + 1800))
  until port_open "$PROCESSOR_PORT"; do
    if ! still_running processor || [ $SECONDS -ge $deadline ]; then
      echo "stack: processor did not become healthy; see $DATA_DIR/logs/" >&2
      return 1
    fi
    sleep 0.2
  done
}

http_ok() { curl -fs -o /dev/null "http://127.0.0.1:$HTTP_PORT$1"; }

admin() { "$BIN_DIR/shopstream-admin" --postgres="$conninfo" "$@"; }

# `make $1`, preceded by those of the variables $2... that differ from their
# defaults, as `make` would otherwise look for another stack: `make down`
# alone stops the one in ./.data, not one started with DATA_DIR=/srv/shop.
make_hint() {
  local target=$1 name prefix=""
  shift
  for name in "$@"; do
    [ "${!name}" = "${defaults[$name]}" ] || prefix+="$name=$(printf '%q' "${!name}") "
  done
  echo "${prefix}make $target"
}

# Reuses the keys of keys.env while they are valid; makes new ones otherwise
# (a fresh database, a revoked key).
ensure_keys() {
  local keys_env="$DATA_DIR/keys.env"
  if [ -f "$keys_env" ]; then
    # shellcheck disable=SC1090
    . "$keys_env"
    if admin keys verify --key="${SHOPSTREAM_WRITE_KEY:-}" >/dev/null 2>&1 &&
      admin keys verify --key="${SHOPSTREAM_READ_KEY:-}" >/dev/null 2>&1; then
      return
    fi
  fi
  SHOPSTREAM_WRITE_KEY=$(admin keys create --shop=default --scope=write --description="make up" 2>/dev/null)
  SHOPSTREAM_READ_KEY=$(admin keys create --shop=default --scope=read --description="make up" 2>/dev/null)
  (umask 077 && printf 'SHOPSTREAM_WRITE_KEY=%s\nSHOPSTREAM_READ_KEY=%s\n' \
    "$SHOPSTREAM_WRITE_KEY" "$SHOPSTREAM_READ_KEY" >"$keys_env")
}

# Made once and kept, like the keys; a token too short for the services is
# made anew.
ensure_service_token() {
  local token_file="$DATA_DIR/service-token"
  if [ ! -f "$token_file" ] || [ "$(tr -d '[:space:]' <"$token_file" | wc -c)" -lt 32 ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token_file")
  fi
  chmod 600 "$token_file"
}

up() {
  mkdir -p "$DATA_DIR/run" "$DATA_DIR/logs"
  ensure_service_token
  local token_flag=--service_token_file="$DATA_DIR/service-token"
  "$root/scripts/pg.sh" start "$DATA_DIR/pg" "$PG_PORT" --durable
  if [ "$(psql "$pg_server dbname=postgres" -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'shopstream'")" != 1 ]; then
    psql "$pg_server dbname=postgres" -qc "CREATE DATABASE shopstream"
  fi
  start_service processor --processor_address="127.0.0.1:$PROCESSOR_PORT" --postgres="$conninfo" \
    --metrics_port="$PROCESSOR_METRICS_PORT" "$token_flag"
  start_service ingest --ingest_address="127.0.0.1:$INGEST_PORT" \
    --processor_target="127.0.0.1:$PROCESSOR_PORT" --postgres="$conninfo" \
    --metrics_port="$INGEST_METRICS_PORT" "$token_flag"
  start_service query --query_address="127.0.0.1:$QUERY_PORT" --postgres="$conninfo" \
    --metrics_port="$QUERY_METRICS_PORT"
  # The build's web root (web/CMakeLists.txt), served beside the API: the
  # dashboard at /, t.js, the OpenAPI document and the API reference.
  local static_dir="$WWW_DIR" static_args=()
  if [ -d "$static_dir" ]; then
    static_args=(--static_dir="$static_dir")
  else
    echo "stack: no web root in $static_dir (it needs Node.js); the gateway serves the API only" >&2
  fi
  start_service gateway --http_port="$HTTP_PORT" \
    --ingest_target="127.0.0.1:$INGEST_PORT" --query_target="127.0.0.1:$QUERY_PORT" \
    --metrics_port="$GATEWAY_METRICS_PORT" "$token_flag" "${static_args[@]}"
  wait_for_processor
  wait_until ingest http_ok /v1/health
  wait_until query http_ok /api/health
  # Health services follow their dependencies half a second later; up is
  # done when status would say so.
  wait_until "every service" all_answer
  ensure_keys
  local auth_note="every call but health needs a key"
  [ "${SHOPSTREAM_AUTH:-true}" = false ] && auth_note="AUTH IS OFF (SHOPSTREAM_AUTH=false): keys are not checked"
  # The read key in the fragment, which the browser never sends: the page
  # keeps it in the tab and takes it out of the address bar.
  local dashboard="http://localhost:$HTTP_PORT/#key=$SHOPSTREAM_READ_KEY"
  local web=""
  if [ -f "$static_dir/v1/openapi.json" ]; then
    web+=$'\n'"  API docs    http://localhost:$HTTP_PORT/docs/api/   (OpenAPI: /v1/openapi.json)"
  fi
  if [ -f "$static_dir/t.js" ]; then
    web+=$'\n'"  tracker     http://localhost:$HTTP_PORT/t.js   (tag and options: tracker/README.md)"
  fi
  cat <<MSG

shopstream is up (state in $DATA_DIR):
  dashboard   $dashboard
  REST API    http://localhost:$HTTP_PORT   (POST /v1/events, GET /api/analytics)$web
  /metrics    127.0.0.1: gateway :$GATEWAY_METRICS_PORT, ingest :$INGEST_METRICS_PORT, query :$QUERY_METRICS_PORT, processor :$PROCESSOR_METRICS_PORT
  internal    RPCs need the token in $DATA_DIR/service-token
  health      http://localhost:$HTTP_PORT/healthz, /readyz
  gRPC        ingest localhost:$INGEST_PORT, analytics localhost:$QUERY_PORT
  API keys    $DATA_DIR/keys.env ($auth_note)
              SHOPSTREAM_WRITE_KEY=$SHOPSTREAM_WRITE_KEY
              SHOPSTREAM_READ_KEY=$SHOPSTREAM_READ_KEY
              more: $BIN_DIR/shopstream-admin --postgres="$conninfo" keys create --shop=S --scope=write|read (or --scope=collect --origin=https://shop.example)
  try         . $DATA_DIR/keys.env && curl -H "Authorization: Bearer \$SHOPSTREAM_READ_KEY" http://localhost:$HTTP_PORT/api/analytics
  PostgreSQL  $conninfo
  logs        $(make_hint logs DATA_DIR)
  status      $(make_hint status DATA_DIR BIN_DIR HTTP_PORT INGEST_PORT QUERY_PORT PROCESSOR_PORT PG_PORT)
  stop        $(make_hint down DATA_DIR)
MSG
}

down() {
  local name pid
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do
    name=${services[$i]}
    if pid=$(pid_of "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      echo "stopped $name"
    fi
    rm -f "$DATA_DIR/run/$name.pid"
  done
  "$root/scripts/pg.sh" stop "$DATA_DIR/pg" "$PG_PORT"
  echo "stopped postgres"
}

# Asks service $1 for its health, with deadlines of its own: a hung process
# still has its pid. The outer timeout is for a probe that hangs anyway.
health_of() {
  local probe="$BIN_DIR/shopstream-health-probe" target
  case $1 in
  gateway) target=--http_get="127.0.0.1:$HTTP_PORT/healthz" ;;
  ingest) target=--grpc="127.0.0.1:$INGEST_PORT" ;;
  query) target=--grpc="127.0.0.1:$QUERY_PORT" ;;
  processor) target=--grpc="127.0.0.1:$PROCESSOR_PORT" ;;
  esac
  timeout 5 "$probe" "$target" --timeout_ms=2000 2>&1 || {
    local code=$?
    [ $code = 124 ] && echo "no answer within 5 s"
    return $code
  }
}

all_answer() { status >/dev/null 2>&1; }

status() {
  local name pid answer failed=0
  [ -x "$BIN_DIR/shopstream-health-probe" ] ||
    { echo "stack: no $BIN_DIR/shopstream-health-probe to ask the services (make build)" >&2; return 2; }
  for name in "${services[@]}"; do
    if ! pid=$(pid_of "$name"); then
      echo "$name stopped"
      failed=1
    elif answer=$(health_of "$name"); then
      echo "$name running (pid $pid)"
    else
      case "$answer" in
      *NOT_SERVING*) echo "$name not serving (pid $pid): ${answer#unhealthy: }" ;;
      *) echo "$name not answering (pid $pid): ${answer#unhealthy: }" ;;
      esac
      failed=1
    fi
  done
  if [ ! -f "$DATA_DIR/pg/postmaster.pid" ]; then
    echo "postgres stopped"
    failed=1
  elif timeout 5 pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 2; then
    echo "postgres running (port $PG_PORT)"
  else
    echo "postgres not answering (port $PG_PORT)"
    failed=1
  fi
  return $failed
}

case "${1:-}" in
up) up ;;
down) down ;;
logs) tail -n 50 -F "$DATA_DIR"/logs/*.log ;;
status) status || exit $? ;;
*) echo "usage: $0 up|down|logs|status" >&2; exit 2 ;;
esac
