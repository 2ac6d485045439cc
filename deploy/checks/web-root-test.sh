#!/usr/bin/env bash
# The web root the image carries (build/www) as the gateway serves it with
# --static_dir: the dashboard at /, the tracker at /t.js, the OpenAPI
# document at /v1/openapi.json and its reference at /docs/api/, each with
# its content type, while API paths stay the API's. Starts one gateway on
# a free port with no backends, stops it however the test ends. Exit 77
# (skipped) without a web root (no Node.js at build time).
#   web-root-test.sh BIN_DIR WWW_DIR
set -euo pipefail
bin_dir=$1
www=$2
[ -x "$bin_dir/shopstream-gateway" ] || { echo "$bin_dir/shopstream-gateway is missing: build it first" >&2; exit 1; }
if [ ! -f "$www/v1/openapi.json" ]; then
  echo "SKIPPED: no web root in $www (build the target www; it needs Node.js)"
  exit 77
fi
tmp=$(mktemp -d)
gateway_pid=
cleanup() {
  if [ -n "$gateway_pid" ]; then
    kill "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 30000))
  port_open "$candidate" || { port=$candidate; break; }
done
[ -n "$port" ] || { echo "no free port" >&2; exit 1; }
# Backends on a port nothing listens on: the static files need none.
"$bin_dir/shopstream-gateway" --http_address=127.0.0.1 --http_port="$port" --metrics_port=0 \
  --ingest_stream=false --ingest_target=127.0.0.1:9 --query_target=127.0.0.1:9 \
  --static_dir="$www" >"$tmp/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break
  kill -0 "$gateway_pid" 2>/dev/null || { cat "$tmp/gateway.log"; echo "the gateway exited" >&2; exit 1; }
  sleep 0.1
done

failed=0
# get PATH STATUS CONTENT_TYPE_PREFIX [BODY_SUBSTRING]
get() {
  local path=$1 want_status=$2 want_type=$3 want_body=${4:-} status type
  read -r status type < <(curl -s --max-time 10 -o "$tmp/body" \
    -w '%{http_code} %{content_type}\n' "http://127.0.0.1:$port$path")
  if [ "$status" != "$want_status" ] || [[ "$type" != "$want_type"* ]]; then
    echo "FAIL: GET $path: $status $type, want $want_status $want_type"
    failed=1
  elif [ -n "$want_body" ] && ! grep -qF -- "$want_body" "$tmp/body"; then
    echo "FAIL: GET $path: body lacks \"$want_body\""
    failed=1
  else
    echo "ok: GET $path: $status $type"
  fi
}
if [ -f "$www/index.html" ]; then
  get / 200 "text/html" '<div id="app"'
fi
if [ -f "$www/t.js" ]; then
  get /t.js 200 "text/javascript"
fi
get /v1/openapi.json 200 "application/json" '"openapi": "3.0.3"'
cmp -s "$tmp/body" "$www/v1/openapi.json" || { echo "FAIL: /v1/openapi.json is not the built document"; failed=1; }
get /docs/api/ 200 "text/html" '/docs/api/init.js'
get /docs/api 200 "text/html" 'swagger-ui-bundle.js'
get /docs/api/swagger-ui-bundle.js 200 "text/javascript"
get /docs/api/init.js 200 "text/javascript" 'url: "/v1/openapi.json"'
# An API route keeps its path: the backend is down, so 503, not a file.
get /v1/health 503 "application/json" '"error"'
get /no/such/file 404 "application/json"
[ $failed = 0 ] || { cat "$tmp/gateway.log"; exit 1; }
echo "the gateway serves the web root"
