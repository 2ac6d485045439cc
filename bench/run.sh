#!/usr/bin/env bash
# make bench: starts a private shopstream stack (scripts/stack.sh) under
# .data/bench on its own ports, runs shopstream-bench against it, stops the
# stack, and leaves bench/results/latest.{json,md,log}.
#   BENCH_SECONDS          measured seconds per scenario (20)
#   BENCH_WARMUP_SECONDS   unmeasured warm-up per scenario (3)
#   BENCH_SCENARIOS        comma list, see shopstream-bench --help
#   BENCH_ARGS             more shopstream-bench flags
#   BIN_DIR                where the binaries are (build/bin)
#
# bench/run.sh analytics (make bench-analytics): only a private PostgreSQL
# (durable, on the first free port from 55480, state in .data/bench-analytics)
# and shopstream-analytics-bench; leaves bench/results/analytics.{json,md,log}.
#   ANALYTICS_SIZES        stored-event counts (100000,1000000,10000000)
#   ANALYTICS_ARGS         more shopstream-analytics-bench flags
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = analytics ]; then
  BIN_DIR=${BIN_DIR:-$root/build/bin}
  [ -x "$BIN_DIR/shopstream-analytics-bench" ] \
    || { echo "bench: no $BIN_DIR/shopstream-analytics-bench (make build)" >&2; exit 1; }
  data=${BENCH_DATA_DIR:-$root/.data/bench-analytics}
  port=55480
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  results=$root/bench/results
  mkdir -p "$results"
  # A fresh cluster each run: the port is in its configuration.
  "$root/scripts/pg.sh" stop "$data" "$port" >/dev/null 2>&1 || true
  rm -rf "$data" "$(readlink -f "$data" 2>/dev/null || true)"
  trap '"$root/scripts/pg.sh" stop "$data" "$port" >/dev/null 2>&1 || true' EXIT
  "$root/scripts/pg.sh" start "$data" "$port" --durable
  # shellcheck disable=SC2086
  "$BIN_DIR/shopstream-analytics-bench" \
    --postgres="host=127.0.0.1 port=$port user=postgres passfile='$data/pgpass'" \
    --sizes="${ANALYTICS_SIZES:-100000,1000000,10000000}" \
    --output_json="$results/analytics.json" \
    --output_markdown="$results/analytics.md" \
    ${ANALYTICS_ARGS:-} 2> >(tee "$results/analytics.log" >&2)
  echo
  echo "bench: wrote $results/analytics.md and analytics.json"
  exit 0
fi

export DATA_DIR=${BENCH_DATA_DIR:-$root/.data/bench}
export BIN_DIR=${BIN_DIR:-$root/build/bin}
# Ports of their own, so a `make up` stack or the test PostgreSQL can keep
# running.
export HTTP_PORT=${BENCH_HTTP_PORT:-18480}
export INGEST_PORT=${BENCH_INGEST_PORT:-15451}
export QUERY_PORT=${BENCH_QUERY_PORT:-15452}
export PROCESSOR_PORT=${BENCH_PROCESSOR_PORT:-15453}
export PG_PORT=${BENCH_PG_PORT:-55471}
export GATEWAY_METRICS_PORT=${BENCH_GATEWAY_METRICS_PORT:-18490}
export INGEST_METRICS_PORT=${BENCH_INGEST_METRICS_PORT:-18491}
export QUERY_METRICS_PORT=${BENCH_QUERY_METRICS_PORT:-18492}
export PROCESSOR_METRICS_PORT=${BENCH_PROCESSOR_METRICS_PORT:-18493}
# The services take flags from SHOPSTREAM_* variables: this gives the
# gateway its static 202 route, the HTTP ceiling wrk measures.
export SHOPSTREAM_BENCH_STATIC_PATH=/bench/static
seconds=${BENCH_SECONDS:-20}
warmup=${BENCH_WARMUP_SECONDS:-3}
results=$root/bench/results
conninfo="host=127.0.0.1 port=$PG_PORT user=postgres dbname=shopstream passfile='$DATA_DIR/pg/pgpass'"

for tool in wrk pgbench; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (make deps)" >&2; exit 1; }
done
# Debian puts nginx in /usr/sbin, which a user's PATH may lack.
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "bench: nginx not found (make deps)" >&2; exit 1; }
[ -x "$BIN_DIR/shopstream-bench" ] || { echo "bench: no $BIN_DIR/shopstream-bench (make build)" >&2; exit 1; }

mkdir -p "$results"
trap '"$root/scripts/stack.sh" down >/dev/null 2>&1 || true' EXIT
"$root/scripts/stack.sh" up >/dev/null
# Every run starts from an empty table, so runs pay the same index size.
psql "$conninfo" -qc "TRUNCATE events, event_keys, shop_minute_rollup, shop_hour_rollup,
  shop_day_rollup, product_day_rollup, product_week_rollup, product_totals,
  shop_totals, shop_sessions, shop_session_days, shop_session_sketches,
  shop_dimension_hour_rollup, shop_dimension_day_rollup,
  shop_dimension_week_rollup, product_dimension_day_rollup,
  product_dimension_week_rollup, shop_session_stats, shop_engagement_day_rollup,
  shop_session_duration_buckets"

scenario_flag=()
[ -n "${BENCH_SCENARIOS:-}" ] && scenario_flag=(--scenarios="$BENCH_SCENARIOS")
# shellcheck disable=SC2086
"$BIN_DIR/shopstream-bench" \
  --ingest_target="127.0.0.1:$INGEST_PORT" \
  --query_target="127.0.0.1:$QUERY_PORT" \
  --http_target="127.0.0.1:$HTTP_PORT" \
  --postgres="$conninfo" \
  --pid_dir="$DATA_DIR/run" \
  --postgres_pid_file="$DATA_DIR/pg/postmaster.pid" \
  --state_dir="$DATA_DIR/ceilings" \
  --nginx="$nginx" --nginx_workers="${SHOPSTREAM_HTTP_THREADS:-0}" \
  --seconds="$seconds" --warmup_seconds="$warmup" \
  --output_json="$results/latest.json" \
  --output_markdown="$results/latest.md" \
  "${scenario_flag[@]}" ${BENCH_ARGS:-} \
  2> >(tee "$results/latest.log" >&2)
echo
echo "bench: wrote $results/latest.md and latest.json"
